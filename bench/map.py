"""How fast FastParticipantsMapView is, against what it could be and what it replaces.

For 1,000, 10,000 and 100,000 seeded participants in a throwaway PostgreSQL
(with Redis as the cache), the Procfile's web command with WEB_CONCURRENCY=2
serves, and wrk on loopback drives, each case in --rounds interleaved windows
of --duration seconds:

  warm       the view, body in the cache (the page's first request: the world, default limit)
  cold       the view, a cache miss every time (a wrk script varies the bbox by 1e-6 degree per request)
  naive      the usual way: model instances, a dict per row, JsonResponse (bench/shims/map_urls.py)
  ceiling    Django ceiling: the view's bytes and headers from a view that does nothing else
  raw        raw ceiling: the same gunicorn serving those bytes from a plain WSGI callable (bench/shims/map_raw.py)
  sentry 0 / 0.1 / 1.0   warm, with Sentry on (errors only, production traces rate, every request traced)
             into a loopback SentrySink; at 10,000 participants only

Every request asks for gzip, as browsers do (naive's JsonResponse ignores it).
The figure is bench/cpu.py's: CPU per request of the serving dyno's process
group, the median over the rounds, with throughput and latency beside it.
Then, in-process, what each middleware costs the ceiling view per request
(the gap between the Django and raw ceilings).

    .venv/bin/python -m bench.map [--duration 2] [--rounds 5] [--sizes 1000,10000,100000]

Prints one table and writes bench/results/map.json.
"""

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench import cpu, save
from tests.support.processes import Process, clean_env, http_get, migrate, run_command, start_web
from tests.support.sentry_sink import SentrySink
from tests.support.servers import PostgresServer, RedisServer, free_port, wait_until

MAP_PATH = "/api/participants/map/?bbox=-180,-90,180,90"
GZIP = {"Accept-Encoding": "gzip"}
# Two gunicorn workers with four threads each: eight requests in flight fill them.
CONNECTIONS = 8
SENTRY_RATES = {"sentry 0": "0", "sentry 0.1": "0.1", "sentry 1.0": "1.0"}
# Headers that belong to the connection, not the response.
HOP_HEADERS = {"date", "server", "connection", "keep-alive", "transfer-encoding"}

# A different minLon every request, so every request misses the cache: it
# steps by 1e-6 degree, the bbox's precision. A later round's run starts
# where the last one did, so each run also moves minLat north of -90 by 1e-6
# degree per second of the clock (runs last whole seconds and never overlap):
# its keys are its own, and a box at most 0.1 degree short of the pole still
# holds the whole world's participants.
WRK_COLD = r"""
local min_lat = -90 + (os.time() % 100000) * 1e-6
local counter = 0
function request()
  counter = counter + 1
  local bbox = string.format("%.6f,%.6f,180,90", -180 + counter * 1e-6, min_lat)
  return wrk.format("GET", "/api/participants/map/?bbox=" .. bbox)
end
"""


def seeded_database(postgres: PostgresServer, size: int, env: dict[str, str]) -> str:
    import psycopg

    url = postgres.create_database(f"bench_map_{size}")
    env = env | {"DATABASE_URL": url}
    migrate(env)
    seeded = run_command(["python", "manage.py", "seed_participants", "--count", str(size)], env, timeout=600)
    assert seeded.returncode == 0, seeded.stderr
    # What autovacuum does soon after a bulk load; the planner needs it to use the index well.
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("ANALYZE hub_participant")
    return url


def capture(base_url: str, folder: Path) -> dict:
    """The view's gzip answer, saved for the ceilings, and its sizes."""
    status, headers, body = http_get(base_url + MAP_PATH, headers=GZIP)
    assert status == 200 and headers["Content-Encoding"] == "gzip", (status, dict(headers))
    (folder / "body").write_bytes(body)
    kept = {name: value for name, value in headers.items() if name.lower() not in HOP_HEADERS}
    (folder / "headers.json").write_text(json.dumps(kept))
    raw = http_get(base_url + MAP_PATH)[2]
    return {"raw_bytes": len(raw), "gzip_bytes": len(body), "features": raw.count(b'"Feature"')}


