"""A dyno without its add-ons refuses to start, naming the variable and the command that adds it.

On a dyno, no DATABASE_URL would mean a SQLite file on the dyno's own disk
(one per dyno, erased at every restart), and no REDIS_URL a filesystem
broker the worker dyno never sees. Locally both stay the embedded defaults.
"""

import json

import pytest

from tests.support.processes import Process, clean_env, heroku_env, http_get, procfile_command

FIXES = {
    "DATABASE_URL": "heroku addons:create heroku-postgresql:essential-0",
    "REDIS_URL": "heroku addons:create heroku-redis:mini",
}


@pytest.mark.parametrize("missing", FIXES)
@pytest.mark.parametrize("process_type", ["web", "worker", "release"])
def test_a_dyno_without_an_addon_exits_naming_it_and_the_fix(process_type, missing, tmp_path, redis_url):
    env = heroku_env(f"{process_type}.1", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", REDIS_URL=redis_url)
    del env[missing]
    with Process(procfile_command(process_type), env, tmp_path / f"{process_type}.log") as process:
        status = process.wait(timeout=60)
        output = process.output()

    assert status != 0
    assert f"{missing} is not set" in output
    assert FIXES[missing] in output


def test_run_locally_web_and_worker_start_on_sqlite_and_the_filesystem_broker(tmp_path, start_web, start_worker):
    env = clean_env(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    web, base_url = start_web(env)
    with web, start_worker(env):
        status, _, body = http_get(base_url + "/health/")

    assert status == 200
    assert json.loads(body) == {"status": "ok", "database": "ok", "redis": "not configured"}
