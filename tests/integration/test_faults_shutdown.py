"""A daily dyno restart, as Heroku does it: SIGTERM to every process of the dyno, SIGKILL 30 s later.

The web dyno finishes the requests it has started and exits by itself; the
worker dyno finishes the short task it is running, hands the long one back
to Redis, and the next worker runs it: the count of finished runs in the
database says nothing was lost.
"""

import signal
import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from django.conf import settings

from tests.support.broker import enqueue, queue_length
from tests.support.calls import Call, send
from tests.support.processes import heroku_env, migrate, run_command
from tests.support.sentry_sink import tags_of
from tests.support.servers import wait_until
from tests.support.staff import debug_action, session_cookie

# Heroku sends SIGKILL this long after SIGTERM.
HEROKU_KILL_AFTER = 30
IN_FLIGHT = 3
# Longer than the worker's soft shutdown, so the restart must hand it back.
LONG_TASK_SECONDS = settings.CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT + 2
SHORT_TASK_SECONDS = 2


def map_queries_waiting_on_a_lock(database_url: str) -> int:
    with psycopg.connect(database_url, autocommit=True) as connection:
        return connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%hub_participant%'"
        ).fetchone()[0]


def test_web_finishes_requests_in_flight_at_sigterm_exits_by_itself_and_sends_its_errors(
    heroku_database_url, sentry_sink, start_web
):
    # No REDIS_URL: the map reads the database on every request, where the test can hold it up.
    env = heroku_env("web.1", DATABASE_URL=heroku_database_url, SENTRY_DSN=sentry_sink.dsn)
    migrate(env)
    seed = run_command(["python", "manage.py", "seed_participants", "--count", "500", "--seed", "6"], env)
    assert seed.returncode == 0, seed.stderr
    cookie = session_cookie(env)
    web, base_url = start_web(env)
    with web, psycopg.connect(heroku_database_url) as lock, ThreadPoolExecutor(IN_FLIGHT) as clients:
        # A slow query, made on purpose: the map requests wait on this lock until the test lets go.
        lock.execute("LOCK TABLE hub_participant IN ACCESS EXCLUSIVE MODE")
        in_flight = [clients.submit(send, base_url, Call(f"/api/participants/map/?limit={n + 1}")) for n in range(3)]
        wait_until(lambda: map_queries_waiting_on_a_lock(heroku_database_url) == IN_FLIGHT, 30, "requests in flight")
        error = debug_action(cookie, headers={"X-Request-ID": "just-before-sigterm"})
        assert send(base_url, error) == 500

        web.signal(signal.SIGTERM)
        wait_until(lambda: "Handling signal: term" in web.output(), 10, "gunicorn to take the SIGTERM")
        lock.rollback()

        assert [request.result() for request in in_flight] == [200] * IN_FLIGHT
        assert web.wait(timeout=HEROKU_KILL_AFTER) == 0

    sentry_sink.wait_for(
        lambda s: any(tags_of(e).get("request_id") == "just-before-sigterm" for e in s.events()),
        what="the error captured just before SIGTERM",
    )


def finished_runs(database_url: str) -> dict[str, str]:
    with psycopg.connect(database_url) as connection:
        return dict(connection.execute("SELECT token, dyno FROM hub_taskrun").fetchall())


def test_worker_sigterm_finishes_the_short_task_requeues_the_long_one_and_loses_none(
    heroku_database_url, redis_url, start_worker
):
    def env(dyno: str) -> dict[str, str]:
        return heroku_env(dyno, DATABASE_URL=heroku_database_url, REDIS_URL=redis_url)

    migrate(env("release.1"))
    long, short = f"long-{uuid.uuid4().hex[:8]}", f"short-{uuid.uuid4().hex[:8]}"
    queued = [f"queued-{n}-{uuid.uuid4().hex[:8]}" for n in range(3)]
    first = start_worker(env("worker.1"))
    with first:
        enqueue(redis_url, "hub.tasks.record_work", long, LONG_TASK_SECONDS)
        enqueue(redis_url, "hub.tasks.record_work", short, SHORT_TASK_SECONDS)
        # Two worker processes, one task each: both are running.
        wait_until(lambda: first.output().count("] received") == 2, 30, "the worker to start both tasks")
        for token in queued:
            enqueue(redis_url, "hub.tasks.record_work", token, 0)

        first.signal(signal.SIGTERM)
        try:
            first.wait(timeout=HEROKU_KILL_AFTER)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the worker was still running when Heroku would SIGKILL it:\n{first.output()}")

    after_restart = finished_runs(heroku_database_url)
    assert after_restart.get(short) == "worker.1"  # shorter than the soft shutdown: finished, not cut
    assert long not in after_restart  # longer: cut...
    everything = {long, short, *queued}
    assert queue_length(redis_url) == len(everything - set(after_restart))  # ...and handed back to Redis

    with start_worker(env("worker.2")):
        wait_until(
            lambda: set(finished_runs(heroku_database_url)) == everything,
            LONG_TASK_SECONDS + 60,
            "the next worker to run what the restart handed back",
            interval=0.2,
        )
    runs = finished_runs(heroku_database_url)
    assert runs[long] == "worker.2"
    assert len(runs) == len(everything)
