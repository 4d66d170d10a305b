"""The Sentry-for-Heroku app lifted into another Django project: copy the folder, add a few lines, get tagged events.

The second project lives in a temporary folder with nothing of bahk beside it,
so an import of bahk or hub from inside the app fails the test. Celery and
redis-py are optional: in a venv with Django and sentry-sdk only, then with
Celery, then with redis-py too (pinned as requirements.txt pins them), the app
passes `manage.py check`, serves its URLs and sends tagged events; each
integration is on exactly when its library is there.
"""

import ast
import shutil
import textwrap
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.support.processes import ROOT, clean_env, heroku_env, run_command
from tests.support.sentry_sink import tags_of
from tests.support.slug import venv_bin

SETTINGS = """
    import os

    import sentry_heroku

    SECRET_KEY = "test-only-lifted-project-key"
    DEBUG = False
    ALLOWED_HOSTS = ["*"]
    INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "sentry_heroku"]
    MIDDLEWARE = {middleware!r}
    ROOT_URLCONF = "lifted.urls"
    DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}}}
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
# For manage.py shell -c: the app's routes, the SDK's integrations, the debug view's answer without Celery, one message.
RESOLVE_AND_SEND = """
from importlib.util import find_spec

import sentry_sdk
from django.urls import resolve
from sentry_heroku.views import available_actions, send_failing_task

print("routes", resolve("/api/sentry-debug/").url_name, resolve("/heroku/logs/").url_name)
print("integrations", *sorted(sentry_sdk.get_client().integrations))
print("actions", *available_actions())
if not find_spec("celery"):
    print("celery-action", send_failing_task().status_code)
sentry_sdk.capture_message("lifted project: a one-off dyno's message")
sentry_sdk.flush()
"""


def sentry_heroku_middleware() -> list[str]:
    """The app's middleware, in the order bahk/settings.py lists it: what a project lifting the app adds."""
    tree = ast.parse((ROOT / "bahk" / "settings.py").read_text())
    listed = next(
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "MIDDLEWARE" for t in node.targets)
    )
    return [path for path in ast.literal_eval(listed) if path.startswith("sentry_heroku.")]


def pinned(*names: str, without_extras: tuple[str, ...] = ()) -> str:
    """requirements.txt's lines for these distributions, pinned as it pins them; named extras left out."""
    wanted = {canonicalize_name(name) for name in names}
    lines = []
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.partition("#")[0].strip()
        requirement = Requirement(line) if line else None
        if requirement is None or canonicalize_name(requirement.name) not in wanted:
            continue
        if canonicalize_name(requirement.name) in without_extras:
            requirement.extras = set()
        lines.append(str(requirement))
    assert len(lines) == len(wanted), f"requirements.txt should list each of {names}: {lines}"
    return "\n".join(lines) + "\n"


# Each step adds one optional library. Celery's redis extra brings redis-py, so the Celery step leaves it out.
LIFT_STEPS = [
    pytest.param(("django", "sentry-sdk"), (), set(), id="django-sentry-sdk"),
    pytest.param(("django", "sentry-sdk", "celery"), ("celery",), {"celery"}, id="with-celery"),
    pytest.param(("django", "sentry-sdk", "celery", "redis"), (), {"celery", "redis"}, id="with-celery-redis"),
]


@pytest.fixture
def lifted_project(tmp_path) -> Path:
    project = tmp_path / "lifted_project"
    shutil.copytree(ROOT / "sentry_heroku", project / "sentry_heroku", ignore=shutil.ignore_patterns("__pycache__"))
    (project / "lifted").mkdir()
    (project / "lifted" / "__init__.py").write_text("")
    settings = textwrap.dedent(SETTINGS).format(middleware=sentry_heroku_middleware())
    (project / "lifted" / "settings.py").write_text(settings)
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


@pytest.mark.network
@pytest.mark.parametrize(("packages", "without_extras", "optional_integrations"), LIFT_STEPS)
def test_a_copied_app_works_with_only_the_libraries_it_finds(
    packages, without_extras, optional_integrations, lifted_project, sentry_sink
):
    requirements = pinned(*packages, without_extras=without_extras)
    # One venv per step, cached beside the slug, labelled by the library the step adds.
    python = str(venv_bin(requirements, label=f"lift-{packages[-1]}-") / "python")
    env = heroku_env("run.1", DJANGO_SETTINGS_MODULE="lifted.settings", SENTRY_DSN=sentry_sink.dsn)

    check = run_command([python, "manage.py", "check"], env, cwd=lifted_project)
    assert check.returncode == 0, check.stdout + check.stderr
    shell = run_command([python, "manage.py", "shell", "-c", RESOLVE_AND_SEND], env, cwd=lifted_project)
    assert shell.returncode == 0, shell.stdout + shell.stderr

    printed = {line.split()[0]: line.split()[1:] for line in shell.stdout.splitlines() if line.strip()}
    assert printed["routes"] == ["sentry-debug", "heroku-logs"]
    assert set(printed["integrations"]) & {"celery", "redis"} == optional_integrations
    assert ("celery" in printed["actions"]) == ("celery" in optional_integrations)
    if "celery" not in optional_integrations:
        assert printed["celery-action"] == ["501"]
    event = sentry_sink.wait_for(
        lambda s: next((e for e in s.events() if "one-off dyno's message" in str(e.get("message"))), None),
        what="the shell's message",
    )
    assert (
        tags_of(event).items()
        >= {
            "dyno": "run.1",
            "dyno_type": "run",
            "heroku_app": env["HEROKU_APP_NAME"],
            "heroku_release": env["HEROKU_RELEASE_VERSION"],
        }.items()
    )
    assert event["release"] == env["HEROKU_BUILD_COMMIT"]


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
