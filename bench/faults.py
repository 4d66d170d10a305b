"""The fault cases of tests/integration/test_faults_*.py, held under sustained load: what a bad day costs, in figures.

Every case runs the Procfile's own processes (web with WEB_CONCURRENCY=2,
worker with its Procfile line) on a TLS PostgreSQL with 10,000 participants,
a Redis and a loopback Sentry sink, all throwaway and on loopback. wrk
drives the map endpoint (gzip, warm cache) while a second loop sends staff
errors to /api/sentry-debug/ so Sentry has events to lose; the faults are
injected a third of the way in. Each p99 is compared with a healthy window
of the same load on the same web process just before, so drift on a shared
machine cancels out. RSS is VmRSS of gunicorn's two workers together,
sampled every 0.25 s.

    .venv/bin/python -m bench.faults [--duration 20] [--only sentry-ok,sentry-blackhole,...]

Prints one table and writes bench/results/faults.json.
"""

import argparse
import http.client
import os
import shutil
import signal
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import psycopg

from bench import save, wrk
from tests.support.broker import enqueue
from tests.support.calls import send
from tests.support.processes import HOST, children, heroku_env, migrate, rss_kb, run_command, start_web, start_worker
from tests.support.raw_http import crafted, exchange, status_of
from tests.support.sentry_sink import SentrySink, tags_of
from tests.support.servers import PostgresServer, RedisServer, wait_until
from tests.support.staff import debug_action, session_cookie

PARTICIPANTS = 10_000
CONNECTIONS = 8
MAP = "/api/participants/map/?bbox=-30,20,60,70"
# Staff errors per second while wrk runs: Sentry always has something to send.
ERRORS_PER_SECOND = 10
HEROKU_KILL_AFTER = 30


@dataclass
class Row:
    case: str
    requests: int
    concurrency: int
    seconds: float
    faults: str
    bad_inputs: str
    failed_requests: int
    lost: str
    p99_ms: float
    p99_vs_healthy: float | None = None
    max_worker_rss_mb: float | None = None
    note: str = ""


class Stack:
    """The backing services and the dynos' environment, shared by every case."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.postgres = PostgresServer().start().enable_tls()
        self.redis = RedisServer().start()
        self.sink = SentrySink().start()
        self.database_url = self.postgres.create_database("faults")
        migrate(self.env("release.1"))
        seed = ["python", "manage.py", "seed_participants", "--count", str(PARTICIPANTS), "--seed", "6"]
        result = run_command(seed, self.env("run.1"), timeout=300)
        assert result.returncode == 0, result.stderr
        self.cookie = session_cookie(self.env("run.2"))

    def env(self, dyno: str, **values: str) -> dict[str, str]:
        return heroku_env(
            dyno,
            DATABASE_URL=self.database_url,
            REDIS_URL=self.redis.url,
            SENTRY_DSN=self.sink.dsn,
            SENTRY_TRACES_SAMPLE_RATE="0.1",  # the production default
            WEB_CONCURRENCY="2",
            **values,
        )

    def web(self, name: str, **values: str):
        return start_web(self.env("web.1", **values), self.folder / f"{name}.web.log")

    def stop(self) -> None:
        self.sink.stop()
        self.redis.stop()
        self.postgres.stop()


def load(base_url: str, seconds: int, path: str = MAP) -> wrk.Run:
    """The map (or `path`) under wrk as browsers ask for it; a request may take up to the router's 30 s."""
    headers = wrk.ROUTER_HEADERS | {"Accept-Encoding": "gzip"}
    return wrk.run(base_url + path, seconds, connections=CONNECTIONS, headers=headers, timeout=HEROKU_KILL_AFTER)


class Background(threading.Thread):
    """Runs `step` until stopped, counting what it returns (sampling memory, sending errors)."""

    def __init__(self, step, interval: float):
        super().__init__(daemon=True)
        self.step, self.interval, self.results = step, interval, []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            self.results.append(self.step())
            self.stopping.wait(self.interval)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.join()


