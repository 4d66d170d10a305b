"""The drain's throttle: a few events per issue and dyno per window, and every line counted in one of them."""

import uuid

import pytest
from django.core.cache.backends.locmem import LocMemCache

from sentry_heroku.drain.throttle import CacheStore, MemoryStore, Throttle


class Clock:
    def __init__(self, now: float = 1_000_020.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


def fresh_cache() -> LocMemCache:
    # LocMemCache instances with the same name share their data.
    return LocMemCache(uuid.uuid4().hex, {})


@pytest.fixture(params=["memory", "cache"])
def throttle(request):
    clock = Clock()
    store = MemoryStore(clock) if request.param == "memory" else CacheStore(fresh_cache(), prefix="t:")
    return Throttle(store, clock)


def test_within_the_limit_each_batch_is_one_event_carrying_its_lines(throttle):
    assert [throttle.admit("H12/web.1", 100, limit=3, seconds=60) for _ in range(3)] == [100, 100, 100]


def test_issues_and_dynos_are_throttled_separately(throttle):
    assert throttle.admit("H12/web.1", 1, limit=1, seconds=60) == 1
    assert throttle.admit("H12/web.1", 1, limit=1, seconds=60) is None
    assert throttle.admit("H12/web.2", 1, limit=1, seconds=60) == 1
    assert throttle.admit("R14/web.1", 1, limit=1, seconds=60) == 1


def test_over_the_limit_lines_are_held_and_ride_on_the_next_windows_first_event():
    clock = Clock()
    throttle = Throttle(MemoryStore(clock), clock)
    sent = [throttle.admit("H12/web.1", 100, limit=3, seconds=60) for _ in range(10)]
    assert sent == [100, 100, 100] + [None] * 7
    clock.now += 60
    assert throttle.admit("H12/web.1", 5, limit=3, seconds=60) == 705
    assert sum(count for count in sent if count) + 705 == 1005


def test_lines_held_when_a_storm_stops_are_due_as_a_summary_once_the_window_is_over():
    clock = Clock()
    throttle = Throttle(MemoryStore(clock), clock)
    for _ in range(5):
        throttle.admit("R14/worker.1", 2, limit=2, seconds=60, sample="the R14")
    assert throttle.due() == []
    clock.now += 60
    assert throttle.due() == [("R14/worker.1", "the R14")]
    assert throttle.release("R14/worker.1") == 6
    assert throttle.due() == []


def test_two_processes_sharing_a_store_share_the_limit_and_each_report_what_they_held():
    clock = Clock()
    shared = MemoryStore(clock)
    web1, web2 = Throttle(shared, clock), Throttle(shared, clock)
    assert web1.admit("H12/web.1", 10, limit=2, seconds=60) == 10
    assert web2.admit("H12/web.1", 10, limit=2, seconds=60) == 10
    assert web1.admit("H12/web.1", 10, limit=2, seconds=60) is None
    assert web2.admit("H12/web.1", 10, limit=2, seconds=60) is None
    assert web2.admit("H12/web.1", 5, limit=2, seconds=60) is None
    clock.now += 60
    assert web1.release("H12/web.1") == 10
    assert web2.release("H12/web.1") == 15
    assert web1.due() == web2.due() == []


def test_a_window_starts_with_the_first_event_not_on_the_clock():
    clock = Clock(599.5)  # half a second before a 10-minute mark
    throttle = Throttle(MemoryStore(clock), clock)
    assert throttle.admit("memory/web.1", 1, limit=1, seconds=600) == 1
    clock.now += 1
    assert throttle.admit("memory/web.1", 1, limit=1, seconds=600) is None
    clock.now += 600
    assert throttle.admit("memory/web.1", 1, limit=1, seconds=600) == 2


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


def test_cache_stores_on_one_cache_count_together_and_mark_once():
    cache = fresh_cache()
    web1, web2 = CacheStore(cache, prefix="t:"), CacheStore(cache, prefix="t:")
    assert [web1.increment("k", 1, 60), web2.increment("k", 1, 60), web1.increment("k", 5, 60)] == [1, 2, 7]
    assert [web1.add("frame", 60), web2.add("frame", 60)] == [True, False]


def test_threads_sharing_a_throttle_count_every_line_once():
    """gunicorn serves drain batches on several threads of one process, all through the one throttle."""
    import sys
    import threading

    clock = Clock()
    throttle = Throttle(MemoryStore(clock), clock)
    lines_per_thread, threads = 2000, 4
    carried, errors = [], []

    def drain(thread: int) -> None:
        try:
            for number in range(lines_per_thread):
                # New issues keep arriving, most over their limit, while other threads list what is due.
                carried.append(throttle.admit(f"H12/web.{thread}/{number % 500}", 1, limit=1, seconds=60) or 0)
                throttle.due()
        except Exception as error:  # the assertion below names it
            errors.append(error)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        workers = [threading.Thread(target=drain, args=(thread,)) for thread in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    finally:
        sys.setswitchinterval(interval)

    assert errors == []
    clock.now += 60
    released = sum(throttle.release(key) or 0 for key, _ in throttle.due())
    assert sum(carried) + released == lines_per_thread * threads
