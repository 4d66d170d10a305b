"""What Heroku's log drain and the slow-request watchdog cost.

1. Parser and filter: sentry_heroku.drain.frames.parse and drain.lines.classify
   over ~100 KB batches of a realistic mix (mostly ordinary router lines, then
   app output, runtime-metrics samples, dyno-manager chatter, 2 % errors), in
   this process: lines per second of CPU, median of rounds.
2. One 100 KB batch through gunicorn: the Procfile's web process (one
   worker, its threads) with Sentry on (DSN at a loopback sink, production
   defaults) and Redis as on Heroku, receiving Logplex's POSTs on one
   keep-alive connection. CPU is the utime+stime of every process of the dyno
   over a round, divided by the batches in it; the cases run in interleaved
   rounds and the median is kept. A one-line batch and /health/ run beside
   it, for what any request costs.
3. The middleware: SentryHerokuMiddleware (request context and the watchdog) around a view that does nothing,
   against the bare view, in this process with the SDK started; CPU per
   request, median of interleaved rounds.
4. The drain under an adversarial storm: router errors (H27, H13, H18, H26)
   for requests a stranger chose, each its own path, method, Host and
   address, posted in 30-line batches to the same web process: the events
   that reach the sink within the storm's minute, and the dyno's CPU per
   line. Beside it, in this process, the parse of a crafted 1 MB batch
   (frame starts without a newline, each length reaching 400 KB ahead).

    .venv/bin/python -m bench.log_drain [--rounds 7] [--batches 150] [--requests 200000] [--storm-lines 2400]
        [--only parser,crafted,gunicorn,storm,watchdog]

Prints one table and writes bench/results/log_drain.json.
"""

import argparse
import contextlib
import http.client
import os
import random
import statistics
import time
import uuid
from pathlib import Path

from bench import save
from bench.cpu import session_cpu_seconds
from tests.support import logplex_lines as lines
from tests.support.drain_client import SECRET
from tests.support.processes import heroku_env, start_web
from tests.support.sentry_sink import SentrySink
from tests.support.servers import RedisServer

BATCH_BYTES = 100_000


def realistic_lines(size: int, seed: int = 7) -> list[tuple[str, str, str]]:
    """A drain's traffic: mostly the router's line per request, then app output, metrics and a few errors."""
    draw = random.Random(seed)
    paths = ["/api/participants/map/", "/map/", "/health/", "/static/app.css", "/admin/login/"]
    batch: list[tuple[str, str, str]] = []
    while len(lines.body(batch)) < size:
        dyno = f"web.{draw.randint(1, 4)}"
        roll = draw.random()
        if roll < 0.60:
            batch.append(("heroku", "router", lines.router_ok(path=draw.choice(paths), dyno=dyno)))
        elif roll < 0.85:
            batch.append(("app", dyno, f"INFO hub.views: map served {draw.randint(1, 999)} participants in 12 ms"))
        elif roll < 0.90:
            batch.append(("heroku", dyno, lines.memory_sample(dyno, draw.uniform(150, 300))))
        elif roll < 0.95:
            batch.append(("heroku", dyno, lines.load_sample(dyno)))
        elif roll < 0.98:
            batch.append(("heroku", dyno, "State changed from starting to up"))
        elif roll < 0.99:
            batch.append(("heroku", "router", lines.router("H12", "Request timeout", dyno=dyno)))
        else:
            batch.append(("heroku", f"worker.{draw.randint(1, 2)}", lines.R14))
    return batch[:-1]


def parser_throughput(rounds: int) -> dict:
    from sentry_heroku.drain.frames import parse
    from sentry_heroku.drain.lines import classify

    body = lines.body(realistic_lines(BATCH_BYTES))
    count = len(parse(body).lines)
    results = {}
    for name, work in {
        "parse": lambda: parse(body),
        "parse + classify": lambda: classify(parse(body).lines, memory_percent=90, connections_percent=80),
    }.items():
        per_round = []
        for _ in range(rounds):
            start = time.process_time()
            for _ in range(20):
                work()
            per_round.append(20 * count / (time.process_time() - start))
        results[name] = {"lines_per_second": statistics.median(per_round), "lines_per_batch": count}
    return results


