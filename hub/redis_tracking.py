"""Values from the Redis cache kept in this process's memory, dropped the moment Redis says they changed.

A value that every request reads and that rarely changes (the participants
map's data version) costs a Redis round trip per request when it is read
from the cache. Keeping it in memory is only right if the process hears
of every change, from every process, at once. Redis tells it: server-
assisted client tracking, which every Redis and Valkey from 6 on has.

Step by step, in each process (gunicorn's workers fork from a master that
only imported the app, so all of this starts on the first read after the
fork, never at import):

1. A listener thread opens one connection with the cache's own URL and
   options (TLS, timeouts), its pool capped at one (LISTENER_CONNECTIONS,
   which the capacity report counts per process), on RESP2: redis-py's RESP3 client-side cache
   refuses Redis before 7.4, and Heroku's Key-Value Store is Valkey 7.2.
2. On it, every time it connects: CLIENT TRACKING ON REDIRECT <its own id>
   BCAST PREFIX <each kept key>; then SUBSCRIBE __redis__:invalidate. From
   then on Redis sends it the name of each kept key that any client writes
   or deletes, or that expires or is evicted, and nil when the database is
   flushed.
3. The copy is trusted only once that subscription is confirmed; every
   message drops the keys it names.
4. A read the copy cannot answer asks Redis and keeps the answer, unless
   a message or a reconnect came while it asked: the answer may predate it.
5. Any error or reconnect drops the whole copy and distrusts it until step
   2 is done again: a missed message cannot be told from no message. So
   does silence: after HEARTBEAT_SECONDS of quiet the listener pings, and
   the copy answers only while Redis was heard within TRUST_SECONDS, so a
   connection that died without a word stops answering within that.

Redis queues a write's invalidation before it sends the writer its reply
(beforeSleep: trackingBroadcastInvalidationMessages, then the pending
writes), so a request that starts after a save has been answered finds the
copy already dropped, once the listener thread has had the GIL for a moment.
The process that writes a kept key drops its own copy at once (forget())
and reads its own writes without waiting for Redis.
"""

import functools
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import redis
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.signals import setting_changed
from redis import ConnectionPool
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

logger = logging.getLogger(__name__)

INVALIDATION_CHANNEL = "__redis__:invalidate"
# Quiet this long, the listener pings Redis; a ping unanswered for as long
# again ends the connection.
HEARTBEAT_SECONDS = 1.0
# The copy answers only while Redis was heard this recently: three
# heartbeats, so a busy process's listener can wait for the GIL.
TRUST_SECONDS = 3.0
# Between attempts to reach Redis again.
RETRY_SECONDS = 1.0

# One subscribed connection per process; bahk/capacity.py counts it.
LISTENER_CONNECTIONS = 1

MISSING = object()


class LocalCopy:
    """Values by Redis key and whether they may be served; no I/O, safe across threads.

    The generation changes with every message, subscription and loss, so a
    read that asked Redis before one of them cannot keep its answer.
    """

    def __init__(self, trust_seconds: float = TRUST_SECONDS):
        self.trust_seconds = trust_seconds
        self.values: dict[bytes, object] = {}
        self.generation = 0
        self.listening = False
        self.trusted_until = float("-inf")
        self.lock = threading.Lock()

    def get(self, key: bytes, now: float):
        """The kept value, or MISSING when there is none or the copy is not trusted now."""
        with self.lock:
            if now >= self.trusted_until:
                return MISSING
            return self.values.get(key, MISSING)

    def read_started(self) -> int:
        with self.lock:
            return self.generation

    def keep(self, key: bytes, value, started: int, now: float) -> None:
        """Keep what Redis answered to a read begun at generation `started`, if nothing has happened since."""
        with self.lock:
            if started == self.generation and now < self.trusted_until:
                self.values[key] = value

    def invalidate(self, keys: Iterable[bytes] | None) -> None:
        """These keys changed; None: all of them (the database was flushed)."""
        with self.lock:
            self.generation += 1
            if keys is None:
                self.values.clear()
            else:
                for key in keys:
                    self.values.pop(key, None)

    def subscribed(self, now: float) -> None:
        with self.lock:
            self.generation += 1
            self.listening = True
            self.trusted_until = now + self.trust_seconds

    def heard(self, now: float) -> None:
        with self.lock:
            if self.listening:
                self.trusted_until = now + self.trust_seconds

    def lost(self) -> None:
        with self.lock:
            self.generation += 1
            self.listening = False
            self.trusted_until = float("-inf")
            self.values.clear()


def apply(copy: LocalCopy, message: dict, now: float) -> None:
    """What one message from the listener's connection means for the copy."""
    if message["type"] == "subscribe":
        copy.subscribed(now)
        return
    copy.heard(now)
    if message["type"] == "message":
        data = message["data"]
        copy.invalidate(data if isinstance(data, list) else None)


def start_tracking(copy: LocalCopy, prefixes: list[bytes], connection) -> None:
    """redis-py runs this on each connect of the listener's connection, before it (re)subscribes: in RESP2 a
    subscribed connection accepts nothing but (UN)SUBSCRIBE and PING."""
    connection.on_connect()  # what redis-py does without this hook: AUTH, SELECT, CLIENT SETINFO
    copy.lost()  # a new connection: whatever the old one missed is unknown
    connection.send_command("CLIENT", "ID")
    own_id = connection.read_response()
    prefix_args = [part for prefix in prefixes for part in ("PREFIX", prefix)]
    connection.send_command("CLIENT", "TRACKING", "ON", "REDIRECT", own_id, "BCAST", *prefix_args)
    connection.read_response()  # an error reply raises


