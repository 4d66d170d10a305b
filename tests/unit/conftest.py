import pytest
from django.core.management import call_command

from sentry_heroku.config import SentryConfig, read_config
from sentry_heroku.dyno import read_dyno


@pytest.fixture
def sentry_config():
    """The SentryConfig an environment gives, as settings would read it; SENTRY_RELEASE is set so git is never asked."""

    def config(**environ: str) -> SentryConfig:
        environ.setdefault("SENTRY_RELEASE", "test-release")
        return read_config(environ, read_dyno(environ))

    return config


@pytest.fixture(scope="session", autouse=True)
def collected_static(django_test_environment):
    """Collect static files once, in this process, as the buildpack does at build time: pages link hashed files."""
    call_command("collectstatic", "--noinput", verbosity=0)
