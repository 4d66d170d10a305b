"""The Sentry-for-Heroku app lifted into another Django project: copy the folder, add a few lines, get tagged events.

The second project lives in a temporary folder with nothing of bahk beside it,
so an import of bahk or hub from inside the app fails the test.
"""

import shutil
import textwrap
from pathlib import Path

import pytest

from tests.support.processes import ROOT, clean_env, run_command
from tests.support.sentry_sink import tags_of

SETTINGS = """
    import os

    import sentry_heroku

    SECRET_KEY = "test-only-lifted-project-key"
    DEBUG = False
    ALLOWED_HOSTS = ["*"]
    INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "sentry_heroku"]
    MIDDLEWARE = ["sentry_heroku.middleware.SentryHerokuMiddleware"]
    ROOT_URLCONF = "lifted.urls"
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
    STATIC_URL = "static/"
    sentry_heroku.init(os.environ, static_url=STATIC_URL)
"""
URLS = """
    from django.urls import include, path


    def broken(request):
        raise RuntimeError("lifted project: a view failed")


    urlpatterns = [path("broken/", broken), path("", include("sentry_heroku.urls"))]
"""
REQUEST_A_BROKEN_VIEW = (
    "import django; django.setup(); from django.test import Client; "
    "print(Client(raise_request_exception=False).get('/broken/', HTTP_X_REQUEST_ID='req-77').status_code)"
)


@pytest.fixture
def lifted_project(tmp_path) -> Path:
    project = tmp_path / "lifted_project"
    shutil.copytree(ROOT / "sentry_heroku", project / "sentry_heroku", ignore=shutil.ignore_patterns("__pycache__"))
    (project / "lifted").mkdir()
    (project / "lifted" / "__init__.py").write_text("")
    (project / "lifted" / "settings.py").write_text(textwrap.dedent(SETTINGS))
    (project / "lifted" / "urls.py").write_text(textwrap.dedent(URLS))
    shutil.copy(ROOT / "manage.py", project / "manage.py")
    return project


def lifted_env(sink, **values) -> dict[str, str]:
    return clean_env(
        DJANGO_SETTINGS_MODULE="lifted.settings",
        DYNO="web.2",
        HEROKU_APP_NAME="lifted-app",
        HEROKU_RELEASE_VERSION="v7",
        HEROKU_BUILD_COMMIT="0123456789abcdef0123456789abcdef01234567",
        SENTRY_DSN=sink.dsn,
        **values,
    )


def test_a_copied_app_tags_sentry_check_events_with_the_dyno(lifted_project, sentry_sink):
    result = run_command(["python", "manage.py", "sentry_check"], lifted_env(sentry_sink), cwd=lifted_project)

    assert result.returncode == 0, result.stdout + result.stderr
    events = sentry_sink.wait_for(lambda s: len(s.events()) >= 2 and s.events(), what="sentry_check's two events")
    for event in events:
        assert tags_of(event).items() >= {"dyno": "web.2", "dyno_type": "web", "heroku_app": "lifted-app"}.items()
        assert event["release"] == "0123456789abcdef0123456789abcdef01234567"


def test_a_copied_app_reports_a_failing_view_with_the_routers_request_id(lifted_project, sentry_sink):
    env = lifted_env(sentry_sink)
    result = run_command(["python", "-c", REQUEST_A_BROKEN_VIEW], env, cwd=lifted_project)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split()[-1] == "500"
    event = sentry_sink.wait_for(
        lambda s: next((e for e in s.events() if "a view failed" in str(e.get("exception"))), None),
        what="the view's error",
    )
    assert tags_of(event)["dyno"] == "web.2"
    assert tags_of(event)["request_id"] == "req-77"
