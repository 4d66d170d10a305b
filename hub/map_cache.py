"""The participants map's cache: gzipped bodies under a data version that changes whenever participants do.

Every participant save or delete (signals connected in hub/apps.py) and
every bulk load (seed_participants) replaces the version once the change
is committed, so a body cached before it can never be served again.
Code that changes participants without model signals, QuerySet.update()
or bulk_create(), must call bump_version() after it commits.

The version lives in the cache itself, so it is only as shared as the
cache: with Redis every dyno and worker process sees the same one. A
process-local cache (LocMemCache without REDIS_URL) cannot hear another
process's saves, so with one the map is not cached at all.

Every request needs the current version, and a Redis GET per request was
most of a warm answer's cost. So each process keeps the version in memory,
and Redis tells it the moment any process replaces it (hub/redis_tracking.py);
until the process is sure it hears Redis (at start, after any disconnect),
it reads the version from Redis as before.

A body stored under a version never changes, so no one needs telling when it
goes: each process keeps the bodies it served last in its own memory
(RecentBodies). A warm request then makes no network round trip at all.
"""

import logging
import threading
import time
import uuid
from collections import OrderedDict
from typing import NamedTuple

from django.core.cache import cache, caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction
from redis.exceptions import RedisError

from hub.bbox import MapQuery
from hub.redis_tracking import KeptValues

logger = logging.getLogger(__name__)

VERSION_KEY = "hub:participants:version"
# Part of every body key: change it when CachedMap changes, so no process
# unpickles an entry written by older code.
BODY_FORMAT = 1
# Every viewport is its own key; expiring them keeps the cache's memory
# bounded, and bounds staleness should a version bump ever be lost (Redis
# down during a save): a body lives this long in Redis, and as long again at
# most in a process that read it there.
BODY_SECONDS = 10 * 60
# Per process: about 70 bodies of 10,000 participants; 2 workers on a 512 MB dyno.
RECENT_BYTES = 16 * 1024 * 1024
# What the Redis cache raises when Redis is down or slow: redis-py's own
# errors, and the socket's (connection refused, timeout).
CACHE_ERRORS = (RedisError, OSError)


class CachedMap(NamedTuple):
    count: int
    gzipped: bytes
    tag: str

    def __repr__(self) -> str:
        # Sentry's cache spans size an item as len(str(value)): the repr of
        # 200 KB of bytes would cost 2 ms on every cache hit.
        return f"CachedMap(count={self.count}, {len(self.gzipped)} gzipped bytes, tag={self.tag!r})"


class RecentBodies:
    """The bodies this process served last, up to a total size and for BODY_SECONDS each; safe across threads.

    A body's version never changes, so age alone ends one: should a version
    bump be lost, a process must not serve its copy longer than Redis would.
    """

    def __init__(self, max_bytes: int, seconds: float = BODY_SECONDS, clock=time.monotonic):
        self.max_bytes = max_bytes
        self.seconds = seconds
        self.clock = clock
        self.size = 0
        self.entries: OrderedDict[str, tuple[CachedMap, float]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str) -> CachedMap | None:
        with self.lock:
            found = self.entries.get(key)
            if found is None:
                return None
            entry, expires = found
            if self.clock() >= expires:
                self._drop(key)
                return None
            self.entries.move_to_end(key)
            return entry

    def put(self, key: str, entry: CachedMap) -> None:
        with self.lock:
            if key in self.entries:
                self._drop(key)
            self.entries[key] = (entry, self.clock() + self.seconds)
            self.size += len(entry.gzipped)
            while self.size > self.max_bytes and self.entries:
                self._drop(next(iter(self.entries)))

    def _drop(self, key: str) -> None:
        entry, _ = self.entries.pop(key)
        self.size -= len(entry.gzipped)


recent = RecentBodies(RECENT_BYTES)
kept_version = KeptValues([VERSION_KEY])


def is_shared() -> bool:
    return not isinstance(caches["default"], (LocMemCache, DummyCache))


def data_version() -> str:
    """The current version, from this process's copy while Redis keeps it fresh, else from the cache."""
    return kept_version.get(VERSION_KEY, shared_version)


def shared_version() -> str:
    """The version in the cache; a new one when it has none (first use, eviction, an emptied Redis)."""
    return cache.get_or_set(VERSION_KEY, new_version, timeout=None)


def new_version() -> str:
    return uuid.uuid4().hex


def body_key(query: MapQuery, version: str) -> str:
    return f"hub:participants:map{BODY_FORMAT}:{version}:{query.key}"


def read(key: str) -> tuple[CachedMap | None, str]:
    """(the body, where it was found: "process" or "redis"), or (None, "") on a miss."""
    entry = recent.get(key)
    if entry is not None:
        return entry, "process"
    entry = cache.get(key)
    if entry is None:
        return None, ""
    recent.put(key, entry)
    return entry, "redis"


def store(key: str, entry: CachedMap) -> None:
    cache.set(key, entry, timeout=BODY_SECONDS)
    recent.put(key, entry)


def bump_version() -> None:
    """Make every cached map body unreachable. Never fails the change that called it."""
    if not is_shared():
        return
    try:
        cache.set(VERSION_KEY, new_version(), timeout=None)
    except CACHE_ERRORS:
        # The change itself is saved; cached bodies can be stale for twice BODY_SECONDS at most.
        logger.warning("participants map: data version not bumped; cached maps expire within %s s", 2 * BODY_SECONDS)
    # This process's next request reads the new version without waiting for Redis's message.
    kept_version.forget(VERSION_KEY)


def participants_changed(sender, using, **kwargs) -> None:
    """post_save / post_delete receiver: bump once the change is committed.

    Bumping earlier would let a request read the new version, query before
    the commit, and cache the old rows under it.
    """
    transaction.on_commit(bump_version, using=using)
