"""How fast FastParticipantsMapView is, against what it could be and what it replaces.

For 1,000, 10,000 and 100,000 seeded participants in a throwaway PostgreSQL
(with Redis as the cache), the Procfile's web command with WEB_CONCURRENCY=2
serves, and wrk on loopback measures, each case for --duration seconds:

  warm       the view, body in the cache (the page's first request: the world, default limit)
  cold       the view, a cache miss every time (a wrk script varies the bbox by 1e-6 degree per request)
  naive      the usual way: model instances, a dict per row, JsonResponse (bench/map_urls.py)
  ceiling    Django ceiling: the view's bytes and headers from a view that does nothing else
  raw        raw ceiling: the same gunicorn serving those bytes from a plain WSGI callable (bench/map_raw.py)
  sentry 0 / 0.1 / 1.0   warm, with Sentry on (errors only, production traces rate, every request traced)
             into a loopback SentrySink; at 10,000 participants only

Every request but naive's asks for gzip, as browsers do. Then, in-process,
what each middleware costs the ceiling view per request (the gap between
the Django and raw ceilings).

The figure is CPU per request: utime+stime of every process of the web
dyno (gunicorn's master and workers, all threads) over a case's run,
divided by the requests wrk completed in it; Redis's and PostgreSQL's own
CPU is not in it. On a shared machine throughput swings two- to three-fold
between identical rounds while CPU per request holds within about 20 %, so
warm, cold, naive and ceiling share one gunicorn and run interleaved,
--rounds times (every other round in reverse order), and each column is the
median over rounds. raw and sentry R run once each, in gunicorns of their own.

    .venv/bin/python bench/map.py [--duration 10] [--rounds 3] [--sizes 1000,10000,100000]

Prints one table and writes bench/results/map.json.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.sentry_overhead import dyno_cpu_seconds  # noqa: E402
from tests.processes import Process, clean_env, http_get, migrate, run_command, start_web  # noqa: E402
from tests.sentry_sink import SentrySink  # noqa: E402
from tests.servers import PostgresServer, RedisServer, free_port, require_binary, wait_until  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "map.json"
MAP_PATH = "/api/participants/map/?bbox=-180,-90,180,90"
GZIP = {"Accept-Encoding": "gzip"}
# Two gunicorn workers with four threads each: eight requests in flight fill them.
CONNECTIONS = 8
SENTRY_RATES = {"sentry 0": "0", "sentry 0.1": "0.1", "sentry 1.0": "1.0"}
# The cases one gunicorn serves, in this order every round (backwards every other one).
INTERLEAVED = ("warm", "ceiling", "cold", "naive")
# Headers that belong to the connection, not the response.
HOP_HEADERS = {"date", "server", "connection", "keep-alive", "transfer-encoding"}

# wrk's summary as one parseable line.
WRK_REPORT = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH {\"requests\": %d, \"duration_us\": %d, \"errors\": %d, \"bad_status\": %d, "
    .. "\"p50_us\": %d, \"p99_us\": %d}\n",
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
"""
# A different minLon every request, so every request misses the cache: each
# wrk thread starts one degree further east and steps by 1e-6 degree. FIRST
# is the first thread's degree, a new one every round: a round that repeated
# the last one's boxes would find them cached.
WRK_COLD = r"""
local made = FIRST
function setup(thread)
  thread:set("id", made)
  made = made + 1
end
local counter = 0
function request()
  counter = counter + 1
  return wrk.format("GET", string.format("/api/participants/map/?bbox=%.6f,-90,180,90", -180 + id + counter * 1e-6))
end
"""


