"""The Procfile's release, web and worker commands as real processes, against real PostgreSQL and Redis.

What /health/ answers is in test_health.py.
"""

import http.client
import sqlite3
import subprocess
from urllib.parse import urlsplit

import psycopg
import pytest

from tests.support.processes import (
    HOST,
    ROOT,
    clean_env,
    heroku_env,
    migrate,
    procfile_command,
    run_command,
)
from tests.support.servers import free_port

PASSWORD = "s3cr3t-pa55w0rd"


def test_gunicorn_binds_port_on_every_interface_with_web_concurrency_workers():
    env = clean_env(PORT="5123", WEB_CONCURRENCY="3")

    result = run_command(["bash", "-c", f"{procfile_command('web')} --print-config"], env)

    assert result.returncode == 0, result.stderr
    config = dict(map(str.strip, line.split(" = ", 1)) for line in result.stdout.splitlines() if " = " in line)
    assert config["bind"] == "['[::]:5123']"
    assert config["workers"] == "3"
    assert config["worker_class"] == "bahk.gunicorn_worker.BufferingThreadWorker"  # gthread, reading requests whole


def get_without_following(base_url: str, path: str, **headers: str) -> tuple[int, dict[str, str]]:
    """(status, headers) as the router would pass them back: a redirect is not followed."""
    connection = http.client.HTTPConnection(urlsplit(base_url).netloc, timeout=10)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders())
    finally:
        connection.close()


def test_web_on_heroku_redirects_plain_http_except_health_and_refuses_other_hosts(tmp_path, start_web):
    env = heroku_env("web.1", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    migrate(env)
    web, base_url = start_web(env)
    with web:
        plain_admin = get_without_following(base_url, "/admin/login/", Host=HOST, **{"X-Forwarded-Proto": "http"})
        plain_health = get_without_following(base_url, "/health/", Host=HOST, **{"X-Forwarded-Proto": "http"})
        https_admin = get_without_following(base_url, "/admin/login/", Host=HOST, **{"X-Forwarded-Proto": "https"})
        foreign_host = get_without_following(base_url, "/health/", Host="evil.example.com")

    assert plain_admin[0] == 301
    assert plain_admin[1]["Location"] == f"https://{HOST}/admin/login/"
    assert plain_health[0] == 200
    assert https_admin[0] == 200
    assert "max-age=31536000" in https_admin[1]["Strict-Transport-Security"]
    assert foreign_host[0] == 400


def public_participants(database) -> int:
    with sqlite3.connect(database) as db:
        return db.execute("SELECT count(*) FROM hub_participant WHERE is_public").fetchone()[0]


COUNT_IN_WORKER = (
    "from hub.tasks import count_public_participants; "
    "result = count_public_participants.delay(); "
    "print(result.id, result.get(timeout=60))"
)


@pytest.mark.parametrize("broker", ["redis", "filesystem"])
def test_worker_command_runs_a_task_and_its_result_comes_back(broker, request, tmp_path, start_worker):
    database = tmp_path / "db.sqlite3"
    backing = {"REDIS_URL": request.getfixturevalue("redis_url")} if broker == "redis" else {}
    env = heroku_env("worker.1", DATABASE_URL=f"sqlite:///{database}", **backing)
    migrate(env)
    seeded = run_command(["python", "manage.py", "seed_participants", "--count", "137", "--seed", "5"], env)
    assert seeded.returncode == 0, seeded.stderr

    with start_worker(env) as worker:
        enqueued = run_command(["python", "manage.py", "shell", "-c", COUNT_IN_WORKER], env | {"DYNO": "run.1"})
        assert enqueued.returncode == 0, enqueued.stderr + worker.output()
        task_id, counted = enqueued.stdout.split()[-2:]

    assert int(counted) == public_participants(database) > 0
    assert f"Task hub.tasks.count_public_participants[{task_id}] succeeded" in worker.output()
    assert "concurrency: 2 (prefork)" in worker.output()  # WORKER_CONCURRENCY unset


def test_release_command_migrates_a_real_postgres_and_can_run_again(postgres_url):
    env = clean_env(DATABASE_URL=postgres_url, DYNO="release.1", LOCAL_DYNO="1")

    first = run_command(["bash", "-c", procfile_command("release")], env)
    again = run_command(["bash", "-c", procfile_command("release")], env)

    assert first.returncode == 0, first.stdout + first.stderr
    assert "Applying hub.0001_initial... OK" in first.stdout
    assert again.returncode == 0, again.stdout + again.stderr
    assert "No migrations to apply" in again.stdout
    with psycopg.connect(postgres_url) as connection:
        tables = {row[0] for row in connection.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        applied = connection.execute("SELECT count(*) FROM django_migrations WHERE app = 'hub'").fetchone()[0]
    assert {"hub_participant", "auth_user", "django_session", "django_migrations"} <= tables
    assert applied == len(list((ROOT / "hub" / "migrations").glob("0*.py")))


def test_release_command_fails_the_release_with_a_clear_message_when_the_database_is_unreachable():
    env = clean_env(DATABASE_URL=f"postgres://app:{PASSWORD}@127.0.0.1:{free_port()}/bahk")

    result = run_command(["bash", "-c", procfile_command("release")], env)

    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == "release: migrations failed; this release was not deployed"
    assert "Connection refused" in result.stderr
    assert PASSWORD not in result.stdout + result.stderr


def test_release_command_stops_on_a_malformed_database_url_with_one_line():
    env = clean_env(DATABASE_URL=f"mysql://app:{PASSWORD}@db.example.com/bahk")

    result = subprocess.run(
        ["bash", "-c", procfile_command("release")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[0].startswith("ImproperlyConfigured: DATABASE_URL must look like")
    assert PASSWORD not in result.stdout + result.stderr