@contextlib.contextmanager
def drain_dyno():
    """(web process, port, sink): the Procfile's web process, one worker, Sentry on at a loopback sink, Redis."""
    redis = RedisServer().start()
    sink = SentrySink().start()
    folder = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-log-drain-{os.getpid()}"
    folder.mkdir(parents=True, exist_ok=True)
    env = heroku_env(
        "web.1",
        DATABASE_URL=f"sqlite:///{folder / 'db.sqlite3'}",
        REDIS_URL=redis.url,
        SENTRY_DSN=sink.dsn,
        HEROKU_DRAIN_SECRET=SECRET,
        WEB_CONCURRENCY="1",
    )
    process, base_url = start_web(env, folder / "web.log")
    try:
        yield process, int(base_url.rsplit(":", 1)[1]), sink
    finally:
        process.stop()
        sink.stop()
        redis.stop()


def gunicorn_batches(rounds: int, batches: int) -> dict:
    big = lines.body(realistic_lines(BATCH_BYTES))
    one = lines.body([("heroku", "router", lines.router_ok())])
    with drain_dyno() as (process, port, _sink):
        return measure_batches(process, port, big, one, rounds, batches)


def measure_batches(process, port: int, big: bytes, one: bytes, rounds: int, batches: int) -> dict:
    cases = {
        "100 KB batch": ("POST", "/heroku/logs/", big),
        "1-line batch": ("POST", "/heroku/logs/", one),
        "/health/": ("GET", "/health/", None),
    }
    samples: dict[str, list[dict]] = {name: [] for name in cases}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for case in cases.values():  # warm-up: imports, the Redis connection, the throttle's first events
        send(connection, *case, count=20)
    for _ in range(rounds):
        for name, case in cases.items():
            before, started = session_cpu_seconds(process.pid), time.perf_counter()
            send(connection, *case, count=batches)
            elapsed, cpu = time.perf_counter() - started, session_cpu_seconds(process.pid) - before
            samples[name].append({"cpu_ms": 1000 * cpu / batches, "per_second": batches / elapsed})
    connection.close()
    return {
        name: {
            "cpu_ms": statistics.median(sample["cpu_ms"] for sample in rounds_of),
            "per_second": statistics.median(sample["per_second"] for sample in rounds_of),
            "body_bytes": len(cases[name][2] or b""),
        }
        for name, rounds_of in samples.items()
    }


def adversarial_storm(storm_lines: int, batch_lines: int = 30) -> dict:
    """Events at the sink and dyno CPU per line for storm_lines attacker router errors, in batch_lines batches."""
    storm = lines.attacker_lines(storm_lines, "web.7")
    bodies = [lines.body(storm[start : start + batch_lines]) for start in range(0, storm_lines, batch_lines)]
    with drain_dyno() as (process, port, sink):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        send(connection, "GET", "/health/", None, count=20)  # warm-up: imports, the first request
        before = session_cpu_seconds(process.pid)
        for body in bodies:
            send(connection, "POST", "/heroku/logs/", body, count=1)
        cpu = session_cpu_seconds(process.pid) - before
        connection.close()
        time.sleep(3)  # the SDK's transport sends from a background thread
        events = [event for event in sink.events() if str(event.get("logger", "")).startswith("heroku.")]
    return {
        "lines": storm_lines,
        "batches": len(bodies),
        "events": len(events),
        "issues": len({tuple(event["fingerprint"]) for event in events}),
        "cpu_us_per_line": 1e6 * cpu / storm_lines,
        "cpu_ms_per_batch": 1000 * cpu / len(bodies),
    }


