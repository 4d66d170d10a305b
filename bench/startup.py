"""How fast the Procfile's web process answers its first request, and how much memory a gunicorn worker holds.

For each WEB_CONCURRENCY it starts the Procfile's own web line (gunicorn.conf.py,
preload, gthread) the way Heroku does, with PORT set and a Heroku-like
environment, and measures:

- spawn → first 200: from spawning the process to the first 200 on /health/
  (polled every 10 ms), over several cold starts;
- each gunicorn worker's memory after serving REQUESTS requests, half
  /health/ (a database query) and half /admin/login/ (a template, CSRF):
  RSS (VmRSS in /proc/PID/status) and PSS (/proc/PID/smaps_rollup; the pages
  it shares with the preloaded master counted as a share).

Targets from issue 2: first request within 3 s of starting (Heroku allows 60 s
before R10); one worker under 120 MB RSS, so two fit a 512 MB basic dyno.

    .venv/bin/python -m bench.startup [--requests 2000] [--starts 5] [--concurrency 1,2] [--database sqlite|postgres]

Prints one table and writes bench/results/startup-DATABASE.json.
"""

import argparse
import http.client
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench import build, save
from tests.support.processes import HOST, Process, children, clean_env, heroku_env, migrate, procfile_command
from tests.support.servers import PostgresServer, free_port

PATHS = ("/health/", "/admin/login/")
CLIENT_THREADS = 4
FIRST_REQUEST_TARGET_S = 3.0
WORKER_RSS_TARGET_MB = 120.0


def get(port: int, path: str, connection: http.client.HTTPConnection | None = None) -> int:
    connection = connection or http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", path, headers={"Host": HOST, "X-Forwarded-Proto": "https"})
    response = connection.getresponse()
    response.read()
    return response.status


def spawn_web(env: dict[str, str], log: Path) -> tuple[Process, int, float]:
    """Start the Procfile's web line; (process, port, seconds from spawn to the first 200 on /health/)."""
    port = free_port()
    env = env | {"PORT": str(port), "GUNICORN_CMD_ARGS": f"--bind=127.0.0.1:{port}"}
    started = time.perf_counter()
    web = Process(procfile_command("web"), env, log)
    while True:
        if web.popen.poll() is not None:
            raise SystemExit(f"web exited with {web.popen.returncode}:\n{web.output()}")
        try:
            if get(port, "/health/") == 200:
                return web, port, time.perf_counter() - started
        except OSError:
            pass
        if time.perf_counter() - started > 60:
            web.stop()
            raise SystemExit(f"no 200 on /health/ within 60 s:\n{web.output()}")
        time.sleep(0.01)


def serve(port: int, requests: int) -> int:
    """Send requests over CLIENT_THREADS keep-alive connections; the number that did not answer 200."""
    failures = []

    def client(count: int, offset: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        bad = 0
        for index in range(count):
            if get(port, PATHS[(index + offset) % len(PATHS)], connection) != 200:
                bad += 1
        connection.close()
        failures.append(bad)

    threads = [
        threading.Thread(target=client, args=(requests // CLIENT_THREADS, index)) for index in range(CLIENT_THREADS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(failures)


def gunicorn_master(web: Process) -> int:
    """bash runs the Procfile line; it either is gunicorn (exec) or its only child is."""
    command = Path(f"/proc/{web.pid}/cmdline").read_bytes()
    return web.pid if b"gunicorn" in command else children(web.pid)[0]


def memory_mb(pid: int) -> tuple[float, float]:
    """(RSS, PSS) in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    rss_kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    pss_kb = next(int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:"))
    return rss_kb / 1024, pss_kb / 1024


def measure(env: dict[str, str], concurrency: int, starts: int, requests: int, folder: Path) -> dict:
    env = env | {"WEB_CONCURRENCY": str(concurrency)}
    first_request = []
    for start in range(starts):
        web, port, seconds = spawn_web(env, folder / f"web-{concurrency}-{start}.log")
        first_request.append(seconds)
        if start < starts - 1:
            web.stop()
    with web:
        failed = serve(port, requests)
        master = gunicorn_master(web)
        workers = sorted(children(master))
        memory = {"master": memory_mb(master), **{f"worker {i + 1}": memory_mb(pid) for i, pid in enumerate(workers)}}
    return {
        "web_concurrency": concurrency,
        "first_request_s": first_request,
        "requests": requests,
        "failed_requests": failed,
        "memory_mb": {name: {"rss": rss, "pss": pss} for name, (rss, pss) in memory.items()},
    }


def print_table(results: list[dict]) -> None:
    header = (
        f"{'WEB_CONCURRENCY':>15}  {'spawn→first 200 s (median / max)':>32}  {'≤ 3 s':>5}"
        f"  {'process':<8}  {'RSS MB':>6}  {'PSS MB':>6}  {'< 120 MB RSS':>12}"
    )
    print(header)
    print("-" * len(header))
    for result in results:
        times = result["first_request_s"]
        for index, (name, memory) in enumerate(result["memory_mb"].items()):
            first = index == 0
            timing = f"{statistics.median(times):.2f} / {max(times):.2f}" if first else ""
            time_ok = ("yes" if max(times) <= FIRST_REQUEST_TARGET_S else "NO") if first else ""
            rss_ok = "" if name == "master" else ("yes" if memory["rss"] < WORKER_RSS_TARGET_MB else "NO")
            print(
                f"{result['web_concurrency'] if first else '':>15}  {timing:>32}  {time_ok:>5}"
                f"  {name:<8}  {memory['rss']:>6.1f}  {memory['pss']:>6.1f}  {rss_ok:>12}"
            )
        print(f"{'':>15}  after {result['requests']} requests ({result['failed_requests']} not 200)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--starts", type=int, default=5, help="cold starts timed per WEB_CONCURRENCY")
    parser.add_argument("--concurrency", default="1,2", help="WEB_CONCURRENCY values, comma-separated")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="bahk-bench-startup-"))
    server = None
    if args.database == "postgres":
        # Off Heroku (no DYNO): the throwaway server speaks no TLS, which a dyno would require.
        server = PostgresServer().start()
        env = clean_env(DATABASE_URL=server.create_database("bench"), DJANGO_ALLOWED_HOSTS=HOST)
    else:
        env = heroku_env("web.1", DATABASE_URL=f"sqlite:///{folder / 'db.sqlite3'}")
    try:
        build(env)
        migrate(env)
        results = [
            measure(env, int(concurrency), args.starts, args.requests, folder)
            for concurrency in args.concurrency.split(",")
        ]
    finally:
        if server:
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)

    print(
        f"python -m bench.startup: the Procfile's web line on {args.database}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print_table(results)
    gunicorn = subprocess.run(
        [str(Path(sys.executable).parent / "gunicorn"), "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    save(
        f"startup-{args.database}",
        {"database": args.database, "cpus": os.cpu_count(), "gunicorn": gunicorn, "results": results},
    )


if __name__ == "__main__":
    main()