def start_raw(env: dict[str, str], log_path: Path) -> tuple[Process, str]:
    """gunicorn.conf.py and the Procfile's gunicorn, but the plain WSGI callable instead of Django."""
    port = free_port()
    env = env | {"PORT": str(port), "GUNICORN_CMD_ARGS": f"--bind=127.0.0.1:{port}"}
    process = Process("gunicorn bench.shims.map_raw:application", env, log_path)
    base_url = f"http://127.0.0.1:{port}"
    wait_until(lambda: http_get(base_url + "/", timeout=2)[0] == 200, 30, "the raw gunicorn")
    return process, base_url


def measure_size(size, postgres, redis, sink, args, folder) -> tuple[dict, dict]:
    env = clean_env(
        DJANGO_SETTINGS_MODULE="bench.shims.map_settings",
        REDIS_URL=redis.url,
        WEB_CONCURRENCY="2",
        BENCH_MAP_BODY=str(folder / "body"),
        BENCH_MAP_HEADERS=str(folder / "headers.json"),
    )
    env["DATABASE_URL"] = seeded_database(postgres, size, env)
    redis.client().flushall()
    with contextlib.ExitStack() as stack:
        process, base_url = start_web(env, folder / f"web-{size}.log")
        stack.callback(process.stop)
        sizes = capture(base_url, folder)  # also warms the cache for the warm case
        targets = {
            "warm": cpu.Target(process.pid, base_url + MAP_PATH, GZIP),
            "cold": cpu.Target(process.pid, base_url + MAP_PATH, GZIP, WRK_COLD),
            "naive": cpu.Target(process.pid, base_url + "/bench/naive/", GZIP),
            "ceiling": cpu.Target(process.pid, base_url + "/bench/ceiling/", GZIP),
        }
        # After capture(): it serves the captured bytes.
        process, base_url = start_raw(env, folder / f"raw-{size}.log")
        stack.callback(process.stop)
        targets["raw"] = cpu.Target(process.pid, base_url + MAP_PATH, GZIP)
        if size == 10_000:
            for case, rate in SENTRY_RATES.items():
                traced = env | {"SENTRY_DSN": sink.dsn, "SENTRY_TRACES_SAMPLE_RATE": rate}
                process, base_url = start_web(traced, folder / f"web-{case}.log")
                stack.callback(process.stop)
                targets[case] = cpu.Target(process.pid, base_url + MAP_PATH, GZIP)
        print(f"{size:,} participants:", flush=True)
        figures = cpu.compare(
            targets, rounds=args.rounds, seconds=args.duration, warmup=args.warmup, connections=CONNECTIONS
        )
    return {case: vars(figure) for case, figure in figures.items()}, sizes


def middleware_costs(repeats: int = 5, requests: int = 2000) -> dict[str, float]:
    """Microseconds per request, in-process, that each middleware adds to the ceiling view.

    Middleware is added one at a time in settings order (AuthenticationMiddleware
    needs SessionMiddleware before it, so removing one at a time would not run).
    """
    import io

    import django

    django.setup()
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler

    environ = {
        "REQUEST_METHOD": "GET", "PATH_INFO": "/bench/ceiling/", "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80", "HTTP_HOST": "127.0.0.1", "HTTP_ACCEPT_ENCODING": "gzip", "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr,
    }  # fmt: skip
    statuses = set()

    def start_response(status, headers):
        statuses.add(status)

    def per_request(middleware: list[str]) -> float:
        settings.MIDDLEWARE = middleware
        handler = WSGIHandler()
        repeated = []
        for _ in range(repeats):
            started = time.process_time()
            for _ in range(requests):
                handler(dict(environ), start_response).close()
            repeated.append((time.process_time() - started) / requests * 1e6)
        return statistics.median(repeated)

    full = list(settings.MIDDLEWARE)
    timings = [per_request(full[:count]) for count in range(len(full) + 1)]
    assert statuses == {"200 OK"}, statuses
    costs = {name: timings[index + 1] - timings[index] for index, name in enumerate(full)}
    return {"no middleware (handler, URL, view)": timings[0], **costs, "all middleware": timings[-1] - timings[0]}


def in_process_costs(env: dict[str, str]) -> dict[str, float]:
    result = run_command([sys.executable, "-m", "bench.map", "--middleware-costs"], env, timeout=600)
    assert result.returncode == 0, result.stderr
    # The last line: Django may log before it.
    return json.loads(result.stdout.strip().splitlines()[-1])