def crafted_batch_parse(rounds: int) -> dict:
    """CPU of parsing the 1 MB batch that cost 1.7 s before the frame reader was linear."""
    from sentry_heroku.drain.frames import parse

    start = b"400000 <13>1 2026- "
    body = start * (1_000_000 // len(start))
    per_round = []
    for _ in range(rounds):
        began = time.process_time()
        parse(body)
        per_round.append(1000 * (time.process_time() - began))
    return {"ms": statistics.median(per_round), "body_bytes": len(body)}


def send(connection: http.client.HTTPConnection, method: str, path: str, body: bytes | None, *, count: int) -> None:
    for _ in range(count):
        headers = {"Host": lines.HOST, "X-Forwarded-Proto": "https"}
        if body is not None:
            headers = lines.headers(body.count(b"\n"), secret=SECRET, frame_id=uuid.uuid4().hex.upper())
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        assert response.status in (200, 204), (path, response.status)


def watchdog_cost(rounds: int, requests: int) -> dict:
    """CPU per request of SentryHerokuMiddleware, with the SDK started as on a dyno."""
    sink = SentrySink().start()
    os.environ.update({"DJANGO_SETTINGS_MODULE": "bahk.settings", "SENTRY_DSN": sink.dsn})
    os.environ.pop("SENTRY_FORCE_DISABLE", None)
    import django
    from django.http import HttpResponse
    from django.test import RequestFactory

    django.setup()
    from sentry_heroku.middleware import SentryHerokuMiddleware

    response = HttpResponse()

    def view(request):
        return response

    watched = SentryHerokuMiddleware(view)
    request = RequestFactory().get("/api/participants/map/")
    bare, with_watchdog = [], []
    try:
        for _ in range(rounds):
            for calls, call in ((bare, view), (with_watchdog, watched)):
                start = time.process_time()
                for _ in range(requests):
                    call(request)
                calls.append(1e6 * (time.process_time() - start) / requests)
    finally:
        sink.stop()
    return {
        "bare_us": statistics.median(bare),
        "watched_us": statistics.median(with_watchdog),
        "cost_us": statistics.median(w - b for w, b in zip(with_watchdog, bare, strict=True)),
    }


PARTS = ("parser", "crafted", "gunicorn", "storm", "watchdog")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--batches", type=int, default=150, help="POSTs per case per round")
    parser.add_argument("--requests", type=int, default=200_000, help="requests per watchdog round")
    parser.add_argument("--storm-lines", type=int, default=2400, help="attacker router lines in the storm")
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated, of {', '.join(PARTS)}")
    args = parser.parse_args()
    only = set(args.only.split(","))
    if not only <= set(PARTS):
        parser.error(f"--only takes {', '.join(PARTS)}")

    measure = {
        "parser": lambda: parser_throughput(args.rounds),
        "crafted": lambda: crafted_batch_parse(args.rounds),
        "gunicorn": lambda: gunicorn_batches(args.rounds, args.batches),
        "storm": lambda: adversarial_storm(args.storm_lines),
        "watchdog": lambda: watchdog_cost(args.rounds, args.requests),
    }
    results = {part: measure[part]() for part in PARTS if part in only}
    save("log_drain", results)

    print("| what | figure | target |\n|---|---|---|")
    for name, figure in results.get("parser", {}).items():
        print(f"| {name}, {figure['lines_per_batch']} lines a 100 KB batch | "
              f"{figure['lines_per_second']:,.0f} lines/s per core | ≥ 100,000 |")  # fmt: skip
    if crafted := results.get("crafted"):
        print(f"| parser, a crafted 1 MB batch (frame starts reaching 400 KB ahead) | {crafted['ms']:.0f} ms CPU | "
              "linear in its size (1.7 s before) |")  # fmt: skip
    for name, figure in results.get("gunicorn", {}).items():
        target = "< 5 ms" if name == "100 KB batch" else "-"
        print(f"| gunicorn, Sentry on: {name} | {figure['cpu_ms']:.2f} ms CPU each, "
              f"{figure['per_second']:,.0f}/s on one connection | {target} |")  # fmt: skip
    if storm := results.get("storm"):
        print(f"| adversarial storm: {storm['lines']:,} router errors for chosen paths, {storm['batches']} batches | "
              f"{storm['events']} events ({storm['issues']} issues); {storm['cpu_us_per_line']:.0f} µs CPU per line, "
              f"{storm['cpu_ms_per_batch']:.1f} ms per batch | "
              "≤ 3 per code and dyno a minute |")  # fmt: skip
    if watchdog := results.get("watchdog"):
        print(f"| SentryHerokuMiddleware | {watchdog['cost_us']:.2f} µs CPU per request "
              f"({watchdog['bare_us']:.2f} → {watchdog['watched_us']:.2f} µs) | < 20 µs |")  # fmt: skip


if __name__ == "__main__":
    main()
