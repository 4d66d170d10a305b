"""Sentry from the Procfile's worker process, and one trace from a web request into its task."""

import pytest

from tests.processes import heroku_env, http_get, migrate, start_web, start_worker
from tests.sentry_sink import tags_of
from tests.staff import session_cookie

HOST = "bahk-test-1a2b3c4d5e6f.herokuapp.com"


@pytest.fixture
def dyno_env(tmp_path, sentry_sink, redis_url):
    """Environment shared by the app's dynos: one database, one Redis, one Sentry project."""

    def env(dyno: str) -> dict[str, str]:
        return heroku_env(
            dyno,
            DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
            REDIS_URL=redis_url,
            SENTRY_DSN=sentry_sink.dsn,
            SENTRY_TRACES_SAMPLE_RATE="1.0",
        )

    migrate(env("release.1"))
    return env


def task_error(sink):
    for event in sink.events():
        values = (event.get("exception") or {}).get("values") or []
        if any("a task failed on purpose" in (value.get("value") or "") for value in values):
            return event
    return None


def test_worker_error_is_tagged_with_worker_dyno_and_continues_the_request_trace(dyno_env, sentry_sink, tmp_path):
    web, base_url = start_web(dyno_env("web.1"), tmp_path / "web.log")
    worker = start_worker(dyno_env("worker.1"), tmp_path / "worker.log")
    with web, worker:
        cookie = session_cookie(dyno_env("run.1"))
        status, _, body = http_get(base_url + "/api/sentry-debug/?celery=true", {"Host": HOST, "Cookie": cookie})
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


def test_worker_error_arrives_with_the_filesystem_broker_too(tmp_path, sentry_sink):
    env = heroku_env("worker.2", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", SENTRY_DSN=sentry_sink.dsn)
    migrate(env)
    with start_worker(env, tmp_path / "worker.log"):
        from tests.processes import run_command

        enqueue = "from sentry_heroku.tasks import fail_for_sentry_debug; fail_for_sentry_debug.delay()"
        result = run_command(["python", "manage.py", "shell", "-c", enqueue], env | {"DYNO": "run.7"})
        assert result.returncode == 0, result.stderr
        event = sentry_sink.wait_for(task_error, what="the task's error event")
    assert tags_of(event)["dyno"] == "worker.2"