def worker_rss_mb(master_pid: int) -> float:
    return sum(rss_kb(pid) for pid in children(master_pid)) / 1024


def error_sender(stack: Stack, base_url: str, tag: str):
    """One staff error per call, each tagged so the sink can tell which run it came from."""
    counter = iter(range(10**9))

    def step() -> int:
        request_id = f"{tag}-{next(counter)}"
        return send(base_url, debug_action(stack.cookie, headers={"X-Request-ID": request_id}))

    return step


def events_tagged(sink: SentrySink, tag: str) -> int:
    return sum(1 for event in sink.events() if tags_of(event).get("request_id", "").startswith(f"{tag}-"))


def loaded_run(stack: Stack, base_url: str, web, seconds: int, tag: str, during=None) -> tuple[wrk.Run, list, list]:
    """wrk on the map for `seconds`, with staff errors and memory sampling alongside; `during` runs mid-way."""
    with (
        Background(lambda: worker_rss_mb(web.pid), 0.25) as memory,
        Background(error_sender(stack, base_url, tag), 1 / ERRORS_PER_SECOND) as errors,
    ):
        fault = threading.Timer(seconds / 3, during or (lambda: None))
        fault.start()
        run = load(base_url, seconds)
        fault.join()
    return run, memory.results, errors.results


def sentry_case(stack: Stack, mode: str, seconds: int) -> Row:
    """A healthy window, then the same load with the sink in `mode`, on one web process: p99 compared back to back."""
    web, base_url = stack.web(f"sentry-{mode}")
    with web:
        load(base_url, 3)  # warm the cache and the connections
        healthy, _, _ = loaded_run(stack, base_url, web, seconds, f"healthy-{mode}-{uuid.uuid4().hex[:6]}")
        stack.sink.set_mode(mode)
        tag = f"sentry-{mode}-{uuid.uuid4().hex[:6]}"
        run, memory, errors = loaded_run(stack, base_url, web, seconds, tag)
        stack.sink.set_mode("ok")
        sent = len(errors)
        if mode == "ok":
            # A loss is this case's finding, not a failure of the bench: wait a while, then count.
            deadline = time.monotonic() + 30
            while events_tagged(stack.sink, tag) < sent and time.monotonic() < deadline:
                time.sleep(0.2)
            lost, note = f"{sent - events_tagged(stack.sink, tag)} of {sent} error events", ""
        else:
            started = time.monotonic()
            after = debug_action(stack.cookie, headers={"X-Request-ID": f"{tag}-after-0"})
            wait_until(
                lambda: send(base_url, after) and events_tagged(stack.sink, f"{tag}-after") > 0,
                120,
                "an error after recovery",
                interval=1,
            )
            lost = f"{sent} errors sent during the fault: dropped by the SDK, as designed"
            note = f"an error sent after the sink recovered arrived within {time.monotonic() - started:.0f} s"
    p99, p99_healthy = run.p99_ms, healthy.p99_ms
    faults = {
        "ok": "none",
        "blackhole": "sink accepts, never answers",
        "429": "429 with Retry-After: 1",
        "503": "503 for every envelope",
    }
    return Row(
        case="Sentry healthy (baseline)" if mode == "ok" else f"Sentry {mode}",
        requests=run.requests + sent,
        concurrency=CONNECTIONS + 1,
        seconds=seconds,
        faults=faults[mode],
        bad_inputs="-",
        failed_requests=run.bad_status + run.socket_errors + sum(status != 500 for status in errors),
        lost=lost,
        p99_ms=round(p99, 2),
        p99_vs_healthy=round(p99 / p99_healthy, 2),
        max_worker_rss_mb=round(max(memory), 1),
        note=note + f" (healthy window just before: p99 {p99_healthy:.1f} ms)",
    )


