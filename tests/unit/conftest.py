import pytest

from sentry_heroku.config import SentryConfig, read_config
from sentry_heroku.dyno import read_dyno


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
