"""Django's debug page (on by default under bin/dev) shows no secret: not the environment, not the add-on passwords.

The page is rendered by a real process whose settings read an environment
with a secret in every variable that can hold one. Under runserver a
request's META holds the whole environment, so the request carries it too.
"""

import pytest

from tests.support.processes import clean_env, run_command

# Each variable with its secret part; the page must not contain any of them.
SECRETS = {
    "DATABASE_URL": ("postgres://bahk:{}@db.example.com:5432/bahk", "pgPassword7c1e9a"),
    "REDIS_URL": ("redis://:{}@redis.example.com:6379/0", "redisPassword5d2b8f"),
    "SENTRY_DSN": ("https://{}@o0.ingest.sentry.io/42", "0a1b2c3d4e5f60718293a4b5c6d7e8f9"),
    "SENTRY_AUTH_TOKEN": ("{}", "sntrys_test_only_3e8a61c0ffee"),
    "DJANGO_SECRET_KEY": ("{}", "debug-page-secret-key-4f9c2a7e1b"),
    "STRIPE_API_KEY": ("{}", "sk_live_debugpage_6b2e0c"),
}

RENDER_A_FAILING_REQUEST = """
import os, sys
import django
django.setup()
from django.test import RequestFactory
from django.views.debug import technical_500_response
request = RequestFactory().get("/broken/", **os.environ)
try:
    raise RuntimeError("a view failed")
except RuntimeError:
    response = technical_500_response(request, *sys.exc_info())
sys.stdout.write(response.content.decode())
"""


@pytest.fixture
def debug_page() -> str:
    env = clean_env(
        DJANGO_SETTINGS_MODULE="bahk.settings",
        DJANGO_DEBUG="1",
        # Read and checked, never sent: the tests' Sentry stays off.
        SENTRY_FORCE_DISABLE="1",
        **{name: form.format(secret) for name, (form, secret) in SECRETS.items()},
    )
    result = run_command(["python", "-c", RENDER_A_FAILING_REQUEST], env)
    assert result.returncode == 0, "rendering the debug page failed"
    return result.stdout


def test_the_debug_page_rendered_for_real(debug_page):
    assert "RuntimeError" in debug_page
    assert "CELERY_BROKER_URL" in debug_page  # the settings are listed, with their values hidden
    assert "DATABASE_URL" in debug_page  # and so is the request's environment


@pytest.mark.parametrize("name", SECRETS)
def test_no_secret_of_the_environment_is_on_the_debug_page(debug_page, name):
    # The assertion names the variable, never its value: a failing test prints nothing secret.
    assert SECRETS[name][1] not in debug_page, f"the debug page shows the secret in {name}"