def attempt(port: int, path: str) -> tuple[str, float]:
    """One GET on a fresh connection, as Heroku's router opens one per request: (outcome, seconds taken)."""
    started = time.monotonic()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=HEROKU_KILL_AFTER)
    try:
        connection.connect()
    except ConnectionRefusedError:
        return "refused", time.monotonic() - started  # the listener had closed: never started
    try:
        connection.request("GET", path, headers={"Host": HOST, "X-Forwarded-Proto": "https"})
        response = connection.getresponse()
        response.read()
        return str(response.status), time.monotonic() - started
    except (OSError, http.client.HTTPException):
        return "cut", time.monotonic() - started  # accepted, then dropped: a request lost
    finally:
        connection.close()


def web_sigterm_case(stack: Stack, seconds: int) -> Row:
    """Clients on fresh connections (not wrk's keep-alive, which a closing server resets) before and after SIGTERM."""
    web, base_url = stack.web("sigterm")
    port = int(base_url.rsplit(":", 1)[1])
    tag = f"sigterm-{uuid.uuid4().hex[:6]}"
    outcomes: list[tuple[str, float, float]] = []  # (outcome, started at, seconds taken)
    stopping = threading.Event()

    def client():
        while not stopping.is_set():
            started = time.monotonic()
            outcome, taken = attempt(port, MAP)
            outcomes.append((outcome, started, taken))

    with web:
        load(base_url, 3)
        clients = [threading.Thread(target=client) for _ in range(CONNECTIONS)]
        for thread in clients:
            thread.start()
        with Background(lambda: worker_rss_mb(web.pid), 0.25) as memory:
            time.sleep(seconds / 3)
            send(base_url, debug_action(stack.cookie, headers={"X-Request-ID": f"{tag}-last-0"}))
            web.signal(signal.SIGTERM)
            signalled = time.monotonic()
            exit_code = web.wait(HEROKU_KILL_AFTER)
            exited_after = time.monotonic() - signalled
        stopping.set()
        for thread in clients:
            thread.join()
    wait_until(lambda: events_tagged(stack.sink, f"{tag}-last"), 10, "the error sent just before SIGTERM")
    before = Counter(outcome for outcome, started, _ in outcomes if started < signalled)
    after = Counter(outcome for outcome, started, _ in outcomes if started >= signalled)
    served = sorted(taken for outcome, _, taken in outcomes if outcome == "200")
    return Row(
        case="Web SIGTERM under load",
        requests=len(outcomes),
        concurrency=CONNECTIONS,
        seconds=round(seconds / 3 + exited_after, 1),
        faults="SIGTERM to the dyno's process group, then nothing: it must exit by itself",
        bad_inputs="-",
        failed_requests=sum(n for outcome, n in before.items() if outcome != "200"),
        lost=f"{1 - events_tagged(stack.sink, f'{tag}-last')} of 1 error captured just before SIGTERM",
        p99_ms=round(served[int(len(served) * 0.99)] * 1000, 2),
        max_worker_rss_mb=round(max(memory.results), 1),
        note=f"exit code {exit_code}, {exited_after:.1f} s after SIGTERM (Heroku kills at 30 s); requests begun "
        f"before SIGTERM: {dict(before)}; after: {dict(after)} ('refused': the listener had closed; 'cut': "
        "connected to the closing listener's backlog and reset, never reaching the app)",
    )


def finished_runs(stack: Stack) -> dict[str, str]:
    with psycopg.connect(stack.database_url) as connection:
        return dict(connection.execute("SELECT token, dyno FROM hub_taskrun").fetchall())


