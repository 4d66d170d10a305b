"""Django's Redis cache backend, with one redis-py client per connection pool.

Django's RedisCacheClient wraps its connection pool in a new redis.Redis on
every cache call, and building one costs ~145 µs of CPU (redis-py sets up its
response callbacks each time; bench/redis_cache.py). A client borrows a
connection from the pool for each command and is safe to share between
gunicorn's threads, so one per pool does the same work.
"""

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient


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


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = KeptClientRedisCacheClient
