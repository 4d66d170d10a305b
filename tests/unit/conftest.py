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
