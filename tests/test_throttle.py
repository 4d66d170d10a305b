"""The drain's throttle: a few events per issue and dyno per window, and every line counted in one of them."""

import uuid

import pytest
from django.core.cache.backends.locmem import LocMemCache

from sentry_heroku.throttle import CacheStore, MemoryStore, Throttle


class Clock:
    def __init__(self, now: float = 1_000_020.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def memory_throttle(clock):
    return Throttle(MemoryStore(clock), clock)


def fresh_cache() -> LocMemCache:
    # LocMemCache instances with the same name share their data.
    return LocMemCache(uuid.uuid4().hex, {})


def cache_throttle(clock):
    return Throttle(CacheStore(fresh_cache(), prefix="t:"), clock)


@pytest.fixture(params=[memory_throttle, cache_throttle], ids=["memory", "cache"])
def make(request):
    return request.param


def test_within_the_limit_each_batch_is_one_event_carrying_its_lines(make):
    clock = Clock()
    throttle = make(clock)
    assert [throttle.admit("H12/web.1", 100, limit=3, seconds=60) for _ in range(3)] == [100, 100, 100]


def test_over_the_limit_lines_are_held_and_ride_on_the_next_windows_first_event(make):
    clock = Clock()
    throttle = make(clock)
    sent = [throttle.admit("H12/web.1", 100, limit=3, seconds=60) for _ in range(10)]
    assert sent == [100, 100, 100] + [None] * 7
    clock.now += 60
    assert throttle.admit("H12/web.1", 5, limit=3, seconds=60) == 705
    assert sum(count for count in sent if count) + 705 == 1005


def test_lines_held_when_a_storm_stops_are_due_as_a_summary_once_the_window_is_over(make):
    clock = Clock()
    throttle = make(clock)
    for _ in range(5):
        throttle.admit("R14/worker.1", 2, limit=2, seconds=60, sample="the R14")
    assert throttle.due() == []
    clock.now += 60
    assert throttle.due() == [("R14/worker.1", "the R14")]
    assert throttle.release("R14/worker.1") == 6
    assert throttle.due() == []


def test_issues_and_dynos_are_throttled_separately(make):
    clock = Clock()
    throttle = make(clock)
    assert throttle.admit("H12/web.1", 1, limit=1, seconds=60) == 1
    assert throttle.admit("H12/web.1", 1, limit=1, seconds=60) is None
    assert throttle.admit("H12/web.2", 1, limit=1, seconds=60) == 1
    assert throttle.admit("R14/web.1", 1, limit=1, seconds=60) == 1


def test_two_processes_sharing_a_cache_share_the_limit_and_each_report_what_they_held():
    clock = Clock()
    cache = fresh_cache()
    web1, web2 = (Throttle(CacheStore(cache, prefix="t:"), clock) for _ in range(2))
    assert web1.admit("H12/web.1", 10, limit=2, seconds=60) == 10
    assert web2.admit("H12/web.1", 10, limit=2, seconds=60) == 10
    assert web1.admit("H12/web.1", 10, limit=2, seconds=60) is None
    assert web2.admit("H12/web.1", 10, limit=2, seconds=60) is None
    assert web2.admit("H12/web.1", 5, limit=2, seconds=60) is None
    clock.now += 60
    assert web1.release("H12/web.1") == 10
    assert web2.release("H12/web.1") == 15
    assert web1.due() == web2.due() == []


class CountingStore(MemoryStore):
    calls = 0

    def increment(self, key, amount, ttl):
        self.calls += 1
        return super().increment(key, amount, ttl)


def test_a_full_window_costs_no_round_trip_to_the_store():
    clock = Clock()
    store = CountingStore(clock)
    throttle = Throttle(store, clock)
    for _ in range(100):
        throttle.admit("H12/web.1", 1, limit=3, seconds=60)
    assert store.calls == 4


def test_a_memory_warning_waits_ten_minutes_per_dyno():
    clock = Clock(6000.0)
    throttle = memory_throttle(clock)
    assert throttle.admit("memory/web.1", 1, limit=1, seconds=600) == 1
    clock.now += 300
    assert throttle.admit("memory/web.1", 1, limit=1, seconds=600) is None
    clock.now += 300
    assert throttle.admit("memory/web.1", 1, limit=1, seconds=600) == 2
