"""At most a few events per issue and dyno per window, each carrying the count of lines it stands for.

A storm of 1,000 H12s must cost the user's Sentry quota a few events, not
1,000, and still say how many there were. admit() is asked once per issue
and dyno per drain batch, with the number of lines the batch had for it:

- within the window's limit, it answers the count the event should carry:
  these lines plus any this process held back before;
- over the limit, the lines are held back (counted) and it answers None;
- held-back lines ride on this process's next event for that issue and
  dyno, or on a summary event once the window is over (due() lists those).

A window starts with the issue's first event and lasts its seconds, so "one
memory warning per dyno per 10 minutes" holds across any clock boundary. Its
count of events sent lives in a Store: the Django cache (Redis when REDIS_URL
is set) shares it between dynos, so the limit holds for the whole app. Once a
window is full, this process stops asking the store until it is surely over:
a storm costs no round trip per batch.

gunicorn serves drain batches on several threads of a process, all through
its one throttle: a Throttle and a MemoryStore are safe to share between them.
The two stores also keep what scheduler.py remembers of a scheduler.N dyno
between batches.
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


class Store(Protocol):
    def increment(self, key: str, amount: int, ttl: int) -> int:
        """The key's new value; a new key starts at amount and expires ttl seconds later."""


@dataclass(slots=True)
class _Held:
    until: float  # when the full window is over at the latest
    limit: int
    seconds: int
    sample: object  # what the summary event will be about
    count: int  # lines held back


class Throttle:
    def __init__(self, store: Store, clock: Callable[[], float] = time.time):
        self.store = store
        self.clock = clock
        self.held: dict[str, _Held] = {}
        # Held back lines are counted once: no two threads read and replace an issue's entry at once.
        self.lock = threading.Lock()

    def admit(self, key: str, count: int, *, limit: int, seconds: int, sample: object = None) -> int | None:
        with self.lock:
            return self._admit(key, count, limit=limit, seconds=seconds, sample=sample)

    def _admit(self, key: str, count: int, *, limit: int, seconds: int, sample: object) -> int | None:
        now = self.clock()
        held = self.held.get(key)
        if held is not None and now < held.until:
            held.count += count
            return None
        carried = held.count if held is not None else 0
        if self.store.increment(key, 1, ttl=seconds) > limit:
            self.held[key] = _Held(now + seconds, limit, seconds, sample, carried + count)
            return None
        self.held.pop(key, None)
        return carried + count

    def due(self) -> list[tuple[str, object]]:
        """(key, sample) of the issues with lines held back in a window that is now over."""
        now = self.clock()
        with self.lock:
            return [(key, held.sample) for key, held in self.held.items() if now >= held.until]

    def release(self, key: str) -> int | None:
        """The count a summary event for a due issue should carry; None while its window is still full."""
        with self.lock:
            held = self.held.get(key)
            if held is None:
                return None
            return self._admit(key, 0, limit=held.limit, seconds=held.seconds, sample=held.sample)


class MemoryStore:
    """One process's counters, markers and values: for tests, and for the drain while the shared cache fails."""

    def __init__(self, clock: Callable[[], float] = time.time):
        self.clock = clock
        self.values: dict[str, tuple[object, float]] = {}
        self.lock = threading.Lock()

    def increment(self, key: str, amount: int, ttl: int) -> int:
        with self.lock:
            value, expires = self.values.get(key, (0, 0.0))
            now = self.clock()
            if expires <= now:
                value, expires = 0, now + ttl
                self._forget_expired(now)
            self.values[key] = (value + amount, expires)
            return value + amount

    def add(self, key: str, ttl: int) -> bool:
        """True the first time key is added within ttl seconds."""
        return self.increment(key, 1, ttl) == 1

    def get(self, key: str) -> object | None:
        with self.lock:
            value, expires = self.values.get(key, (None, 0.0))
            return value if expires > self.clock() else None

    def set(self, key: str, value: object, ttl: int) -> None:
        with self.lock:
            now = self.clock()
            self._forget_expired(now)
            self.values[key] = (value, now + ttl)

    def delete(self, key: str) -> bool:
        """True when this call removed a live value: of two callers, one."""
        with self.lock:
            _, expires = self.values.pop(key, (None, 0.0))
            return expires > self.clock()

    def _forget_expired(self, now: float) -> None:
        if len(self.values) > 10_000:  # now and then
            self.values = {k: v for k, v in self.values.items() if v[1] > now}


class CacheStore:
    """Counters and markers in a Django cache: shared between processes and dynos when the cache is Redis."""

    def __init__(self, cache, prefix: str):
        self.cache = cache
        self.prefix = prefix

    def increment(self, key: str, amount: int, ttl: int) -> int:
        key = self.prefix + key
        for _ in range(2):
            if self.cache.add(key, amount, ttl):
                return amount
            try:
                return self.cache.incr(key, amount)  # keeps the key's expiry: the window does not slide
            except ValueError:  # it expired between the two calls
                continue
        return amount

    def add(self, key: str, ttl: int) -> bool:
        return self.cache.add(self.prefix + key, 1, ttl)

    def get(self, key: str) -> object | None:
        return self.cache.get(self.prefix + key)

    def set(self, key: str, value: object, ttl: int) -> None:
        self.cache.set(self.prefix + key, value, ttl)

    def delete(self, key: str) -> bool:
        """True when this call removed the value (Redis's DEL counts it): of two dynos, one."""
        return bool(self.cache.delete(self.prefix + key))
