"""`python manage.py check` on a broken set-up names the check's id and the fix; the project's passes clean."""

from tests.support.processes import ROOT, clean_env, run_command

BROKEN_SETTINGS = """
from bahk.settings import *  # noqa: F403
from bahk.settings import MIDDLEWARE

# The set-up as it was before one middleware did both jobs.
OURS = "sentry_heroku.middleware.SentryHerokuMiddleware"
MIDDLEWARE = ["sentry_heroku.watchdog.SlowRequestMiddleware" if name == OURS else name for name in MIDDLEWARE]
"""


def check(tmp_path, settings_module: str):
    env = clean_env(
        DJANGO_SETTINGS_MODULE=settings_module,
        PYTHONPATH=f"{tmp_path}:{ROOT}",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    return run_command(["python", "manage.py", "check"], env)


def test_a_broken_set_up_fails_check_naming_the_id_and_the_fix(tmp_path):
    (tmp_path / "broken_settings.py").write_text(BROKEN_SETTINGS)
    result = check(tmp_path, "broken_settings")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "sentry_heroku.E003" in output
    assert "Replace it (and its twin) with one line, 'sentry_heroku.middleware.SentryHerokuMiddleware'." in output


def test_the_projects_settings_pass_check_without_a_sentry_heroku_message(tmp_path):
    result = check(tmp_path, "bahk.settings")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "sentry_heroku" not in output
