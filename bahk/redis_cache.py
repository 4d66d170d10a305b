"""Django's Redis cache backend, with one connection pool and one redis-py client per process.

Django keeps a cache object per thread (django.core.cache.caches is
thread-local), and each of them builds its own connection pool: with
gunicorn's four threads a process opened four times the connections its pool
allows. Here every thread of a process shares one pool per server, so the
cache's connection bound (bahk/backing_services.py) holds per process; redis-py's
pools notice a fork and start empty in the child.

Django also wraps the pool in a new redis.Redis on every cache call, and
building one costs ~145 µs of CPU (redis-py sets up its response callbacks
each time; bench/redis_cache.py). A client borrows a connection from the pool
for each command and is safe to share between threads, so one per pool does
the same work.
"""

import threading

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from redis import ConnectionPool

# This process's pools and clients, shared by every thread's cache object.
_pools: dict[tuple, ConnectionPool] = {}
_clients: dict[ConnectionPool, object] = {}
_pools_lock = threading.Lock()


class KeptClientRedisCacheClient(RedisCacheClient):
    def _get_connection_pool(self, write):
        server = self._servers[self._get_connection_pool_index(write)]
        # driver_info is a new object per cache object; the rest is what the settings said.
        options = tuple(
            sorted((name, repr(value)) for name, value in self._pool_options.items() if name != "driver_info")
        )
        key = (self._pool_class, server, options)
        pool = _pools.get(key)
        if pool is None:
            with _pools_lock:
                pool = _pools.setdefault(key, self._pool_class.from_url(server, **self._pool_options))
        return pool

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = _clients.get(pool)
        if client is None:
            # Two threads may both build one here; either serves.
            client = _clients.setdefault(pool, self._client(connection_pool=pool))
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = KeptClientRedisCacheClient

    def redis_client(self):
        """The cache's own redis-py client, for what Django's cache API has no call for (CONFIG GET maxclients)."""
        return self._cache.get_client(write=True)
