"""A worker dyno killed outright (Heroku's SIGKILL 30 s after SIGTERM, an R15, a crash), with a task in hand.

The task was acknowledged late, so it waits in kombu's "unacked" hash on
Redis until the visibility timeout, twice WORKER_TASK_TIME_LIMIT after the
dead worker received it; then the next look of a live worker (every 10 s)
puts it back on the queue. A worker that is still running a task kills it
at the time limit, before that, so no task is ever run by two workers at once.
The tests set the limit to a few seconds; the defaults (300 s, so 600 s)
behave the same, only slower.
"""

import contextlib
import signal
import time
import uuid

import psycopg
import redis

from tests.support.broker import enqueue, queue_length
from tests.support.processes import heroku_env, migrate
from tests.support.servers import wait_until

TIME_LIMIT = 8
VISIBILITY_TIMEOUT = 2 * TIME_LIMIT
# kombu's unacked_restore_interval: how often every worker looks for tasks whose timeout has passed.
RESTORE_INTERVAL = 10
# Well inside the time limit: the task finishes unless its worker dies.
TASK_SECONDS = 3
RECEIVED = "hub.tasks.record_work["


def finished_runs(database_url: str) -> dict[str, str]:
    with psycopg.connect(database_url) as connection:
        return dict(connection.execute("SELECT token, dyno FROM hub_taskrun").fetchall())


def unacknowledged(redis_url: str) -> int:
    with redis.Redis.from_url(redis_url) as client:
        return client.hlen("unacked")


def received(worker) -> int:
    return sum(RECEIVED in line and "] received" in line for line in worker.output().splitlines())


def dyno_env(dyno: str, database_url: str, redis_url: str) -> dict[str, str]:
    return heroku_env(dyno, DATABASE_URL=database_url, REDIS_URL=redis_url, WORKER_TASK_TIME_LIMIT=str(TIME_LIMIT))


@contextlib.contextmanager
def two_workers(start_worker, database_url: str, redis_url: str):
    """Two worker dynos, both ready before the task is sent: {dyno name: process}."""
    migrate(dyno_env("release.1", database_url, redis_url))
    with contextlib.ExitStack() as stack:
        yield {
            dyno: stack.enter_context(start_worker(dyno_env(dyno, database_url, redis_url)))
            for dyno in ("worker.1", "worker.2")
        }


def holder_and_other(workers: dict) -> tuple[str, str]:
    """The dyno that received the one task sent, and the other one."""
    holder = wait_until(
        lambda: next((dyno for dyno, worker in workers.items() if received(worker) == 1), None),
        30,
        "a worker to receive the task",
    )
    return holder, next(dyno for dyno in workers if dyno != holder)


def test_task_of_a_sigkilled_worker_is_run_once_by_the_survivor_after_the_visibility_timeout(
    heroku_database_url, redis_url, start_worker
):
    token = f"killed-{uuid.uuid4().hex[:8]}"
    with two_workers(start_worker, heroku_database_url, redis_url) as workers:
        enqueue(redis_url, "hub.tasks.record_work", token, TASK_SECONDS)
        killed, survivor = holder_and_other(workers)
        received_at = time.monotonic()
        time.sleep(1)
        # Heroku's SIGKILL, to every process of the dyno, while the task runs.
        workers[killed].signal(signal.SIGKILL)
        workers[killed].wait(timeout=10)
        assert token not in finished_runs(heroku_database_url), "the task had finished before the kill"
        assert unacknowledged(redis_url) == 1  # waiting in kombu's unacked hash, not on the queue

        # The timeout, one look of the survivor, the run, and slack for a loaded machine.
        bound = VISIBILITY_TIMEOUT + RESTORE_INTERVAL + TASK_SECONDS + 10
        wait_until(
            lambda: token in finished_runs(heroku_database_url),
            bound - (time.monotonic() - received_at),
            f"the survivor to run the killed worker's task within {bound} s of its first receipt",
            interval=0.2,
        )
        handed_back_after = time.monotonic() - received_at

        assert finished_runs(heroku_database_url) == {token: survivor}
        assert received(workers[survivor]) == 1  # run once, by the survivor...
    assert handed_back_after > VISIBILITY_TIMEOUT  # ...and not while the killed one might still have been running it
    assert unacknowledged(redis_url) == 0
    assert queue_length(redis_url) == 0


def test_task_still_running_in_a_live_worker_is_killed_at_its_time_limit_and_never_given_to_another(
    heroku_database_url, redis_url, start_worker
):
    token = f"overrun-{uuid.uuid4().hex[:8]}"
    with two_workers(start_worker, heroku_database_url, redis_url) as workers:
        # Would run three times its limit.
        enqueue(redis_url, "hub.tasks.record_work", token, 3 * TIME_LIMIT)
        holder, other = holder_and_other(workers)
        received_at = time.monotonic()
        wait_until(
            lambda: f"Hard time limit ({TIME_LIMIT}s) exceeded" in workers[holder].output(),
            TIME_LIMIT + 10,
            "the worker to kill the task at its time limit",
        )
        # Past the visibility timeout and two more looks of the other worker.
        time.sleep(max(0.0, received_at + VISIBILITY_TIMEOUT + 2 * RESTORE_INTERVAL - time.monotonic()))

        assert received(workers[other]) == 0
        assert workers[holder].popen.poll() is None  # the worker lived throughout: only the task was killed
    assert token not in finished_runs(heroku_database_url)
    # Acknowledged as failed: nothing is left to hand out again.
    assert unacknowledged(redis_url) == 0
    assert queue_length(redis_url) == 0