def worker_sigterm_case(stack: Stack, tasks: int) -> Row:
    from django.conf import settings

    long_seconds = settings.CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT + 5
    tokens = {f"long-{uuid.uuid4().hex[:8]}": long_seconds} | {
        f"short-{n}-{uuid.uuid4().hex[:8]}": 0.5 for n in range(tasks - 1)
    }
    started = time.monotonic()
    first = start_worker(stack.env("worker.1"), stack.folder / "worker1.log")
    with first:
        for token, seconds in tokens.items():
            enqueue(stack.redis.url, "hub.tasks.record_work", token, seconds)
        time.sleep(3)
        first.signal(signal.SIGTERM)
        signalled = time.monotonic()
        first.wait(HEROKU_KILL_AFTER)
        stopped_after = time.monotonic() - signalled
    by_first = finished_runs(stack)
    with start_worker(stack.env("worker.2"), stack.folder / "worker2.log"):
        wait_until(lambda: set(tokens) <= set(finished_runs(stack)), long_seconds + 120, "every task", interval=0.5)
    runs = {token: dyno for token, dyno in finished_runs(stack).items() if token in tokens}
    return Row(
        case="Worker SIGTERM with tasks queued and running",
        requests=len(tokens),
        concurrency=2,
        seconds=round(time.monotonic() - started, 1),
        faults=f"SIGTERM to the worker dyno while a {long_seconds} s task runs",
        bad_inputs="-",
        failed_requests=0,
        lost=f"{len(tokens) - len(runs)} of {len(tokens)} tasks",
        p99_ms=0,
        note=f"worker.1 finished {len(by_first)} and exited {stopped_after:.0f} s after SIGTERM; "
        f"worker.2 ran the other {sum(d == 'worker.2' for d in runs.values())}, the long one included",
    )


def redis_case(stack: Stack, seconds: int) -> Row:
    web, base_url = stack.web("redis")
    worker = start_worker(stack.env("worker.1"), stack.folder / "redis.worker.log")
    with web, worker:
        load(base_url, 3)
        healthy, _, _ = loaded_run(stack, base_url, web, seconds, f"healthy-redis-{uuid.uuid4().hex[:6]}")

        def outage():
            stack.redis.stop()
            time.sleep(seconds / 3)
            stack.redis.start()

        run, memory, errors = loaded_run(stack, base_url, web, seconds, f"redis-{uuid.uuid4().hex[:6]}", outage)
        token = f"after-redis-{uuid.uuid4().hex[:8]}"
        enqueued = time.monotonic()
        enqueue(stack.redis.url, "hub.tasks.record_work", token, 0)
        wait_until(lambda: token in finished_runs(stack), 120, "a task after Redis returned", interval=0.2)
        task_after = time.monotonic() - enqueued
    p99, healthy_p99 = run.p99_ms, healthy.p99_ms
    return Row(
        case="Redis stopped and started under load",
        requests=run.requests + len(errors),
        concurrency=CONNECTIONS + 1,
        seconds=seconds,
        faults=f"Redis down for {seconds / 3:.0f} s (cache and broker)",
        bad_inputs="-",
        failed_requests=run.bad_status + run.socket_errors + sum(status != 500 for status in errors),
        lost="0 tasks (the worker reconnected by itself)",
        p99_ms=round(p99, 2),
        p99_vs_healthy=round(p99 / healthy_p99, 2),
        max_worker_rss_mb=round(max(memory), 1),
        note=f"a task enqueued after Redis returned ran within {task_after:.1f} s "
        f"(healthy window just before: p99 {healthy_p99:.1f} ms)",
    )


def postgres_case(stack: Stack, seconds: int) -> Row:
    web, base_url = stack.web("postgres")
    with web:
        load(base_url, 3, path="/health/")
        run = wrk_during(base_url, seconds, stack.postgres.restart)
        after = load(base_url, 5, path="/health/")
    return Row(
        case="PostgreSQL restarted under load",
        requests=run.requests + after.requests,
        concurrency=CONNECTIONS,
        seconds=seconds + 5,
        faults="PostgreSQL fast shutdown and start, every connection cut",
        bad_inputs="-",
        failed_requests=run.bad_status + run.socket_errors,
        lost=f"{after.bad_status + after.socket_errors} failed in the 5 s after (steady state)",
        p99_ms=round(run.p99_ms, 2),
        note="/health/ (a query per request); failures are the requests during the restart",
    )


def wrk_during(base_url: str, seconds: int, during) -> wrk.Run:
    fault = threading.Timer(seconds / 3, during)
    fault.start()
    run = load(base_url, seconds, path="/health/")
    fault.join()
    return run


