"""Django's Redis cache backend, with one redis-py client per connection pool.

Django's RedisCacheClient wraps its connection pool in a new redis.Redis on
every cache call, and building one costs ~145 µs of CPU (redis-py sets up its
response callbacks each time; bench/redis_cache.py). A client borrows a
connection from the pool for each command and is safe to share between
gunicorn's threads, so one per pool does the same work.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from redis import ConnectionPool
from redis.backoff import NoBackoff
from redis.retry import Retry


class KeptClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            # Two threads may both build one here; either serves.
            client = self._clients.setdefault(pool, self._client(connection_pool=pool))
        return client

    def tracking_pool(self, connect) -> ConnectionPool | None:
        """Connections for bahk/redis_tracking.py's listener, or None with more than one server.

        The cache's own URL and options (TLS, timeouts), so the listener reaches
        Redis exactly as the cache does, on RESP2 (see redis_tracking.py), with
        connect() run on every connection it opens and no silent retries. With
        replicas, reads go to one of them at random while invalidations come from
        the one the listener is on: no copy is kept then.
        """
        if len(self._servers) != 1:
            return None
        options = self._pool_options | {"protocol": 2, "retry": Retry(NoBackoff(), 0), "redis_connect_func": connect}
        return self._pool_class.from_url(self._servers[0], **options)


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = KeptClientRedisCacheClient

    def tracking_pool(self, connect) -> ConnectionPool | None:
        return self._cache.tracking_pool(connect)
