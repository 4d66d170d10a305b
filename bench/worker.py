"""What Sentry costs per task, measured on the Procfile's worker process.

Every configuration of bench/sentry_overhead.py (Sentry off, errors only,
0.1, 1.0 and the bare sentry_sdk.init at each rate) runs its own copy of the
Procfile's worker (Celery, WORKER_CONCURRENCY=2) on one real PostgreSQL and
one real Redis, all started before the first window, each with a SentrySink
of its own on loopback. The tasks:

- trivial: bench.shims.worker_tasks.nothing, a task with nothing in it (no result stored);
- one query: hub.tasks.count_public_participants, one COUNT on PostgreSQL, its result stored in Redis.

A window sends TASKS tasks straight into Redis, as the web dyno would, and
waits until the worker has acknowledged every one (the queue and kombu's
unacked hash both empty). The figure is the CPU the worker's process group
(bench/cpu.py's session_cpu_seconds: Celery's main process, its pool, every
thread, the SDK's sender included) spent from the first task sent to the
last acknowledged, per task; tasks per second beside it. Configurations run
in interleaved rounds, every other round backwards; each figure is the
median.

    .venv/bin/python -m bench.worker [--tasks 300] [--rounds 5] [--only off,errors,...] [--variant NAME]

Prints one table and writes bench/results/worker.json.
"""

import argparse
import contextlib
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench import cpu
from bench.sentry_overhead import CONFIGS, CONFIGS_BY_NAME, Config, add_variants, delivered, report
from tests.support.processes import heroku_env, migrate, run_command, start_worker
from tests.support.sentry_sink import SentrySink
from tests.support.servers import PostgresServer, RedisServer, wait_until

TASKS = {"trivial": "bench.shims.worker_tasks.nothing", "one query": "hub.tasks.count_public_participants"}
PARTICIPANTS = 1_000
# The bench compares the project with the bare init at each rate; tail mode is a web concern.
NAMES = [config.name for config in CONFIGS if config.name != "tail"]


@dataclass(frozen=True)
class Window:
    tasks: int
    seconds: float
    cpu_seconds: float

    @property
    def cpu_ms_per_task(self) -> float:
        return self.cpu_seconds * 1000 / self.tasks


def start_config(config: Config, base_env: dict[str, str], logs: Path, stack: contextlib.ExitStack):
    """The configuration's worker dyno and its own sink, both stopped when `stack` closes: (process, sink)."""
    sink = SentrySink()
    sink.server.handle_error = lambda request, address: None
    sink.server.RequestHandlerClass.disable_nagle_algorithm = True  # see bench/sentry_overhead.py
    sink.start()
    stack.callback(sink.stop)
    values = {name: value.format(dsn=sink.dsn) for name, value in config.env.items()}
    env = base_env | values | {"DJANGO_SETTINGS_MODULE": config.settings}
    process = start_worker(env, logs / f"worker-{config.name}.log")
    stack.callback(process.stop)
    return process, sink


def window(process, redis_url: str, task: str, count: int) -> Window:
    """Send `count` tasks and wait until the worker has acknowledged them all."""
    import redis
    from celery import Celery

    with Celery(broker=redis_url) as app, redis.Redis.from_url(redis_url) as client:
        before = cpu.session_cpu_seconds(process.popen.pid)
        started = time.monotonic()
        with app.producer_or_acquire() as producer:
            for _ in range(count):
                app.send_task(task, producer=producer)

        def done() -> bool:
            # kombu's Redis transport keeps a delivered, not yet acknowledged message in "unacked".
            return client.llen("celery") == 0 and client.hlen("unacked") == 0

        wait_until(done, 120, f"{count} {task} tasks to be done", interval=0.01)
        seconds = time.monotonic() - started
        cpu_seconds = cpu.session_cpu_seconds(process.popen.pid) - before
    return Window(count, seconds, cpu_seconds)


def summarise(windows: dict[tuple[str, str], list[Window]], names: list[str]) -> dict[str, dict[str, dict]]:
    table: dict[str, dict[str, dict]] = {}
    for name in names:
        table[name] = {}
        for task in TASKS:
            measured = windows[name, task]
            table[name][task] = {
                "cpu_ms_per_task": statistics.median(w.cpu_ms_per_task for w in measured),
                "tasks_per_second": statistics.median(w.tasks / w.seconds for w in measured),
                "cpu_ms_per_window": [round(w.cpu_ms_per_task, 3) for w in measured],
            }
    if "off" in table:
        for cases in table.values():
            for task, case in cases.items():
                case["cpu_ms_over_off"] = case["cpu_ms_per_task"] - table["off"][task]["cpu_ms_per_task"]
    return table


