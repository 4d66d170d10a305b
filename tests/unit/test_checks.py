"""manage.py check names each missing piece of the Sentry-for-Heroku set-up, with its fix."""

import dataclasses

import pytest
from django.conf import settings
from django.core import checks as django_checks
from django.test import override_settings

import sentry_heroku
from sentry_heroku import checks, startup

# This module as a URLconf without the app's URLs, for the drain check.
urlpatterns = []

MIDDLEWARE = "sentry_heroku.middleware.SentryHerokuMiddleware"
OLD = ["sentry_heroku.middleware.SentryRequestContextMiddleware", "sentry_heroku.watchdog.SlowRequestMiddleware"]


def found() -> dict[str, str]:
    """What `manage.py check --tag sentry_heroku` reports: each message's id and hint."""
    return {message.id: message.hint for message in django_checks.run_checks(tags=[checks.TAG])}


def without_ours() -> list[str]:
    return [name for name in settings.MIDDLEWARE if name != MIDDLEWARE]


def test_the_projects_own_set_up_passes_every_check():
    assert found() == {}


def test_init_not_called(monkeypatch):
    monkeypatch.setattr(startup, "_current", None)
    assert found() == {
        "sentry_heroku.E001": "Add `sentry_heroku.init(os.environ, static_url=STATIC_URL)` as the last line of "
        "settings.py."
    }


def test_middleware_missing():
    with override_settings(MIDDLEWARE=without_ours()):
        assert found() == {
            "sentry_heroku.E002": f"Add {MIDDLEWARE!r} to MIDDLEWARE, early (right after WhiteNoiseMiddleware, "
            "if you have it)."
        }


@pytest.mark.parametrize("old", [OLD, OLD[:1], OLD[1:]], ids=["both", "context-only", "watchdog-only"])
def test_the_old_two_middlewares_are_to_be_replaced_by_the_one(old):
    middleware = without_ours()
    middleware[2:2] = old
    with override_settings(MIDDLEWARE=middleware):
        messages = django_checks.run_checks(tags=[checks.TAG])
    assert [(message.id, message.hint) for message in messages] == [
        ("sentry_heroku.E003", f"Replace the old names with one line, {MIDDLEWARE!r}.")
    ]
    assert all(name in messages[0].msg for name in old)


def test_drain_secret_set_but_the_drain_url_not_included(monkeypatch):
    active = sentry_heroku.current()
    config = dataclasses.replace(active.config, drain_secret="s" * 32)
    monkeypatch.setattr(startup, "_current", dataclasses.replace(active, config=config))
    assert found() == {}  # the project's URLconf includes it
    with override_settings(ROOT_URLCONF=__name__):
        assert found() == {
            "sentry_heroku.W001": 'Add `path("", include("sentry_heroku.urls"))` to the urlpatterns of your '
            "ROOT_URLCONF."
        }


def test_drain_url_not_needed_without_a_drain_secret():
    assert not sentry_heroku.current().config.drain_secret
    with override_settings(ROOT_URLCONF=__name__):
        assert found() == {}


@pytest.mark.parametrize(
    ("procfile", "script", "warned"),
    [
        ("release: python manage.py migrate\nweb: gunicorn app.wsgi\n", None, True),
        ("web: gunicorn app.wsgi\n", None, True),
        ("release: python manage.py migrate && python manage.py register_sentry_release\n", None, False),
        ("release: bin/release\n", "python manage.py migrate\npython manage.py register_sentry_release\n", False),
        ("release: bin/release\n", "python manage.py migrate\n", True),
        ("release: ../outside\n", None, True),
    ],
    ids=["release-without-it", "no-release-line", "in-the-line", "in-the-script", "script-without-it", "outside"],
)
def test_release_command_not_in_the_procfiles_release_phase(tmp_path, procfile, script, warned):
    project = tmp_path / "project"
    project.mkdir()
    (project / "Procfile").write_text(procfile)
    if script is not None:
        (project / "bin").mkdir()
        (project / "bin" / "release").write_text(script)
    # A script outside the project is never read, even when it names the command.
    (tmp_path / "outside").write_text("python manage.py register_sentry_release\n")
    with override_settings(BASE_DIR=project):
        messages = django_checks.run_checks(tags=[checks.TAG])
    if warned:
        assert [(message.id, message.level, message.hint) for message in messages] == [
            (
                "sentry_heroku.W002",
                django_checks.WARNING,
                "Add `python manage.py register_sentry_release` to the Procfile's release line, after migrate.",
            )
        ]
        assert "(optional)" in messages[0].msg
    else:
        assert messages == []


def test_no_procfile_or_no_base_dir_no_release_warning(tmp_path):
    with override_settings(BASE_DIR=tmp_path):
        assert found() == {}
    with override_settings():
        del settings.BASE_DIR
        assert found() == {}
