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
"""

import logging
import uuid
from typing import NamedTuple

from django.core.cache import cache, caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.db import transaction
from redis.exceptions import RedisError

from hub.bbox import MapQuery

logger = logging.getLogger(__name__)

VERSION_KEY = "hub:participants:version"
# Every viewport is its own key; expiring them keeps the cache's memory
# bounded, and bounds staleness should a version bump ever be lost (Redis
# down during a save).
BODY_SECONDS = 10 * 60
# What Django's RedisCache raises when Redis is down or slow: redis-py's own
# errors, and the socket's (connection refused, timeout).
CACHE_ERRORS = (RedisError, OSError)


class CachedMap(NamedTuple):
    """What is stored per query: a plain tuple pickles fast and survives a rename of this class."""

    count: int
    gzipped: bytes
    tag: str


def is_shared() -> bool:
    return not isinstance(caches["default"], (LocMemCache, DummyCache))


def data_version() -> str:
    """The current version; a new one when the cache has none (first use, eviction, an emptied Redis)."""
    return cache.get_or_set(VERSION_KEY, new_version, timeout=None)


def new_version() -> str:
    return uuid.uuid4().hex


def body_key(query: MapQuery, version: str) -> str:
    return f"hub:participants:map:{version}:{query.key}"


def read(key: str) -> CachedMap | None:
    entry = cache.get(key)
    return None if entry is None else CachedMap(*entry)


def store(key: str, entry: CachedMap) -> None:
    cache.set(key, tuple(entry), timeout=BODY_SECONDS)


def bump_version() -> None:
    """Make every cached map body unreachable. Never fails the change that called it."""
    if not is_shared():
        return
    try:
        cache.set(VERSION_KEY, new_version(), timeout=None)
    except CACHE_ERRORS:
        # The change itself is saved; cached bodies can be stale for BODY_SECONDS at most.
        logger.warning("participants map: data version not bumped; cached maps expire within %s s", BODY_SECONDS)


def participants_changed(sender, using, **kwargs) -> None:
    """post_save / post_delete receiver: bump once the change is committed.

    Bumping earlier would let a request read the new version, query before
    the commit, and cache the old rows under it.
    """
    transaction.on_commit(bump_version, using=using)
