"""`manage.py check` for the set-up: each missing or misordered piece, by id, with its fix.

Required: the app, the middleware, init() and, when HEROKU_DRAIN_SECRET is
set, the URLs. The release command is optional, so its check is a Warning.
apps.py registers these; they run whenever the app is installed.
"""

from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.urls import NoReverseMatch, reverse

from . import startup

MIDDLEWARE = "sentry_heroku.middleware.SentryHerokuMiddleware"
# The two middlewares that SentryHerokuMiddleware replaces: listed, they would fail to import.
_OLD_MIDDLEWARE = (
    "sentry_heroku.middleware.SentryRequestContextMiddleware",
    "sentry_heroku.watchdog.SlowRequestMiddleware",
)
# Middleware that may take a request's time or raise: placed before ours, its slowness escapes the
# watchdog and its errors carry no request_id.
_MUST_COME_AFTER = (
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
)
# Where manage.py and the Procfile are when this folder is copied beside manage.py.
_PROJECT_ROOT = Path(__file__).resolve().parent.parent
_RELEASE_COMMAND = "register_sentry_release"


@register(Tags.compatibility)
def check_init(app_configs=None, **kwargs) -> list:
    if startup._current is not None:
        return []
    return [
        Error(
            "sentry_heroku.init() was not called, so Sentry is off and the app's middleware cannot start.",
            hint="Add `sentry_heroku.init(os.environ, static_url=STATIC_URL)` as the last line of settings.py.",
            id="sentry_heroku.E001",
        )
    ]


@register(Tags.compatibility)
def check_middleware(app_configs=None, **kwargs) -> list:
    middleware = list(settings.MIDDLEWARE)
    problems = [
        Error(
            f"{old!r} in MIDDLEWARE no longer exists: one middleware does its work now.",
            hint=f"Replace it (and its twin) with one line, {MIDDLEWARE!r}.",
            id="sentry_heroku.E003",
        )
        for old in _OLD_MIDDLEWARE
        if old in middleware
    ]
    if MIDDLEWARE not in middleware:
        if not problems:
            problems.append(
                Error(
                    f"{MIDDLEWARE!r} is not in MIDDLEWARE: events carry no request_id, user or queue time, "
                    "and slow requests are not reported.",
                    hint=f"Add {MIDDLEWARE!r} to MIDDLEWARE, before SessionMiddleware.",
                    id="sentry_heroku.E002",
                )
            )
        return problems
    position = middleware.index(MIDDLEWARE)
    problems += [
        Warning(
            f"{MIDDLEWARE!r} comes after {earlier!r}: that middleware's slowness escapes the watchdog "
            "and its errors carry no request_id.",
            hint=f"Move {MIDDLEWARE!r} before {earlier!r} (right after WhiteNoiseMiddleware, if you have it).",
            id="sentry_heroku.W004",
        )
        for earlier in _MUST_COME_AFTER
        if earlier in middleware[:position]
    ]
    return problems


@register(Tags.urls)
def check_drain_url(app_configs=None, **kwargs) -> list:
    active = startup._current
    if active is None or not active.config.drain_secret:
        return []
    try:
        reverse("heroku-logs")
    except NoReverseMatch:
        return [
            Error(
                "HEROKU_DRAIN_SECRET is set but no URL routes to the log drain: Heroku's log POSTs get a 404.",
                hint='Add `path("", include("sentry_heroku.urls"))` to your ROOT_URLCONF\'s urlpatterns.',
                id="sentry_heroku.E005",
            )
        ]
    return []


@register(Tags.compatibility)
def check_release_phase(app_configs=None, **kwargs) -> list:
    procfile = _PROJECT_ROOT / "Procfile"
    if not (_PROJECT_ROOT / "manage.py").is_file() or not procfile.is_file():
        return []
    release = _release_line(procfile.read_text(errors="replace"))
    if release and _RELEASE_COMMAND in _with_script(release):
        return []
    return [
        Warning(
            "The Procfile's release phase does not run register_sentry_release (optional): Sentry gets no "
            "release or deploy, so no suspect commits and no 'resolved in next release'.",
            hint="Add `python manage.py register_sentry_release` to the Procfile's release line, after migrate.",
            id="sentry_heroku.W006",
        )
    ]


def _release_line(procfile: str) -> str:
    for line in procfile.splitlines():
        name, _, command = line.partition(":")
        if name.strip() == "release":
            return command.strip()
    return ""


def _with_script(command: str) -> str:
    """The release command, and the script's text when it runs one from the project (release: bin/release)."""
    first = command.split()[0] if command.split() else ""
    script = (_PROJECT_ROOT / first).resolve()
    if first and script.is_relative_to(_PROJECT_ROOT) and script.is_file():
        return command + "\n" + script.read_text(errors="replace")
    return command
