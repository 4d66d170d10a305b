"""`python manage.py check` on a broken set-up names the check's id and the fix; the project's passes clean."""

import pytest

from tests.support.processes import ROOT, clean_env, run_command

MIDDLEWARE = "sentry_heroku.middleware.SentryHerokuMiddleware"
WITHOUT_THE_MIDDLEWARE = f"""
from bahk.settings import *  # noqa: F403
from bahk.settings import MIDDLEWARE

MIDDLEWARE = [name for name in MIDDLEWARE if name != {MIDDLEWARE!r}]
"""


def check(tmp_path, settings_module: str, command: str = "check"):
    env = clean_env(
        DJANGO_SETTINGS_MODULE=settings_module,
        PYTHONPATH=f"{tmp_path}:{ROOT}",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    return run_command(["python", "manage.py", command], env)


def test_settings_without_the_middleware_fail_check_naming_the_id_and_the_fix(tmp_path):
    (tmp_path / "without_the_middleware.py").write_text(WITHOUT_THE_MIDDLEWARE)
    result = check(tmp_path, "without_the_middleware")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "sentry_heroku.E002" in output
    assert f"Add {MIDDLEWARE!r} to MIDDLEWARE" in output


# sentry_check runs the same checks first, so it names what is missing rather than failing on it.
@pytest.mark.parametrize("command", ["check", "sentry_check"])
def test_settings_that_never_call_init_fail_check_naming_the_id_and_the_fix(tmp_path, command):
    # The project's settings without their last line: the app starts, so check can say what is missing.
    init_line = "sentry_heroku.init(_environ, static_url=STATIC_URL)\n"
    source = (ROOT / "bahk" / "settings.py").read_text()
    assert init_line in source
    (tmp_path / "without_init.py").write_text(source.replace(init_line, ""))
    result = check(tmp_path, "without_init", command)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "sentry_heroku.E001" in output
    assert "Add `sentry_heroku.init(os.environ, static_url=STATIC_URL)` as the last line of settings.py." in output


def test_the_projects_settings_pass_check_without_a_sentry_heroku_message(tmp_path):
    result = check(tmp_path, "bahk.settings")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "sentry_heroku" not in output
