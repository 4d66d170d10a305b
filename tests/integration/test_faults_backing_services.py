"""Redis or PostgreSQL going away under a running app, and coming back.

Redis stopped: the map answers from the database, /health/ says degraded,
and the worker reconnects by itself once Redis is back. PostgreSQL
restarted: the web process's persistent connections are all cut, and its
next requests succeed without a restart of the dyno.
"""

import json
import uuid

import psycopg

from tests.support.broker import enqueue
from tests.support.calls import Call, burst, unexpected
from tests.support.processes import HOST, heroku_env, http_get, migrate, run_command
from tests.support.servers import RedisServer, wait_until

MAP = "/api/participants/map/?bbox=-180,-90,180,90&limit=50000"


def get_json(base_url: str, path: str) -> tuple[int, dict]:
    status, _, body = http_get(base_url + path, {"Host": HOST})
    return status, json.loads(body)


def seeded_env(database_url: str, **values: str):
    def env(dyno: str) -> dict[str, str]:
        return heroku_env(dyno, DATABASE_URL=database_url, **values)

    migrate(env("release.1"))
    seed = run_command(["python", "manage.py", "seed_participants", "--count", "300", "--seed", "6"], env("run.1"))
    assert seed.returncode == 0, seed.stderr
    return env


def test_without_redis_the_map_answers_from_the_database_and_the_worker_reconnects_when_it_returns(
    heroku_database_url, start_web, start_worker
):
    redis = RedisServer().start()
    try:
        env = seeded_env(heroku_database_url, REDIS_URL=redis.url)
        web, base_url = start_web(env("web.1"))
        worker = start_worker(env("worker.1"))
        with web, worker:
            status, healthy_map = get_json(base_url, MAP)
            assert status == 200 and healthy_map["features"]

            redis.stop()
            results = burst(base_url, [Call(MAP), Call("/health/"), Call("/map/")] * 10, concurrency=4)
            assert not unexpected(results)
            assert get_json(base_url, MAP) == (200, healthy_map)
            assert get_json(base_url, "/health/") == (200, {"status": "degraded", "database": "ok", "redis": "down"})

            redis.start()  # the same port, empty, as after a Heroku Redis failover
            wait_until(lambda: get_json(base_url, "/health/")[1]["status"] == "ok", 30, "health to say ok again")
            token = f"after-redis-{uuid.uuid4().hex[:8]}"
            enqueue(redis.url, "hub.tasks.record_work", token, 0)
            wait_until(
                lambda: task_ran(heroku_database_url, token), 90, "the worker to run a task after Redis returned"
            )
            assert worker.popen.poll() is None  # the same worker process: it reconnected by itself
    finally:
        redis.stop()


def task_ran(database_url: str, token: str) -> bool:
    with psycopg.connect(database_url) as connection:
        return connection.execute("SELECT 1 FROM hub_taskrun WHERE token = %s", [token]).fetchone() is not None


def test_web_recovers_from_a_postgresql_restart_without_restarting(heroku_postgres, heroku_database_url, start_web):
    # No REDIS_URL: every map request goes to the database.
    env = seeded_env(heroku_database_url)
    calls = [Call(MAP), Call("/health/"), Call("/api/participants/map/?bbox=0,0,60,60")] * 16
    web, base_url = start_web(env("web.1"))
    with web:
        # Every gunicorn thread holds a persistent connection (conn_max_age) before the restart.
        assert not unexpected(burst(base_url, calls, concurrency=8))

        heroku_postgres.restart()

        assert not unexpected(burst(base_url, calls, concurrency=8))
        assert web.popen.poll() is None
