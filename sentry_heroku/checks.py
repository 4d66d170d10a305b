"""`manage.py check` for the set-up: each missing piece, by id, with its fix.

Required (Errors): init() called from settings.py, and the one middleware in
MIDDLEWARE. Wanted when configured (Warnings): the URLs when HEROKU_DRAIN_SECRET
is set, and the release command in the Procfile (optional). apps.py imports this
module; every management command runs the checks first, sentry_check included.

The middleware's place in MIDDLEWARE is not checked: it reads only what the
router sent (request.META) and, when an event is sent, request.user, so any
order works (early is better only because the watchdog then times more).
"""

from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.urls import NoReverseMatch, reverse

from .startup import current

MIDDLEWARE = "sentry_heroku.middleware.SentryHerokuMiddleware"
# The two middlewares SentryHerokuMiddleware replaced: listed, the web process fails to import them.
_OLD_MIDDLEWARE = (
    "sentry_heroku.middleware.SentryRequestContextMiddleware",
    "sentry_heroku.watchdog.SlowRequestMiddleware",
)
_RELEASE_COMMAND = "register_sentry_release"
# `manage.py check --tag sentry_heroku` runs only these.
TAG = "sentry_heroku"


@register(TAG)
def check_init(app_configs=None, **kwargs) -> list:
    try:
        current()
    except ImproperlyConfigured:
        return [
            Error(
                "sentry_heroku.init() was not called, so Sentry is off and the middleware cannot start.",
                hint="Add `sentry_heroku.init(os.environ, static_url=STATIC_URL)` as the last line of settings.py.",
                id="sentry_heroku.E001",
            )
        ]
    return []


@register(TAG)
def check_middleware(app_configs=None, **kwargs) -> list:
    middleware = list(settings.MIDDLEWARE)
    old = [name for name in _OLD_MIDDLEWARE if name in middleware]
    if old:
        return [
            Error(
                f"MIDDLEWARE still lists {', '.join(map(repr, old))}: gone, one middleware does both jobs now.",
                hint=f"Replace the old names with one line, {MIDDLEWARE!r}.",
                id="sentry_heroku.E003",
            )
        ]
    if MIDDLEWARE not in middleware:
        return [
            Error(
                f"{MIDDLEWARE!r} is not in MIDDLEWARE: events carry no request_id, user or queue time, "
                "and slow requests are not reported.",
                hint=f"Add {MIDDLEWARE!r} to MIDDLEWARE, early (right after WhiteNoiseMiddleware, if you have it).",
                id="sentry_heroku.E002",
            )
        ]
    return []


@register(TAG, Tags.urls)
def check_drain_url(app_configs=None, **kwargs) -> list:
    try:
        drain_secret = current().config.drain_secret
    except ImproperlyConfigured:  # E001 says so
        return []
    if not drain_secret:
        return []
    try:
        reverse("heroku-logs")
    except NoReverseMatch:
        return [
            Warning(
                "HEROKU_DRAIN_SECRET is set but no URL routes to the log drain: Heroku's log POSTs get a 404.",
                hint='Add `path("", include("sentry_heroku.urls"))` to the urlpatterns of your ROOT_URLCONF.',
                id="sentry_heroku.W001",
            )
        ]
    return []


@register(TAG)
def check_release_phase(app_configs=None, **kwargs) -> list:
    base_dir = getattr(settings, "BASE_DIR", None)
    if base_dir is None:
        return []
    root = Path(base_dir)
    procfile = root / "Procfile"
    if not procfile.is_file():
        return []
    release = _release_line(procfile.read_text(errors="replace"))
    if _RELEASE_COMMAND in _with_script(root, release):
        return []
    return [
        Warning(
            f"The Procfile's release phase does not run {_RELEASE_COMMAND} (optional): Sentry gets no release "
            "or deploy, so no suspect commits and no 'resolved in next release'.",
            hint=f"Add `python manage.py {_RELEASE_COMMAND}` to the Procfile's release line, after migrate.",
            id="sentry_heroku.W002",
        )
    ]


def _release_line(procfile: str) -> str:
    for line in procfile.splitlines():
        name, _, command = line.partition(":")
        if name.strip() == "release":
            return command.strip()
    return ""


def _with_script(root: Path, command: str) -> str:
    """The release command, and the script's text when it runs one from the project (release: bin/release)."""
    words = command.split()
    if not words:
        return command
    script = (root / words[0]).resolve()
    if script.is_relative_to(root.resolve()) and script.is_file():
        return command + "\n" + script.read_text(errors="replace")
    return command