def checks(table: dict[str, dict[str, dict]]) -> list[dict]:
    """The target: the project's configuration costs less per task than the bare init at the same rate."""
    found = []
    for name in table:
        baseline = CONFIGS_BY_NAME[name].baseline
        if baseline not in table:
            continue
        for task in TASKS:
            ours, bare = table[name][task]["cpu_ms_per_task"], table[baseline][task]["cpu_ms_per_task"]
            found.append({
                "check": f"{name} vs {baseline}: {task} CPU per task below the bare init's",
                "value": f"{ours:.3f} vs {bare:.3f} ms",
                "holds": ours < bare,
            })  # fmt: skip
    return found


def print_table(table: dict[str, dict[str, dict]], sent: dict[str, dict]) -> None:
    header = (
        f"{'configuration':<28} {'task':<10} {'CPU ms/task':>11} {'(min-max)':>13} {'+ vs off':>9} "
        f"{'tasks/s':>8}  sent to the sink"
    )
    print(header)
    print("-" * len(header))
    for name, cases in table.items():
        for index, (task, case) in enumerate(cases.items()):
            spread = f"{min(case['cpu_ms_per_window']):.2f}-{max(case['cpu_ms_per_window']):.2f}"
            received = ", ".join(f"{n} {kind}" for kind, n in sent[name]["received"].items()) if index == 0 else ""
            print(
                f"{CONFIGS_BY_NAME[name].label if index == 0 else '':<28} {task:<10} {case['cpu_ms_per_task']:>11.3f} "
                f"{spread:>13} {case.get('cpu_ms_over_off', 0):>+9.3f} {case['tasks_per_second']:>8.0f}  {received}"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=300, help="tasks per window (default 300)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved windows per configuration (default 5)")
    parser.add_argument("--only", help="comma-separated configurations (default: all): " + ", ".join(NAMES))
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        help="the project's set-up with options changed, as in bench.sentry_overhead (repeatable): no-logs@0",
    )
    args = parser.parse_args()
    add_variants(args.variant)
    names = (args.only.split(",") if args.only else NAMES) + args.variant
    unknown = set(names) - set(NAMES) - set(args.variant)
    if unknown:
        sys.exit(f"unknown configuration(s) {', '.join(sorted(unknown))}; known: {', '.join(NAMES)}")

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    load_before = os.getloadavg()
    print(f"load average before: {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}", flush=True)
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        folder = Path(tempfile.mkdtemp(prefix="bahk-worker-bench-"))
        stack.callback(shutil.rmtree, folder, ignore_errors=True)
        redis = RedisServer().start()
        stack.callback(redis.stop)
        postgres = PostgresServer().start().enable_tls()
        stack.callback(postgres.stop)
        database_url = postgres.create_database("worker_bench")
        base_env = heroku_env("worker.1", DATABASE_URL=database_url, WORKER_CONCURRENCY="2")
        migrate(base_env | {"REDIS_URL": redis.url})
        seed = ["python", "manage.py", "seed_participants", "--count", str(PARTICIPANTS), "--seed", "6"]
        result = run_command(seed, base_env | {"REDIS_URL": redis.url, "DYNO": "run.1"}, timeout=300)
        if result.returncode != 0:
            raise RuntimeError(f"seeding failed:\n{result.stdout}{result.stderr}")
        # A Redis database per worker: each has its own queue, so a window measures one worker alone.
        redis_urls = {name: f"{redis.url.rpartition('/')[0]}/{index}" for index, name in enumerate(names)}
        dynos = {
            name: start_config(CONFIGS_BY_NAME[name], base_env | {"REDIS_URL": redis_urls[name]}, folder, stack)
            for name in names
        }
        keys = [(name, task) for name in names for task in TASKS]
        for name, task in keys:  # warm-up: connections, the first query, imports done lazily
            window(dynos[name][0], redis_urls[name], TASKS[task], args.tasks // 5)
        windows: dict[tuple[str, str], list[Window]] = {key: [] for key in keys}
        for round_number in range(args.rounds):
            for name, task in keys if round_number % 2 == 0 else keys[::-1]:
                measured = window(dynos[name][0], redis_urls[name], TASKS[task], args.tasks)
                windows[name, task].append(measured)
                print(
                    f"  round {round_number + 1} {name} / {task}: {measured.cpu_ms_per_task:.3f} ms CPU/task, "
                    f"{measured.tasks / measured.seconds:.0f} tasks/s",
                    flush=True,
                )
        sent = {}
        for name, (process, sink) in dynos.items():
            process.stop()  # SIGTERM: the worker's shutdown flushes what the SDK still holds
            served = args.tasks // 5 * len(TASKS) + args.tasks * args.rounds * len(TASKS)
            sent[name] = delivered(sink, served)
    table = summarise(windows, names)
    setup = {
        "worker": "Procfile worker line, WORKER_CONCURRENCY=2",
        "tasks_per_window": args.tasks,
        "rounds": args.rounds,
        "tasks": TASKS,
        "participants": PARTICIPANTS,
    }
    return report("worker", table, sent, checks(table), setup, print_table, load_before, started)


if __name__ == "__main__":
    sys.exit(main())
