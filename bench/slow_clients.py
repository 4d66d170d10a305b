"""Slow clients against the Procfile's web process: how /health/ answers while N connections trickle bodies.

Each trickler does what Heroku's router forwards for a client on a slow link:
the request's head at once, then the body a byte every --drip seconds, to a
path that reads the body (POST /admin/login/, the drain with its secret), one
that refuses it without reading (the drain with a wrong password: 401, the
map API: 405) and one that ignores it (/health/). A trickler the server
answers or closes (408 after 30 s) is opened again, so N stay in flight.
Meanwhile one client asks for /health/ in a loop, a new connection each time,
for --duration seconds. Then the same with no tricklers, as the baseline.

The worker is the project's (gunicorn.conf.py: bahk.gunicorn_worker's
BufferingThreadWorker), or gunicorn's gthread with --worker gthread (the
worker before it), or both, one after the other (the default).

    .venv/bin/python -m bench.slow_clients [--tricklers 20] [--duration 10] [--drip 1] [--worker both]

Prints one row per worker and load: /health/ p50 and p99, probes answered and
not (a probe waits at most 15 s), throughput, and CPU per probe of the dyno's
process group (bench/cpu.py; the tricklers' cost included). Then, with both
workers up side by side and no tricklers, bench/cpu.py's CPU per request under
wrk (8 connections, --cpu-rounds interleaved windows) for /health/ and the map
API: what reading requests in the loop costs. Writes bench/results/slow_clients.json.
"""

import argparse
import base64
import contextlib
import os
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

from bench import cpu, save, wrk
from tests.support.drain_client import SECRET
from tests.support.processes import HOST, heroku_env, http_get, migrate, start_web
from tests.support.raw_http import post
from tests.support.servers import RedisServer

PROBE_TIMEOUT = 15
BODY = 100_000  # bytes each trickler announces: none finishes in a run
WORKERS = {"buffering": "", "gthread": "--worker-class gthread"}
# For --cpu-rounds: the cheapest request and the map's (an empty map here: SQLite, no participants).
CPU_PATHS = {"health": "/health/", "map": "/api/participants/map/?bbox=-180,-90,180,90"}


def basic(credentials: str) -> bytes:
    return b"Authorization: Basic " + base64.b64encode(credentials.encode())


HEADS = [
    head.replace(b"Connection: close\r\n", b"")  # the router keeps its dyno connections open
    for head in (
        post(b"/admin/login/", BODY, b"Content-Type: application/x-www-form-urlencoded"),
        post(b"/heroku/logs/", BODY, basic(f"drain:{SECRET}"), b"Content-Type: application/logplex-1"),
        post(b"/heroku/logs/", BODY, basic("drain:wrong-password"), b"Content-Type: application/logplex-1"),
        post(b"/api/participants/map/", BODY),
        post(b"/health/", BODY),
    )
]


class Tricklers:
    """N connections sending a head, then a body a byte at a time; each reopened when the server lets go."""

    def __init__(self, port: int, count: int, drip: float):
        self.port, self.drip = port, drip
        self.socks = [self.open(n) for n in range(count)]
        self.reopened = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def open(self, n: int) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        sock.sendall(HEADS[n % len(HEADS)] + b"x")
        sock.setblocking(False)
        return sock

    def run(self):
        while not self.stop.wait(self.drip):
            for n, sock in enumerate(self.socks):
                try:
                    with contextlib.suppress(BlockingIOError):
                        if sock.recv(65536) == b"":
                            raise ConnectionError("closed")
                    sock.send(b"x")
                except OSError:
                    sock.close()
                    with contextlib.suppress(OSError):
                        self.socks[n] = self.open(n)
                        self.reopened += 1

    def close(self):
        self.stop.set()
        self.thread.join()
        for sock in self.socks:
            sock.close()


def probe(base_url: str, seconds: float, session: int) -> dict:
    latencies, failed = [], 0
    cpu_before = cpu.session_cpu_seconds(session)
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        begun = time.monotonic()
        try:
            status = http_get(base_url + "/health/", headers={"Host": HOST}, timeout=PROBE_TIMEOUT)[0]
        except OSError:
            status = 0
        if status == 200:
            latencies.append((time.monotonic() - begun) * 1000)
        else:
            failed += 1
    elapsed = time.monotonic() - started
    cpu_seconds = cpu.session_cpu_seconds(session) - cpu_before
    answered = len(latencies)
    quantiles = statistics.quantiles(latencies, n=100) if answered >= 2 else [float("nan")] * 99
    return {
        "answered": answered,
        "failed": failed,
        "p50_ms": statistics.median(latencies) if latencies else float("nan"),
        "p99_ms": quantiles[98],
        "rps": answered / elapsed,
        "cpu_ms_per_probe": cpu_seconds * 1000 / answered if answered else float("nan"),
    }