def bad_input_case(stack: Stack, seconds: int) -> Row:
    web, base_url = stack.web("bad-input")
    port = int(base_url.rsplit(":", 1)[1])
    cases = [
        case for path in (b"/health/", MAP.encode(), b"/map/", b"/", b"/api/sentry-debug/") for case in crafted(path)
    ]
    wrong: list[str] = []

    def barrage():
        for what, head, body_length, statuses in cases:
            if status_of(exchange(port, head, body_length)) not in statuses:
                wrong.append(what)

    with web:
        load(base_url, 3)
        healthy = load(base_url, seconds)
        with Background(barrage, 0) as sender:
            run = load(base_url, seconds)
    p99, healthy_p99 = run.p99_ms, healthy.p99_ms
    return Row(
        case="Malformed and oversized requests under load",
        requests=run.requests,
        concurrency=CONNECTIONS + 1,
        seconds=seconds,
        faults="-",
        bad_inputs=f"{len(cases) * len(sender.results)} raw requests ({len(cases)} kinds x {len(sender.results)})",
        failed_requests=run.bad_status + run.socket_errors + len(wrong),
        lost="-",
        p99_ms=round(p99, 2),
        p99_vs_healthy=round(p99 / healthy_p99, 2),
        max_worker_rss_mb=None,
        note=("every bad request refused with its 4xx (414, 431, 400, 403)" if not wrong else f"wrong: {wrong[:5]}")
        + f" (the same load without them just before: p99 {healthy_p99:.1f} ms)",
    )


CASES = ["sentry-ok", "sentry-blackhole", "sentry-429", "sentry-503", "web-sigterm", "worker-sigterm", "redis",
         "postgres", "bad-input"]  # fmt: skip


def print_table(rows: list[Row], load_average: str) -> None:
    header = ["case", "load held", "faults injected", "bad inputs", "failed requests", "lost", "p99 ms",
              "p99 x healthy", "worker RSS MB"]  # fmt: skip
    lines = [header] + [
        [row.case, f"{row.requests} req, c={row.concurrency}, {row.seconds:g} s", row.faults, row.bad_inputs,
         str(row.failed_requests), row.lost, f"{row.p99_ms:g}" if row.p99_ms else "-",
         f"{row.p99_vs_healthy:g}" if row.p99_vs_healthy else "-",
         f"{row.max_worker_rss_mb:g}" if row.max_worker_rss_mb else "-"]
        for row in rows
    ]  # fmt: skip
    print(f"\nload average before: {load_average}")
    for line in lines:
        print("| " + " | ".join(line) + " |")
    for row in rows:
        if row.note:
            print(f"- {row.case}: {row.note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=20, help="seconds of load per case")
    parser.add_argument("--tasks", type=int, default=30, help="tasks in the worker SIGTERM case")
    parser.add_argument("--only", default=",".join(CASES), help="comma-separated cases: " + ", ".join(CASES))
    args = parser.parse_args()
    chosen = args.only.split(",")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bahk.settings")
    import django

    django.setup()
    load_average = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    folder = Path(tempfile.mkdtemp(prefix="bahk-faults-"))
    stack = Stack(folder)
    rows: list[Row] = []
    try:
        for mode in ("ok", "blackhole", "429", "503"):
            if f"sentry-{mode}" in chosen:
                rows.append(sentry_case(stack, mode, args.duration))
        if "web-sigterm" in chosen:
            rows.append(web_sigterm_case(stack, args.duration))
        if "worker-sigterm" in chosen:
            rows.append(worker_sigterm_case(stack, args.tasks))
        if "redis" in chosen:
            rows.append(redis_case(stack, args.duration))
        if "postgres" in chosen:
            rows.append(postgres_case(stack, args.duration))
        if "bad-input" in chosen:
            rows.append(bad_input_case(stack, args.duration))
    except BaseException:
        print(f"the processes' logs are kept in {folder}")
        raise
    else:
        shutil.rmtree(folder, ignore_errors=True)
    finally:
        stack.stop()
    print_table(rows, load_average)
    save(
        "faults",
        {"load_average_before": load_average, "cpus": os.cpu_count(), "rows": [asdict(row) for row in rows]},
    )


if __name__ == "__main__":
    main()
