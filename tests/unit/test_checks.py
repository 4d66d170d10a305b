"""manage.py check names each missing or misordered piece of the Sentry-for-Heroku set-up, with its fix."""

import dataclasses

import pytest
from django.conf import settings
from django.test import override_settings

import sentry_heroku
from sentry_heroku import checks, startup

# This module as a URLconf without the app's URLs, for the drain check.
urlpatterns = []

MIDDLEWARE = "sentry_heroku.middleware.SentryHerokuMiddleware"
SESSIONS = "django.contrib.sessions.middleware.SessionMiddleware"


def found(check) -> dict[str, str]:
    return {message.id: message.hint for message in check()}


def without_ours() -> list[str]:
    return [name for name in settings.MIDDLEWARE if name != MIDDLEWARE]


def test_the_projects_own_set_up_passes_every_check():
    for check in (checks.check_init, checks.check_middleware, checks.check_drain_url, checks.check_release_phase):
        assert check() == []


def test_init_not_called(monkeypatch):
    monkeypatch.setattr(startup, "_current", None)
    hint = found(checks.check_init)["sentry_heroku.E001"]
    assert "sentry_heroku.init(os.environ, static_url=STATIC_URL)" in hint


def test_middleware_missing():
    with override_settings(MIDDLEWARE=without_ours()):
        assert found(checks.check_middleware) == {
            "sentry_heroku.E002": f"Add {MIDDLEWARE!r} to MIDDLEWARE, before SessionMiddleware."
        }


@pytest.mark.parametrize(
    "old",
    ["sentry_heroku.middleware.SentryRequestContextMiddleware", "sentry_heroku.watchdog.SlowRequestMiddleware"],
)
def test_the_old_two_middlewares_are_to_be_replaced_by_the_one(old):
    middleware = without_ours()
    middleware.insert(2, old)
    with override_settings(MIDDLEWARE=middleware):
        messages = found(checks.check_middleware)
    assert messages == {"sentry_heroku.E003": f"Replace it (and its twin) with one line, {MIDDLEWARE!r}."}


def test_middleware_after_the_session_middleware():
    middleware = without_ours()
    middleware.insert(middleware.index(SESSIONS) + 1, MIDDLEWARE)
    with override_settings(MIDDLEWARE=middleware):
        hint = found(checks.check_middleware)["sentry_heroku.W004"]
    assert hint.startswith(f"Move {MIDDLEWARE!r} before {SESSIONS!r}")


def test_drain_secret_set_but_the_drain_url_not_included(monkeypatch):
    active = sentry_heroku.current()
    config = dataclasses.replace(active.config, drain_secret="s" * 32)
    monkeypatch.setattr(startup, "_current", dataclasses.replace(active, config=config))
    assert checks.check_drain_url() == []  # the project's URLconf includes it
    with override_settings(ROOT_URLCONF=__name__):
        hint = found(checks.check_drain_url)["sentry_heroku.E005"]
    assert 'path("", include("sentry_heroku.urls"))' in hint


def test_drain_url_not_needed_without_a_drain_secret():
    with override_settings(ROOT_URLCONF=__name__):
        assert checks.check_drain_url() == []


@pytest.mark.parametrize(
    ("procfile", "script", "warned"),
    [
        ("release: python manage.py migrate\nweb: gunicorn app.wsgi\n", None, True),
        ("web: gunicorn app.wsgi\n", None, True),
        ("release: python manage.py migrate && python manage.py register_sentry_release\n", None, False),
        ("release: bin/release\n", "python manage.py migrate\npython manage.py register_sentry_release\n", False),
        ("release: bin/release\n", "python manage.py migrate\n", True),
    ],
    ids=["release-without-it", "no-release-line", "in-the-line", "in-the-script", "script-without-it"],
)
def test_release_command_not_in_the_procfiles_release_phase(monkeypatch, tmp_path, procfile, script, warned):
    (tmp_path / "manage.py").write_text("")
    (tmp_path / "Procfile").write_text(procfile)
    if script is not None:
        (tmp_path / "bin").mkdir()
        (tmp_path / "bin" / "release").write_text(script)
    monkeypatch.setattr(checks, "_PROJECT_ROOT", tmp_path)
    messages = found(checks.check_release_phase)
    if warned:
        assert messages == {
            "sentry_heroku.W006": "Add `python manage.py register_sentry_release` to the Procfile's release line, "
            "after migrate."
        }
    else:
        assert messages == {}


def test_no_procfile_no_release_warning(monkeypatch, tmp_path):
    (tmp_path / "manage.py").write_text("")
    monkeypatch.setattr(checks, "_PROJECT_ROOT", tmp_path)
    assert checks.check_release_phase() == []
