"""/health/ from the Procfile's web process: the database and Redis as they come and go, nothing secret in it."""

import json

import pytest

from tests.support.processes import HOST, clean_env, heroku_env, http_get
from tests.support.servers import PostgresServer, RedisServer, free_port

PASSWORD = "s3cr3t-pa55w0rd"


def health(base_url: str, **headers: str) -> tuple[int, dict]:
    status, response_headers, body = http_get(base_url + "/health/", headers=headers)
    assert response_headers["Content-Type"] == "application/json", body
    return status, json.loads(body)


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_web_command_answers_health_with_database_ok(database, request, tmp_path, start_web):
    if database == "postgres":
        # Off Heroku: the throwaway server speaks no TLS, which a dyno would require.
        env = clean_env(DATABASE_URL=request.getfixturevalue("postgres_url"))
        headers, redis = {}, "not configured"
    else:
        # A dyno has its Redis add-on too: it would refuse to start without one.
        env = heroku_env("web.1", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
        headers, redis = {"Host": HOST}, "ok"
    web, base_url = start_web(env)
    with web:
        status, body = health(base_url, **headers)

    assert status == 200
    assert body == {"status": "ok", "database": "ok", "redis": redis}
    assert "GET /health/" in web.output(), "no access log line on stdout"


@pytest.mark.own_servers
def test_health_is_503_while_the_database_is_down_and_recovers_when_it_returns(start_web):
    server = PostgresServer().start()
    try:
        env = clean_env(DATABASE_URL=server.create_database("bahk"))
        web, base_url = start_web(env)
        with web:
            before = health(base_url)
            server._fast_shutdown()  # cuts the web's open connections
            server.process.wait(15)
            during = health(base_url)
            server.restart()
            after = health(base_url)
    finally:
        server.stop()

    assert before == (200, {"status": "ok", "database": "ok", "redis": "not configured"})
    assert during == (503, {"status": "down", "database": "down", "redis": "not configured"})
    assert after == before


def test_health_is_503_when_the_database_was_never_reachable(start_web):
    env = clean_env(DATABASE_URL=f"postgres://app:{PASSWORD}@127.0.0.1:{free_port()}/bahk")
    web, base_url = start_web(env)
    with web:
        status, body = health(base_url)

    assert (status, body["database"]) == (503, "down")
    assert PASSWORD not in json.dumps(body)


@pytest.mark.own_servers
def test_health_reports_redis_ok_then_down_while_the_app_keeps_serving(tmp_path, start_web):
    redis = RedisServer().start()
    try:
        env = heroku_env("web.1", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", REDIS_URL=redis.url)
        web, base_url = start_web(env)
        with web:
            up = health(base_url, Host=HOST)
            redis.stop()
            down = health(base_url, Host=HOST)
    finally:
        redis.stop()

    assert up == (200, {"status": "ok", "database": "ok", "redis": "ok"})
    assert down == (200, {"status": "degraded", "database": "ok", "redis": "down"})
