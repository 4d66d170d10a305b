import hashlib
import os
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.support.processes import Dynos, heroku_env, migrate
from tests.support.sentry_sink import SentrySink
from tests.support.servers import PostgresServer, RedisServer, find_binary


class ExistingPostgres:
    """Heroku CI's in-dyno PostgreSQL, no server binaries: bin/test passes its DATABASE_URL as TEST_DATABASE_URL."""

    def __init__(self, url: str):
        self.base_url = url.rsplit("/", 1)[0]
        self.admin_url = url

    def url(self, database: str) -> str:
        return f"{self.base_url}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self):
        pass


def session_server(variable: str, binary: str, scheme: str, existing, own):
    """Heroku CI's in-dyno add-on where bin/test passes its URL as variable and binary is missing; else our own."""
    url = os.environ.get(variable, "")
    server = existing(url) if not find_binary(binary) and url.startswith(scheme) else own().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres():
    yield from session_server("TEST_DATABASE_URL", "initdb", "postgres", ExistingPostgres, PostgresServer)


@pytest.fixture
def postgres_url(postgres, request) -> str:
    """A new, empty database for this test."""
    name = "t_" + hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:16]
    return postgres.create_database(name)


class ExistingRedis:
    """Heroku CI's in-dyno Redis (bin/test passes its REDIS_URL as TEST_REDIS_URL) without a redis-server binary."""

    def __init__(self, url: str):
        self.url = url

    def client(self):
        import redis

        return redis.Redis.from_url(self.url, socket_timeout=5)

    def stop(self):
        pass


@pytest.fixture(scope="session")
def redis_server():
    yield from session_server("TEST_REDIS_URL", "redis-server", "redis", ExistingRedis, RedisServer)


@pytest.fixture
def redis_url(redis_server) -> str:
    """The session's Redis, emptied for this test."""
    redis_server.client().flushall()
    return redis_server.url


# Fixtures that start a server of the test's own (TLS like Heroku Postgres, restarts). Heroku CI's
# in-dyno add-ons cannot stand in for them, so app.json's test command leaves their tests out.
OWN_SERVER_FIXTURES = {"heroku_postgres", "heroku_database_url"}


def pytest_collection_modifyitems(items):
    for item in items:
        if OWN_SERVER_FIXTURES & set(item.fixturenames):
            item.add_marker(pytest.mark.own_servers)


@pytest.fixture(scope="module")
def heroku_postgres():
    """A PostgreSQL of the module's own that speaks TLS: a dyno's settings require it, and a test may restart it."""
    server = PostgresServer().start()
    try:
        yield server.enable_tls()
    finally:
        server.stop()


@pytest.fixture
def heroku_database_url(heroku_postgres, request) -> str:
    """A new, empty database on that server for this test."""
    return heroku_postgres.create_database("f_" + hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:16])


@pytest.fixture(scope="module")
def sentry_sink():
    """The loopback Sentry of a module: a long-lived web process of the module reports to it as each test's do."""
    sink = SentrySink().start()
    yield sink
    sink.stop()


@pytest.fixture(autouse=True)
def _fresh_sentry_sink(request):
    """After each test that used the sink, it forgets what arrived and answers "ok": no test sees another's events."""
    yield
    if "sentry_sink" in request.fixturenames:
        request.getfixturevalue("sentry_sink").reset()


@pytest.fixture(scope="session", autouse=True)
def collected_static(django_test_environment):
    """Collect static files once, in this process, as the buildpack does at build time: pages link hashed files."""
    call_command("collectstatic", "--noinput", verbosity=0)


@pytest.fixture
def database(tmp_path) -> Path:
    """The SQLite file every dyno of the test shares."""
    return tmp_path / "db.sqlite3"


@pytest.fixture
def dyno_values() -> dict[str, str]:
    """What a test module adds to every dyno's environment under dyno_env (REDIS_URL, SENTRY_*): override it there."""
    return {}


@pytest.fixture
def dyno_env(database, redis_url, sentry_sink, dyno_values):
    """The environment of any of the app's dynos, by name: one migrated database, one Redis, one Sentry project."""

    def env(dyno: str) -> dict[str, str]:
        values = {"DATABASE_URL": f"sqlite:///{database}", "REDIS_URL": redis_url, "SENTRY_DSN": sentry_sink.dsn}
        return heroku_env(dyno, **(values | dyno_values))

    migrate(env("release.1"))
    return env


@pytest.fixture
def start_web(tmp_path):
    """start_web(env) -> (process, base URL): the Procfile's web line under env (slug venv); stopped after the test."""
    dynos = Dynos(tmp_path)
    yield dynos.web
    dynos.stop()


@pytest.fixture
def start_worker(tmp_path):
    """start_worker(env) -> process: the Procfile's worker line under env, once ready; stopped after the test."""
    dynos = Dynos(tmp_path)
    yield dynos.worker
    dynos.stop()


@pytest.fixture(scope="module")
def module_dynos(request, tmp_path_factory) -> Dynos:
    """Web and worker processes that serve every test of a module (module_dynos.web(env)); stopped after it."""
    dynos = Dynos(tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1]))
    yield dynos
    dynos.stop()


@pytest.fixture
def web(dyno_env, start_web):
    """The Procfile's web line under dyno_env("web.1"), stopped after the test; its base URL."""
    return start_web(dyno_env("web.1"))[1]