# The targets at 10,000 participants, in CPU per request: (label, case, compared with, how, target).
# "times": the other's CPU over the case's, so 2 means the case costs half; "over": CPU ms the case adds.
TARGETS = (
    ("warm vs Django ceiling", "warm", "ceiling", "times", 0.85),
    ("cold vs naive", "cold", "naive", "times", 5),
    ("sentry 0.1 over Sentry off", "sentry 0.1", "warm", "over", 1.0),
    ("sentry 0 over Sentry off", "sentry 0", "warm", "over", None),
    ("sentry 1.0 over Sentry off", "sentry 1.0", "warm", "over", None),
    ("warm vs raw ceiling", "warm", "raw", "times", None),
    ("Django ceiling vs raw ceiling", "ceiling", "raw", "times", None),
)


def compared(rows: dict, case: str, other: str, how: str) -> float | None:
    if case not in rows or other not in rows:
        return None
    ours, theirs = rows[case]["cpu_ms_per_request"], rows[other]["cpu_ms_per_request"]
    return theirs / ours if how == "times" else ours - theirs


def report(results: dict) -> None:
    before, after = (" ".join(f"{load:.2f}" for load in results[key]) for key in ("load_before", "load_after"))
    print(f"load average before: {before}, after: {after}; {results['cpus']} CPUs")
    print(
        f"{'participants':>12} {'case':<11} {'CPU µs/req':>10} {'(min-max)':>13} {'req/s':>8} {'p50 ms':>8} "
        f"{'p99 ms':>8}"
    )
    for size, data in results["sizes"].items():
        for case, row in data["rows"].items():
            windows = row["cpu_ms_per_window"]
            spread = f"{min(windows) * 1000:.0f}-{max(windows) * 1000:.0f}"
            print(
                f"{size:>12} {case:<11} {row['cpu_ms_per_request'] * 1000:>10.0f} {spread:>13} {row['rps']:>8.1f} "
                f"{row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f}"
            )
        body = data["body"]
        print(
            f"{'':>12} body: {body['features']} features, {body['raw_bytes']:,} bytes raw, "
            f"{body['gzip_bytes']:,} gzip ({body['gzip_bytes'] / body['raw_bytes']:.1%})"
        )
    rows = results["sizes"].get("10000", {}).get("rows", {})
    if rows:
        print("\nAt 10,000 participants, CPU per request (target):")
        for label, case, other, how, target in TARGETS:
            value = compared(rows, case, other, how)
            if value is None:
                continue
            if how == "times":
                shown = f"{value:6.2f} x" + (f" (>= {target:g} x)" if target else "")
                met = target is None or value >= target
            else:
                shown = f"{value:+6.3f} ms" + (f" (<= +{target:g} ms)" if target else "")
                met = target is None or value <= target
            print(f"  {label:<32} {shown:<24}{'' if target is None else ('met' if met else 'MISSED')}")
        body = results["sizes"]["10000"]["body"]
        share = body["gzip_bytes"] / body["raw_bytes"]
        print(f"  {'gzip / raw body':<32} {f'{share:6.1%} (<= 25 %)':<24}{'met' if share <= 0.25 else 'MISSED'}")
    print("\nMiddleware cost per request on the ceiling view, in-process (CPU µs, median of 5):")
    for name, cost in results["middleware_us"].items():
        print(f"  {name:<60} {cost:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=2, help="seconds per window (default 2)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved windows per case (default 5)")
    parser.add_argument("--warmup", type=int, default=1, help="seconds of warm-up per case (default 1)")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--middleware-costs", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.middleware_costs:
        print(json.dumps(middleware_costs()))
        return

    results = {
        "load_before": os.getloadavg(),
        "cpus": os.cpu_count(),
        "window_seconds": args.duration,
        "rounds": args.rounds,
        "sizes": {},
    }
    postgres, redis, sink = PostgresServer().start(), RedisServer().start(), SentrySink().start()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-map-") as temporary:
            folder = Path(temporary)
            for size in map(int, args.sizes.split(",")):
                rows, body = measure_size(size, postgres, redis, sink, args, folder)
                results["sizes"][str(size)] = {"rows": rows, "body": body}
            results["middleware_us"] = in_process_costs(
                clean_env(
                    DJANGO_SETTINGS_MODULE="bench.shims.map_settings",
                    DATABASE_URL=postgres.url("postgres"),
                    BENCH_MAP_BODY=str(folder / "body"),
                    BENCH_MAP_HEADERS=str(folder / "headers.json"),
                )
            )
    finally:
        sink.stop()
        redis.stop()
        postgres.stop()
    results["load_after"] = os.getloadavg()
    report(results)
    save("map", results)


if __name__ == "__main__":
    main()