class Listener(threading.Thread):
    """Keeps the tracking connection open, feeds its messages to the copy, and reconnects."""

    def __init__(self, copy: LocalCopy, pool: redis.ConnectionPool):
        super().__init__(name="redis-invalidation-listener", daemon=True)
        self.copy = copy
        self.pool = pool
        self.stopping = threading.Event()
        self.subscribed = False  # in the current connection's life

    def run(self) -> None:
        reported = False  # this outage, already logged: once per outage, not once per retry
        while not self.stopping.is_set():
            self.subscribed = False
            try:
                self.listen()
            except redis.ResponseError as error:
                # CLIENT refused (an ACL, a provider's disabled commands): asking again will not help.
                logger.warning("Redis refused client tracking (%s); reading from Redis every time", error)
                self.stopping.set()
            except (RedisError, OSError) as error:
                if self.subscribed or not reported:
                    logger.warning("Redis invalidations lost (%s); reading from Redis until back", type(error).__name__)
                reported = True
            finally:
                self.copy.lost()
            self.stopping.wait(RETRY_SECONDS)
        self.pool.disconnect()

    def listen(self) -> None:
        """One connection's life: subscribe, then apply each message; raises when the connection ends."""
        pubsub = redis.Redis(connection_pool=self.pool).pubsub()
        try:
            pubsub.subscribe(INVALIDATION_CHANNEL)
            pinged = False
            while not self.stopping.is_set():
                message = pubsub.get_message(timeout=HEARTBEAT_SECONDS)
                if message is None:
                    if pinged:
                        raise redis.TimeoutError("Redis did not answer PING")
                    pubsub.ping()
                    pinged = True
                    continue
                pinged = False
                apply(self.copy, message, time.monotonic())
                self.subscribed = self.subscribed or message["type"] == "subscribe"
        finally:
            pubsub.close()

    def stop(self) -> None:
        self.stopping.set()


@dataclass(frozen=True)
class Tracking:
    """One process's copy and its listener; no copy unless the cache is a single-server Redis."""

    copy: LocalCopy | None = None
    redis_keys: dict[str, bytes] | None = None
    listener: Listener | None = None


class KeptValues:
    """Some keys of a cache, kept in each process's memory while Redis tracks them for it.

    get(key, load) answers from memory, or calls load() (which reads the
    cache) and keeps its answer. A process that writes a key calls forget(key)
    after the write.
    """

    def __init__(self, keys: Iterable[str], alias: str = "default"):
        self.keys = tuple(keys)
        self.alias = alias
        self.tracking: Tracking | None = None
        self.starting = threading.Lock()
        # A forked child has neither the parent's listener thread nor, safely, its lock.
        os.register_at_fork(after_in_child=self.forget_parent)
        # Tests swap CACHES; a listener on the old one would keep a copy of another Redis.
        setting_changed.connect(self.settings_changed, weak=False)

    def get(self, key: str, load: Callable):
        tracking = self.tracking or self.start()
        if tracking.copy is None:
            return load()
        redis_key = tracking.redis_keys[key]
        value = tracking.copy.get(redis_key, time.monotonic())
        if value is not MISSING:
            return value
        started = tracking.copy.read_started()
        value = load()
        tracking.copy.keep(redis_key, value, started, time.monotonic())
        return value

    def forget(self, key: str) -> None:
        tracking = self.tracking
        if tracking is not None and tracking.copy is not None:
            tracking.copy.invalidate([tracking.redis_keys[key]])

    def listening(self) -> bool:
        """Whether Redis is telling this process of changes right now."""
        tracking = self.tracking
        return tracking is not None and tracking.copy is not None and tracking.copy.listening

    def start(self) -> Tracking:
        with self.starting:
            if self.tracking is None:
                self.tracking = self.track(caches[self.alias])
            return self.tracking

    def track(self, cache) -> Tracking:
        if not isinstance(cache, RedisCache):
            return Tracking()
        copy = LocalCopy()
        redis_keys = {key: cache.make_key(key).encode() for key in self.keys}
        pool = listener_pool(cache, functools.partial(start_tracking, copy, list(redis_keys.values())))
        if pool is None:
            return Tracking()
        listener = Listener(copy, pool)
        listener.start()
        return Tracking(copy, redis_keys, listener)

    def stop(self) -> None:
        with self.starting:
            if self.tracking is not None and self.tracking.listener is not None:
                self.tracking.listener.stop()
            self.tracking = None

    def forget_parent(self) -> None:
        self.tracking = None
        self.starting = threading.Lock()

    def settings_changed(self, setting, **kwargs) -> None:
        if setting == "CACHES":
            self.stop()


def listener_pool(cache: RedisCache, connect) -> ConnectionPool | None:
    """Connections for the listener, or None when the cache has more than one server.

    The cache's own URL and options (TLS, timeouts), so the listener reaches Redis exactly as
    the cache does, on RESP2 (see above), with connect() run on every connection it opens and no
    silent retries. With replicas, reads go to one of them at random while invalidations come
    from the one the listener is on: no copy is kept then.
    """
    # Django's RedisCacheClient keeps the servers and pool options it was given, and has no public
    # accessor for them: read them where it keeps them (Django's backend, or the project's subclass).
    client = cache._cache
    if len(client._servers) != 1:
        return None
    options = client._pool_options | {
        "protocol": 2,
        "retry": Retry(NoBackoff(), 0),
        "redis_connect_func": connect,
        "max_connections": LISTENER_CONNECTIONS,
    }
    return client._pool_class.from_url(client._servers[0], **options)
