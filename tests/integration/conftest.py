import pytest

from tests.support.processes import DYNO_ADDONS, clean_env, migrate


@pytest.fixture(scope="session", autouse=True)
def dyno_addons(redis_server, tmp_path_factory):
    """The add-ons of every dyno a test starts without its own: the session's Redis, a migrated SQLite file."""
    DYNO_ADDONS["DATABASE_URL"] = f"sqlite:///{tmp_path_factory.mktemp('dynos') / 'db.sqlite3'}"
    DYNO_ADDONS["REDIS_URL"] = redis_server.url
    migrate(clean_env(**DYNO_ADDONS))
    yield DYNO_ADDONS
    DYNO_ADDONS.clear()