def start(worker: str, redis: RedisServer, folder: Path):
    env = heroku_env(
        "web.1",
        DATABASE_URL=f"sqlite:///{folder / f'{worker}.sqlite3'}",
        REDIS_URL=redis.url,
        HEROKU_DRAIN_SECRET=SECRET,
        GUNICORN_CMD_ARGS=WORKERS[worker],
    )
    migrate(env)
    return start_web(env, folder / f"web-{worker}.log")


def measure(worker: str, args, redis: RedisServer, folder: Path) -> list[dict]:
    process, base_url = start(worker, redis, folder)
    rows = []
    try:
        probe(base_url, 1, process.pid)  # warm-up
        rows.append({"worker": worker, "tricklers": 0, **probe(base_url, args.duration, process.pid)})
        tricklers = Tricklers(int(base_url.rsplit(":", 1)[1]), args.tricklers, args.drip)
        try:
            time.sleep(2 * args.drip)  # every trickler taken in by the server
            measured = probe(base_url, args.duration, process.pid)
        finally:
            tricklers.close()
        rows.append({"worker": worker, "tricklers": args.tricklers, "reopened": tricklers.reopened, **measured})
    finally:
        process.stop()
    return rows


def cpu_per_request(args, redis: RedisServer, folder: Path) -> dict[str, cpu.Figure]:
    """Both workers side by side under wrk, no tricklers: what the loop's reading costs a request."""
    dynos = {}
    try:
        for worker in WORKERS:
            dynos[worker] = start(worker, redis, folder / "cpu")
        targets = {
            (worker, name): cpu.Target(process.pid, base_url + path, headers=wrk.ROUTER_HEADERS)
            for worker, (process, base_url) in dynos.items()
            for name, path in CPU_PATHS.items()
        }
        figures = cpu.compare(targets, rounds=args.cpu_rounds, seconds=2, warmup=1, connections=8)
    finally:
        for process, _ in dynos.values():
            process.stop()
    return {" / ".join(key): figure for key, figure in figures.items()}


def report(rows: list[dict]) -> None:
    print()
    print("| worker | tricklers | /health/ p50 ms | p99 ms | answered | not answered | probes/s | CPU ms/probe |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['worker']} | {row['tricklers']} | {row['p50_ms']:.1f} | {row['p99_ms']:.1f} | {row['answered']} "
            f"| {row['failed']} | {row['rps']:.1f} | {row['cpu_ms_per_probe']:.2f} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tricklers", type=int, default=20, help="connections trickling a body (default 20)")
    parser.add_argument("--duration", type=float, default=10, help="seconds of /health/ probes per load (default 10)")
    parser.add_argument("--drip", type=float, default=1.0, help="seconds between a trickler's bytes (default 1)")
    parser.add_argument("--worker", choices=["both", *WORKERS], default="both")
    parser.add_argument(
        "--cpu-rounds", type=int, default=5, help="interleaved wrk windows per worker for CPU per request (default 5)"
    )
    args = parser.parse_args()

    workers = list(WORKERS) if args.worker == "both" else [args.worker]
    results = {"load_before": os.getloadavg(), "cpus": os.cpu_count(), "rows": []}
    redis = RedisServer().start()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-slow-clients-") as temporary:
            for worker in workers:
                results["rows"] += measure(worker, args, redis, Path(temporary))
            if args.cpu_rounds:
                (Path(temporary) / "cpu").mkdir()
                results["cpu"] = cpu_per_request(args, redis, Path(temporary))
    finally:
        redis.stop()
    results["load_after"] = os.getloadavg()
    report(results["rows"])
    for name, figure in results.get("cpu", {}).items():
        print(
            f"{name}: {figure.cpu_ms_per_request * 1000:.0f} µs CPU/request, {figure.rps:.0f} req/s, "
            f"p99 {figure.p99_ms:.1f} ms (wrk, 8 connections, median of {figure.windows})"
        )
    print(f"\nload average {results['load_before'][0]:.1f} before, {results['load_after'][0]:.1f} after")
    save("slow_clients", results)


if __name__ == "__main__":
    main()
