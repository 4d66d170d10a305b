"""How long a SIGKILLed worker's task waits before another worker runs it, on the Procfile's worker processes.

Two worker dynos (the Procfile's line, two processes each) share a throwaway
TLS PostgreSQL and a Redis on loopback. Each round sends one
hub.tasks.record_work task, SIGKILLs the process group of the dyno that
received it a second later (what Heroku's SIGKILL 30 s after SIGTERM, an R15
or a crash leave behind), and times from that first receipt: when the other
dyno receives the task again, and when it has recorded it. Both receipts are
kombu's own clock, the task's score in the "unacked_index" sorted set on
Redis; the finish is the row's finished_at. The killed dyno is then started
again, as Heroku restarts it, for the next round.

    .venv/bin/python -m bench.worker_killed [--time-limit SECONDS] [--rounds 1]

Without --time-limit the project's default WORKER_TASK_TIME_LIMIT applies (a
round then takes about ten minutes). Prints one table and writes
bench/results/worker_killed.json.
"""

import argparse
import contextlib
import os
import shutil
import signal
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
import redis

from bench import save
from tests.support.broker import enqueue
from tests.support.processes import heroku_env, migrate, start_worker
from tests.support.servers import PostgresServer, RedisServer, wait_until

TASK_SECONDS = 3
KILL_AFTER = 1
DYNOS = ("worker.1", "worker.2")


def received(worker) -> int:
    return sum("hub.tasks.record_work[" in line and "] received" in line for line in worker.output().splitlines())


def receipt(client: redis.Redis, after: float = 0) -> tuple[bytes, float] | None:
    """The one unacknowledged task and when a worker received it, if that was later than `after`."""
    entries = client.zrange("unacked_index", 0, -1, withscores=True)
    return entries[0] if len(entries) == 1 and entries[0][1] > after else None


def finished(database_url: str, token: str) -> tuple[str, float] | None:
    with psycopg.connect(database_url) as connection:
        row = connection.execute(
            "SELECT dyno, extract(epoch FROM finished_at) FROM hub_taskrun WHERE token = %s", [token]
        ).fetchone()
    return (row[0], float(row[1])) if row else None


def one_round(env, workers: dict, folder: Path, client: redis.Redis, database_url: str, bound: float) -> dict:
    token = f"killed-{uuid.uuid4().hex[:8]}"
    before = {dyno: received(worker) for dyno, worker in workers.items()}

    def receipts() -> int:
        return sum(received(worker) - before[dyno] for dyno, worker in workers.items())

    enqueue(env("run.1")["REDIS_URL"], "hub.tasks.record_work", token, TASK_SECONDS)
    holder = wait_until(
        lambda: next((dyno for dyno, worker in workers.items() if received(worker) > before[dyno]), None),
        30,
        "a receipt",
    )
    _, first_receipt = wait_until(lambda: receipt(client), 5, "the task in unacked_index")
    time.sleep(KILL_AFTER)
    workers[holder].signal(signal.SIGKILL)
    killed_at = time.time()
    workers[holder].stop()
    _, second_receipt = wait_until(lambda: receipt(client, after=first_receipt), bound, "the second receipt", 0.02)
    finished_by, finished_at = wait_until(lambda: finished(database_url, token), TASK_SECONDS + 30, "the run")
    row = {
        "received by": holder,
        "killed after s": round(killed_at - first_receipt, 1),
        "received again after s": round(second_receipt - first_receipt, 1),
        "finished after s": round(finished_at - first_receipt, 1),
        "finished by": finished_by,
        "receipts": receipts(),
    }
    # Heroku restarts the killed dyno; the next round has two workers again.
    workers[holder] = start_worker(env(holder), folder / f"{holder}.{token}.log")
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--time-limit", type=int, help="WORKER_TASK_TIME_LIMIT for the workers (default: the project's)"
    )
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bahk.settings")
    import django

    django.setup()
    from django.conf import settings

    from bahk.backing_services import celery_redis

    limit = args.time_limit or settings.CELERY_TASK_TIME_LIMIT
    folder = Path(tempfile.mkdtemp(prefix="bahk-worker-killed-"))
    postgres = PostgresServer().start().enable_tls()
    broker = RedisServer().start()
    visibility = celery_redis(broker.url, task_time_limit=limit)["broker_transport_options"]["visibility_timeout"]
    database_url = postgres.create_database("killed")
    limit_env = {"WORKER_TASK_TIME_LIMIT": str(args.time_limit)} if args.time_limit else {}

    def env(dyno: str) -> dict[str, str]:
        return heroku_env(dyno, DATABASE_URL=database_url, REDIS_URL=broker.url, **limit_env)

    rows = []
    try:
        migrate(env("release.1"))
        with contextlib.ExitStack() as stack, redis.Redis.from_url(broker.url) as client:
            workers = {dyno: start_worker(env(dyno), folder / f"{dyno}.log") for dyno in DYNOS}
            stack.callback(lambda: [worker.stop() for worker in workers.values()])
            # The longest the second receipt may take: the timeout, one 10 s look, a little slack.
            bound = visibility + 10 + 10
            for _ in range(args.rounds):
                rows.append(one_round(env, workers, folder, client, database_url, bound))
    finally:
        broker.stop()
        postgres.stop()
        shutil.rmtree(folder, ignore_errors=True)

    print(f"\nWORKER_TASK_TIME_LIMIT {limit} s, visibility timeout {visibility} s, a {TASK_SECONDS} s task")
    header = [
        "round",
        "killed after s",
        "received again after s",
        "finished after s",
        "finished by",
        "receipts",
    ]
    print("| " + " | ".join(header) + " |")
    for number, row in enumerate(rows, 1):
        cells = [number, row["killed after s"], row["received again after s"], row["finished after s"]]
        cells += [f"{row['finished by']} (killed: {row['received by']})", row["receipts"]]
        print("| " + " | ".join(str(cell) for cell in cells) + " |")
    save("worker_killed", {"time_limit": limit, "visibility_timeout": visibility, "rounds": rows})


if __name__ == "__main__":
    main()
