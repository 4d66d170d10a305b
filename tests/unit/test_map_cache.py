"""The process's own store of recent map bodies: bounded by size and age, oldest use dropped first."""

from hub.map_cache import CachedMap, RecentBodies


def body(size: int) -> CachedMap:
    return CachedMap(count=1, gzipped=b"x" * size, tag="t")


def test_recent_bodies_drop_the_least_recently_used_beyond_their_size():
    recent = RecentBodies(max_bytes=250)
    for key in "abc":
        recent.put(key, body(100))  # "a" goes: 300 bytes > 250
    assert recent.get("a") is None
    assert recent.get("b") is not None  # "b" is now the most recent
    recent.put("d", body(100))
    assert (recent.get("c"), recent.size) == (None, 200)
    assert recent.get("b") is not None and recent.get("d") is not None


def test_a_body_larger_than_the_whole_store_is_not_kept():
    recent = RecentBodies(max_bytes=50)
    recent.put("big", body(100))
    assert (recent.get("big"), recent.size) == (None, 0)


def test_a_body_is_not_served_from_memory_longer_than_it_lives_in_redis():
    now = [0.0]
    recent = RecentBodies(max_bytes=1000, seconds=600, clock=lambda: now[0])
    recent.put("a", body(100))
    now[0] = 599.9
    assert recent.get("a") is not None
    now[0] = 600.0
    assert (recent.get("a"), recent.size) == (None, 0)
    recent.put("a", body(100))  # read from Redis again: a new lifetime
    now[0] = 1199.9
    assert recent.get("a") is not None


def test_cached_map_repr_stays_short_whatever_the_body():
    assert len(repr(body(1_000_000))) < 100
