import socket
import uuid

import pytest
from django.test import override_settings

from bahk import backing_services
from sentry_heroku.config import SentryConfig, read_config
from sentry_heroku.dyno import read_dyno
from tests.support.drain_client import SECRET
from tests.support.served_drain import ServedDrain


@pytest.fixture
def sentry_config():
    """The SentryConfig an environment gives, as settings would read it; SENTRY_RELEASE is set so git is never asked."""

    def config(**environ: str) -> SentryConfig:
        environ.setdefault("SENTRY_RELEASE", "test-release")
        return read_config(environ, read_dyno(environ))

    return config


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Users the tests create (admin_user, create_user) hash their passwords with MD5, as Django's testing docs
    advise: PBKDF2's iterations cost about 0.3 s a user, which no test here is about."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def served(client, monkeypatch, sentry_config):
    """/heroku/logs/ served in this process with HEROKU_DRAIN_SECRET set (tests/support/served_drain.py)."""
    # A dyno's own host (the router's Host header); a cache of the test's own, so no other test's Frame-Ids are seen.
    caches = {"default": {**backing_services.local_cache(), "LOCATION": uuid.uuid4().hex}}
    with override_settings(ALLOWED_HOSTS=[".herokuapp.com"], CACHES=caches):
        yield ServedDrain(client, monkeypatch, sentry_config(HEROKU_DRAIN_SECRET=SECRET))


@pytest.fixture
def dead_redis():
    """A Redis URL whose port refuses connections: bound by this test, never listening."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        yield f"redis://127.0.0.1:{taken.getsockname()[1]}/0"
