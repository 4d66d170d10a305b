"""What a cache call costs with Django's Redis backend and with bahk.redis_cache, on a throwaway Redis.

Both backends run the same calls in this process against the same local
Redis; CPU time (process_time) per call is the figure that matters, since the
round trip to Redis is the same for both. Each backend runs ROUNDS rounds in
turn and the fastest round is kept: other processes only ever add time.

    .venv/bin/python bench/redis_cache.py [--calls 5000] [--rounds 5]

Prints one table and writes bench/results/redis_cache.json.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bahk.settings")

import django  # noqa: E402

django.setup()

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache  # noqa: E402

from bahk import backing_services  # noqa: E402
from bahk.redis_cache import RedisCache  # noqa: E402
from tests.servers import RedisServer  # noqa: E402

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
        best: dict[str, dict[str, tuple[float, float]]] = {name: {} for name in backends}
        for _ in range(args.rounds):
            for call_name, call in CALLS.items():
                for name, cache in backends.items():
                    measured = per_call(cache, call, args.calls)
                    kept = best[name].get(call_name)
                    if kept is None or measured[0] < kept[0]:
                        best[name][call_name] = measured
    finally:
        redis.stop()

    print(f"{'call':<20}{'backend':<22}{'CPU µs/call':>12}{'wall µs/call':>14}")
    print("-" * 68)
    for call_name in CALLS:
        for name in backends:
            cpu, wall = best[name][call_name]
            print(f"{call_name:<20}{name:<22}{cpu:>12.0f}{wall:>14.0f}")
    print(f"\n{args.calls} calls per round, best of {args.rounds} rounds; load average {os.getloadavg()[0]:.2f}")

    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / "redis_cache.json").write_text(
        json.dumps(
            {
                name: {call: {"cpu_us": c, "wall_us": w} for call, (c, w) in calls.items()}
                for name, calls in best.items()
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