def wrk(base_url: str, path: str, duration: int, headers: dict[str, str], script: str = "", *, session: int) -> dict:
    """One wrk run; with the web process's session, the CPU its processes spent per request."""
    cpu_before = dyno_cpu_seconds(session)
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(script + WRK_REPORT)
        lua.flush()
        header_args = [arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")]
        result = subprocess.run(
            [require_binary("wrk", "wrk"), "-t1", f"-c{CONNECTIONS}", f"-d{duration}s", "--timeout", "10s",
             *header_args, "-s", lua.name, base_url + path],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
    cpu = dyno_cpu_seconds(session) - cpu_before
    line = next(line for line in result.stdout.splitlines() if line.startswith("BENCH "))
    summary = json.loads(line.removeprefix("BENCH "))
    return {
        "cpu_us": cpu * 1e6 / summary["requests"],
        "rps": summary["requests"] / (summary["duration_us"] / 1e6),
        "p50_ms": summary["p50_us"] / 1000,
        "p99_ms": summary["p99_us"] / 1000,
        "requests": summary["requests"],
        "errors": summary["errors"] + summary["bad_status"],
    }


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
    process = Process("gunicorn bench.map_raw:application", env, log_path)
    base_url = f"http://127.0.0.1:{port}"
    wait_until(lambda: http_get(base_url + "/", timeout=2)[0] == 200, 30, "the raw gunicorn")
    return process, base_url


def median_row(runs: list[dict]) -> dict:
    """Each figure's median over the rounds (so a row's figures may come from different rounds)."""
    medians = {name: statistics.median(run[name] for run in runs) for name in runs[0]}
    return medians | {"cpu_us_per_round": [run["cpu_us"] for run in runs]}


def measure_size(size, postgres, redis, sink, duration, rounds, folder) -> tuple[dict, dict]:
    env = clean_env(
        DJANGO_SETTINGS_MODULE="bench.map_settings",
        REDIS_URL=redis.url,
        WEB_CONCURRENCY="2",
        BENCH_MAP_BODY=str(folder / "body"),
        BENCH_MAP_HEADERS=str(folder / "headers.json"),
    )
    env["DATABASE_URL"] = seeded_database(postgres, size, env)
    redis.client().flushall()
    rows = {}
    process, base_url = start_web(env, folder / f"web-{size}.log")
    cases = {
        "warm": (MAP_PATH, ""),
        "ceiling": ("/bench/ceiling/", ""),
        "cold": (MAP_PATH, WRK_COLD),
        "naive": ("/bench/naive/", ""),
    }
    try:
        sizes = capture(base_url, folder)  # also warms the cache for the warm case
        runs = {case: [] for case in INTERLEAVED}
        for number in range(rounds):
            # Every other round backwards, so no case always follows the heaviest one.
            for case in INTERLEAVED if number % 2 == 0 else reversed(INTERLEAVED):
                path, script = cases[case]
                script = script.replace("FIRST", str(number))
                runs[case].append(wrk(base_url, path, duration, GZIP, script, session=process.pid))
        rows = {case: median_row(case_runs) for case, case_runs in runs.items()}
    finally:
        process.stop()
    process, base_url = start_raw(env, folder / f"raw-{size}.log")
    try:
        rows["raw"] = wrk(base_url, MAP_PATH, duration, GZIP, session=process.pid)
    finally:
        process.stop()
    if size == 10_000:
        for case, rate in SENTRY_RATES.items():
            traced = env | {"SENTRY_DSN": sink.dsn, "SENTRY_TRACES_SAMPLE_RATE": rate}
            process, base_url = start_web(traced, folder / f"web-{case}.log")
            try:
                http_get(base_url + MAP_PATH, headers=GZIP)
                rows[case] = wrk(base_url, MAP_PATH, duration, GZIP, session=process.pid)
            finally:
                process.stop()
    return rows, sizes


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
        best = float("inf")
        for _ in range(repeats):
            started = time.perf_counter()
            for _ in range(requests):
                handler(dict(environ), start_response).close()
            best = min(best, (time.perf_counter() - started) / requests * 1e6)
        return best

    full = list(settings.MIDDLEWARE)
    timings = [per_request(full[:count]) for count in range(len(full) + 1)]
    assert statuses == {"200 OK"}, statuses
    costs = {name: timings[index + 1] - timings[index] for index, name in enumerate(full)}
    return {"no middleware (handler, URL, view)": timings[0], **costs, "all middleware": timings[-1] - timings[0]}


def in_process_costs(env: dict[str, str]) -> dict[str, float]:
    result = run_command([sys.executable, __file__, "--middleware-costs"], env, timeout=600)
    assert result.returncode == 0, result.stderr
    # The last line: Django may log before it.
    return json.loads(result.stdout.strip().splitlines()[-1])


def cpu_ratio(rows: dict, case: str, over: str) -> float | None:
    """How many times less CPU per request `case` takes than `over` (above 1: case is cheaper)."""
    return rows[over]["cpu_us"] / rows[case]["cpu_us"] if case in rows and over in rows else None


def report(results: dict) -> None:
    print(f"load average before: {results['load_before']}, after: {results['load_after']}; {results['cpus']} CPUs")
    print(f"rounds: {results['rounds']} of {results['duration_s']} s per case (warm, ceiling, cold, naive interleaved)")
    columns = f"{'CPU µs/req':>10} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}"
    print(f"{'participants':>12} {'case':<11} {columns}")
    for size, data in results["sizes"].items():
        for case, row in data["rows"].items():
            timing = f"{row['cpu_us']:>10.0f} {row['rps']:>8.1f} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f}"
            print(f"{size:>12} {case:<11} {timing} {row['errors']:>6.0f}")
        body = data["body"]
        print(
            f"{'':>12} body: {body['features']} features, {body['raw_bytes']:,} bytes raw, "
            f"{body['gzip_bytes']:,} gzip ({body['gzip_bytes'] / body['raw_bytes']:.1%})"
        )
    rows = results["sizes"].get("10000", {}).get("rows", {})
    if rows:
        print("\nAt 10,000 participants, by CPU per request (target):")
        for label, case, over, target in (
            ("warm vs Django ceiling (>= 0.85)", "warm", "ceiling", 0.85),
            ("cold vs naive (>= 5)", "cold", "naive", 5),
            ("warm vs raw ceiling", "warm", "raw", None),
            ("Django ceiling vs raw ceiling", "ceiling", "raw", None),
        ):
            value = cpu_ratio(rows, case, over)
            if value is not None:
                verdict = "" if target is None else ("  met" if value >= target else "  MISSED")
                print(f"  {label:<36} {value:6.2f}{verdict}")
        for case in SENTRY_RATES:
            if case in rows:
                extra = (rows[case]["cpu_us"] - rows["warm"]["cpu_us"]) / 1000
                print(f"  {case + ' over Sentry off (ms CPU)':<36} {extra:+6.2f}")
        body = results["sizes"]["10000"]["body"]
        share = body["gzip_bytes"] / body["raw_bytes"]
        print(f"  {'gzip / raw body (<= 25 %)':<36} {share:6.1%}{'  met' if share <= 0.25 else '  MISSED'}")
    print("\nMiddleware cost per request on the ceiling view, in-process (µs):")
    for name, cost in results["middleware_us"].items():
        print(f"  {name:<60} {cost:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per case and round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of warm, ceiling, cold and naive")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--middleware-costs", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.middleware_costs:
        print(json.dumps(middleware_costs()))
        return

    results = {
        "load_before": os.getloadavg(),
        "cpus": os.cpu_count(),
        "duration_s": args.duration,
        "rounds": args.rounds,
        "sizes": {},
    }
    postgres, redis, sink = PostgresServer().start(), RedisServer().start(), SentrySink().start()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-map-") as temporary:
            folder = Path(temporary)
            for size in map(int, args.sizes.split(",")):
                rows, body = measure_size(size, postgres, redis, sink, args.duration, args.rounds, folder)
                results["sizes"][str(size)] = {"rows": rows, "body": body}
            results["middleware_us"] = in_process_costs(
                clean_env(
                    DJANGO_SETTINGS_MODULE="bench.map_settings",
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
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2))
    report(results)


if __name__ == "__main__":
    main()
