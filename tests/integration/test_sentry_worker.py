"""Sentry from the Procfile's worker process, and one trace from a web request into its task."""

import pytest

from tests.support.calls import answer
from tests.support.processes import heroku_env, migrate
from tests.support.sentry_sink import tags_of
from tests.support.staff import debug_action, session_cookie


@pytest.fixture
def dyno_values(redis_url):
    """The app's dynos share one Redis too."""
    return {"REDIS_URL": redis_url, "SENTRY_TRACES_SAMPLE_RATE": "1.0"}


def task_error(sink):
    for event in sink.events():
        values = (event.get("exception") or {}).get("values") or []
        if any("a task failed on purpose" in (value.get("value") or "") for value in values):
            return event
    return None


def test_worker_error_is_tagged_with_worker_dyno_and_continues_the_request_trace(
    dyno_env, sentry_sink, start_web, start_worker
):
    web, base_url = start_web(dyno_env("web.1"))
    worker = start_worker(dyno_env("worker.1"))
    with web, worker:
        cookie = session_cookie(dyno_env("run.1"))
        status, body = answer(base_url, debug_action(cookie, "celery"))
        assert status == 202, body

        event = sentry_sink.wait_for(task_error, what="the task's error event")
        request = sentry_sink.wait_for(
            lambda s: next((t for t in s.transactions() if t["transaction"] == "/api/sentry-debug/"), None),
            what="the web request's transaction",
        )

    tags = tags_of(event)
    assert tags["dyno"] == "worker.1"
    assert tags["dyno_type"] == "worker"
    assert tags["heroku_release"] == "v42"
    assert event["server_name"] == "worker.1"
    assert event["contexts"]["trace"]["trace_id"] == request["contexts"]["trace"]["trace_id"]
    assert event["extra"]["celery-job"]["task_name"] == "sentry_heroku.tasks.fail_for_sentry_debug"


def test_worker_error_arrives_with_the_filesystem_broker_too(tmp_path, sentry_sink, start_worker):
    # bin/dev's worker: a dyno name without REDIS_URL, which only a local run allows.
    env = heroku_env(
        "worker.2", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", SENTRY_DSN=sentry_sink.dsn, LOCAL_DYNO="1"
    )
    del env["REDIS_URL"]
    migrate(env)
    with start_worker(env):
        from tests.support.processes import run_command

        enqueue = "from sentry_heroku.tasks import fail_for_sentry_debug; fail_for_sentry_debug.delay()"
        result = run_command(["python", "manage.py", "shell", "-c", enqueue], env | {"DYNO": "run.7"})
        assert result.returncode == 0, result.stderr
        event = sentry_sink.wait_for(task_error, what="the task's error event")
    assert tags_of(event)["dyno"] == "worker.2"
