"""At most a few events per issue and dyno per window, each carrying the count of lines it stands for.

A storm of 1,000 H12s must cost the user's Sentry quota a few events, not
1,000, and still say how many there were. admit() is asked once per issue
and dyno per drain batch, with the number of lines the batch had for it:

- within the window's limit, it answers the count the event should carry:
  these lines plus any held back earlier;
- over the limit, the lines are held back (counted) and it answers None;
- held-back lines ride on the next event for that issue and dyno, or on a
  summary event once the window is over (due() lists those).

The counters live in a Store: the Django cache (Redis when REDIS_URL is
set) shares them between dynos, so the limit holds for the whole app.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


class Store(Protocol):
    def increment(self, key: str, amount: int, ttl: int) -> int: ...

    def take(self, key: str) -> int: ...


@dataclass(frozen=True)
class Held:
    window: int  # index of the window the lines were held back in
    limit: int
    seconds: int
    sample: object  # what the summary event will be about


class Throttle:
    def __init__(self, store: Store, clock: Callable[[], float] = time.time):
        self.store = store
        self.clock = clock
        # Issues this process held lines back for: it owes their summary once the window is over.
        self.held: dict[str, Held] = {}

    def admit(self, key: str, count: int, *, limit: int, seconds: int, sample: object = None) -> int | None:
        window = int(self.clock() // seconds)
        sent = self.store.increment(f"{key}:sent:{window}", 1, ttl=2 * seconds)
        if sent > limit:
            self.store.increment(f"{key}:held", count, ttl=HELD_TTL)
            self.held[key] = Held(window, limit, seconds, sample)
            return None
        self.held.pop(key, None)
        return count + self.store.take(f"{key}:held")

    def due(self) -> list[tuple[str, object]]:
        """(key, sample) of the issues with lines held back in a window that is now over."""
        now = self.clock()
        return [(key, held.sample) for key, held in self.held.items() if int(now // held.seconds) > held.window]

    def release(self, key: str) -> int | None:
        """The count a summary event for a due issue should carry; None while the window is full, 0 when another
        process already sent it."""
        held = self.held.pop(key, None)
        if held is None:
            return 0
        return self.admit(key, 0, limit=held.limit, seconds=held.seconds, sample=held.sample)


# Held-back counts outlive any window: they are sent, however late, with the next event.
HELD_TTL = 24 * 60 * 60


class MemoryStore:
    """One process's counters: for tests, and for the drain when the shared cache fails."""

    def __init__(self, clock: Callable[[], float] = time.time):
        self.clock = clock
        self.values: dict[str, tuple[int, float]] = {}

    def increment(self, key: str, amount: int, ttl: int) -> int:
        value, expires = self.values.get(key, (0, 0.0))
        now = self.clock()
        if expires <= now:
            value, expires = 0, now + ttl
        self.values[key] = (value + amount, expires)
        return value + amount

    def take(self, key: str) -> int:
        value, expires = self.values.pop(key, (0, 0.0))
        return value if expires > self.clock() else 0


class CacheStore:
    """Counters in a Django cache: shared between processes and dynos when the cache is Redis."""

    def __init__(self, cache, prefix: str):
        self.cache = cache
        self.prefix = prefix

    def increment(self, key: str, amount: int, ttl: int) -> int:
        key = self.prefix + key
        self.cache.add(key, 0, ttl)
        return self.cache.incr(key, amount) if amount else self.cache.get(key, 0)

    def take(self, key: str) -> int:
        key = self.prefix + key
        value = self.cache.get(key)
        if not value:
            return 0
        # Subtract what was read rather than delete: lines another dyno holds back meanwhile stay counted.
        self.cache.decr(key, value)
        return value
