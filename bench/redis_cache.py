"""What a cache call costs with Django's Redis backend and with bahk.redis_cache, on a throwaway Redis.

Both backends run the same calls in this process against the same local
Redis; CPU time (process_time) per call is the figure that matters, since the
round trip to Redis is the same for both. The backends take turns call by
call in every round, and each figure is the median over the rounds, as
bench/cpu.py does for the web process.

    .venv/bin/python -m bench.redis_cache [--calls 5000] [--rounds 5]

Prints one table and writes bench/results/redis_cache.json.
"""

import argparse
import os
import statistics
import sys
import time

from bench import save
from tests.support.servers import RedisServer

VALUE = {"participants": [{"id": number, "lat": 52.0, "lon": 4.3} for number in range(20)]}
CALLS = {
    "get (hit)": lambda cache: cache.get("bench:value"),
    "get (miss)": lambda cache: cache.get("bench:missing"),
    "set": lambda cache: cache.set("bench:value", VALUE, 60),
    "get_many (3 keys)": lambda cache: cache.get_many(["bench:value", "bench:a", "bench:b"]),
}


def per_call(cache, call, calls: int) -> tuple[float, float]:
    """(CPU µs, wall µs) per call."""
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(calls):
        call(cache)
    return (time.process_time() - cpu) * 1e6 / calls, (time.perf_counter() - wall) * 1e6 / calls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bahk.settings")
    import django

    django.setup()
    from django.core.cache.backends.redis import RedisCache as DjangoRedisCache

    from bahk import backing_services
    from bahk.redis_cache import RedisCache

    redis = RedisServer().start()
    try:
        settings = backing_services.redis_cache(redis.url)
        params = {"OPTIONS": settings["OPTIONS"]}
        backends = {
            "Django's RedisCache": DjangoRedisCache(redis.url, params),
            "bahk.redis_cache": RedisCache(redis.url, params),
        }
        for cache in backends.values():
            cache.set("bench:value", VALUE, 60)
            per_call(cache, CALLS["get (hit)"], 500)  # connect and warm up
        rounds: dict[str, dict[str, list[tuple[float, float]]]] = {
            name: {call_name: [] for call_name in CALLS} for name in backends
        }
        for round_number in range(args.rounds):
            # Every other round backwards, so slow drift in the machine's load favours neither backend.
            order = list(backends) if round_number % 2 == 0 else list(backends)[::-1]
            for call_name, call in CALLS.items():
                for name in order:
                    rounds[name][call_name].append(per_call(backends[name], call, args.calls))
    finally:
        redis.stop()

    medians = {
        name: {
            call_name: {
                "cpu_us": statistics.median(cpu for cpu, _ in measured),
                "wall_us": statistics.median(wall for _, wall in measured),
                "cpu_us_per_round": [cpu for cpu, _ in measured],
            }
            for call_name, measured in calls.items()
        }
        for name, calls in rounds.items()
    }
    print(f"{'call':<20}{'backend':<22}{'CPU µs/call':>12}{'wall µs/call':>14}")
    print("-" * 68)
    for call_name in CALLS:
        for name in backends:
            figure = medians[name][call_name]
            print(f"{call_name:<20}{name:<22}{figure['cpu_us']:>12.0f}{figure['wall_us']:>14.0f}")
    load_average = os.getloadavg()[0]
    print(f"\n{args.calls} calls per round, median of {args.rounds} rounds; load average {load_average:.2f}")
    save("redis_cache", {"calls_per_round": args.calls, "load_average": load_average, "backends": medians})
    return 0


if __name__ == "__main__":
    sys.exit(main())
