"""SENTRY_* environment variables, read and checked in one place.

read_config() is pure: it turns an environment into a SentryConfig or raises
ImproperlyConfigured naming the variable and the values it accepts. A bad
value stops web, worker and the release phase alike, so it never reaches a
running dyno.
"""

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ImproperlyConfigured
from sentry_sdk.utils import BadDsn, Dsn

from . import env, limits
from .dyno import Dyno, read_dyno
from .release.name import environment_name, git_commit, recorded_build_commit, release_name

_REQUEST_BODIES = ("never", "small", "medium", "always")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", "OFF")
# The release phase's Sentry API (register_sentry_release): its default address and deadline, and what it needs.
_DEFAULT_URL = "https://sentry.io"
_DEFAULT_TIMEOUT = 30.0
_REQUIRED = ("SENTRY_AUTH_TOKEN", "SENTRY_ORG", "SENTRY_PROJECT")
# Characters that need no escaping in the user-info part of a URL.
_DRAIN_SECRET = re.compile(r"[A-Za-z0-9._~-]{24,200}")
# Share of transactions traced when SENTRY_TRACES_SAMPLE_RATE is unset.
_DEFAULT_TRACES_SAMPLE_RATES = {"development": 1.0, "staging": 0.5}
PRODUCTION_TRACES_SAMPLE_RATE = 0.1
# Errors a user caused or Django already answered: noise in Sentry.
DEFAULT_IGNORED_ERRORS = (
    "django.core.exceptions.DisallowedHost",
    "django.core.exceptions.PermissionDenied",
    "django.http.Http404",
    "django.http.response.Http404",
)


@dataclass(frozen=True)
class SentryConfig:
    dsn: str = field(default="", repr=False)
    force_disable: bool = False
    spotlight: bool | str = False
    environment: str = "development"
    release: str = ""
    sample_rate: float = 1.0
    traces_sample_rate: float = 1.0
    profiles_sample_rate: float = 0.0
    keep_slow_ms: float | None = None
    cache_spans: bool = False
    send_default_pii: bool = False
    scrub_ip_address: bool = True
    request_bodies: str = "small"
    with_locals: bool = True
    debug: bool = False
    attach_stacktrace: bool = False
    max_breadcrumbs: int = 100
    ignore_errors: tuple[str, ...] = DEFAULT_IGNORED_ERRORS
    ignore_user_email_domains: tuple[str, ...] = ()
    breadcrumb_level: int | None = logging.INFO
    event_level: int | None = logging.ERROR
    logs_level: int | None = logging.WARNING
    # The Heroku log drain (sentry_heroku/drain/) and the slow-request watchdog (sentry_heroku/watchdog.py).
    drain_secret: str = field(default="", repr=False)
    drain_events_per_minute: int = 3
    drain_memory_percent: float = 90.0
    drain_connections_percent: float = 80.0
    slow_request_seconds: float = 25.0
    # Crons (sentry_heroku/crons/): seconds between a process type's liveness check-ins; 0 is off.
    liveness_seconds: int = 60
    # Where a web dyno's own liveness probe finds it (Heroku's PORT, which gunicorn.conf.py binds).
    web_port: int | None = None

    @property
    def tracing(self) -> bool:
        """Errors only (rate 0, no tail mode) switches the SDK's tracing off, not merely to 0 %."""
        return self.traces_sample_rate > 0 or self.keep_slow_ms is not None

    @property
    def enabled(self) -> bool:
        """Events leave the dyno only with a DSN (or Spotlight, which stays on this machine)."""
        return not self.force_disable and bool(self.dsn or self.spotlight)


def read_config(environ: Mapping[str, str], dyno: Dyno) -> SentryConfig:
    dsn = env.text(environ, "SENTRY_DSN")
    if dsn:
        _check_dsn(dsn)
    environment = read_environment_name(environ, dyno)
    _check_name(environ, ("SENTRY_ENVIRONMENT", "ENVIRONMENT"), environment, limits.environment_problem)
    release = read_release_name(environ, dyno)
    if release:  # none at all is allowed: events then carry no release
        _check_name(environ, ("SENTRY_RELEASE",), release, limits.release_problem)
    traces_default = _DEFAULT_TRACES_SAMPLE_RATES.get(environment, PRODUCTION_TRACES_SAMPLE_RATE)
    return SentryConfig(
        dsn=dsn,
        force_disable=env.flag(environ, "SENTRY_FORCE_DISABLE"),
        spotlight=spotlight(environ),
        environment=environment,
        release=release,
        sample_rate=rate(environ, "SENTRY_SAMPLE_RATE", 1.0),
        traces_sample_rate=rate(environ, "SENTRY_TRACES_SAMPLE_RATE", traces_default),
        profiles_sample_rate=rate(environ, "SENTRY_PROFILES_SAMPLE_RATE", 0.0),
        keep_slow_ms=env.number(environ, "SENTRY_TRACES_KEEP_SLOW_MS", None, minimum=0),
        cache_spans=env.flag(environ, "SENTRY_CACHE_SPANS"),
        send_default_pii=env.flag(environ, "SENTRY_SEND_DEFAULT_PII"),
        scrub_ip_address=env.flag(environ, "SENTRY_SCRUB_IP_ADDRESS", default=True),
        request_bodies=env.choice(environ, "SENTRY_REQUEST_BODIES", "small", _REQUEST_BODIES),
        with_locals=env.flag(environ, "SENTRY_WITH_LOCALS", default=True),
        debug=env.flag(environ, "SENTRY_DEBUG"),
        attach_stacktrace=env.flag(environ, "SENTRY_ATTACH_STACKTRACE"),
        max_breadcrumbs=env.number(environ, "SENTRY_MAX_BREADCRUMBS", 100, minimum=0, maximum=1000, integer=True),
        ignore_errors=DEFAULT_IGNORED_ERRORS + tuple(env.names(environ, "SENTRY_IGNORE_ERRORS")),
        ignore_user_email_domains=tuple(
            domain.lower().lstrip("@") for domain in env.names(environ, "SENTRY_IGNORE_USER_EMAIL_DOMAINS")
        ),
        breadcrumb_level=_log_level(environ, "SENTRY_BREADCRUMB_LEVEL", "INFO"),
        event_level=_log_level(environ, "SENTRY_EVENT_LEVEL", "ERROR"),
        logs_level=_log_level(environ, "SENTRY_LOGS_LEVEL", "WARNING"),
        drain_secret=drain_secret(environ),
        drain_events_per_minute=env.number(
            environ, "HEROKU_DRAIN_EVENTS_PER_MINUTE", 3, minimum=1, maximum=1000, integer=True
        ),
        drain_memory_percent=env.number(environ, "HEROKU_DRAIN_MEMORY_PERCENT", 90.0, minimum=1, maximum=100),
        drain_connections_percent=env.number(environ, "HEROKU_DRAIN_CONNECTIONS_PERCENT", 80.0, minimum=1, maximum=100),
        # The router gives up at 30 s (H12): 25 s leaves time to capture what the request was doing.
        slow_request_seconds=env.number(environ, "SENTRY_SLOW_REQUEST_SECONDS", 25.0, minimum=0, maximum=3600),
        # Review apps come and go: their liveness would only ever alert.
        liveness_seconds=0 if dyno.is_review_app else liveness_seconds(environ),
        web_port=env.number(environ, "PORT", None, minimum=1, maximum=65535, integer=True),
    )


def read_release_name(environ: Mapping[str, str], dyno: Dyno | None = None, *, git=git_commit,
                      recorded=recorded_build_commit) -> str:  # fmt: skip
    """The release name (release/name.py) from SENTRY_RELEASE, the dyno's metadata, SOURCE_VERSION, the slug, git."""
    dyno = read_dyno(environ) if dyno is None else dyno
    return release_name(
        env.text(environ, "SENTRY_RELEASE"),
        dyno.commit,
        env.text(environ, "SOURCE_VERSION"),
        git=git,
        recorded=recorded,
    )


def read_environment_name(environ: Mapping[str, str], dyno: Dyno) -> str:
    """The environment name (release/name.py) from SENTRY_ENVIRONMENT, else ENVIRONMENT, else the dyno."""
    return environment_name(env.text(environ, "SENTRY_ENVIRONMENT") or env.text(environ, "ENVIRONMENT"), dyno)


@dataclass(frozen=True)
class ReleaseSettings:
    auth_token: str = field(default="", repr=False)
    org: str = ""
    project: str = ""
    url: str = _DEFAULT_URL
    repository: str = ""
    timeout: float = _DEFAULT_TIMEOUT
    strict: bool = False

    @property
    def missing(self) -> list[str]:
        """The variables registration needs that are not set."""
        values = dict(zip(_REQUIRED, (self.auth_token, self.org, self.project), strict=True))
        return [name for name, value in values.items() if not value]


def read_release_settings(environ: Mapping[str, str]) -> ReleaseSettings:
    """The release phase's SENTRY_* variables (register_sentry_release; release/sentry_api.py)."""
    url = env.text(environ, "SENTRY_URL", _DEFAULT_URL).rstrip("/")
    if not url.startswith(("https://", "http://")):
        raise ImproperlyConfigured(
            f"SENTRY_URL must be your Sentry's address, like {_DEFAULT_URL} or https://sentry.example.com; got {url!r}."
        )
    return ReleaseSettings(
        auth_token=env.text(environ, "SENTRY_AUTH_TOKEN"),
        org=env.text(environ, "SENTRY_ORG"),
        project=env.text(environ, "SENTRY_PROJECT"),
        url=url,
        repository=env.text(environ, "SENTRY_REPOSITORY"),
        timeout=env.number(environ, "SENTRY_RELEASE_TIMEOUT", _DEFAULT_TIMEOUT, minimum=1, maximum=600),
        strict=env.flag(environ, "SENTRY_RELEASE_STRICT"),
    )


def liveness_seconds(environ: Mapping[str, str]) -> int:
    """SENTRY_LIVENESS_SECONDS: a minute, Sentry's shortest interval; shorter only for tests."""
    return env.number(environ, "SENTRY_LIVENESS_SECONDS", 60, minimum=0, maximum=60, integer=True)


def _check_dsn(dsn: str) -> None:
    try:
        Dsn(dsn)
    except (BadDsn, ValueError):  # ValueError: urllib's, for a port that is not a number
        # The DSN's key is not a password, but it is nobody's business either: not echoed.
        raise ImproperlyConfigured(
            "SENTRY_DSN must look like https://PUBLIC_KEY@o0.ingest.sentry.io/PROJECT_ID "
            "(Sentry → Project Settings → Client Keys); the value set is not a DSN."
        ) from None


def _check_name(environ: Mapping[str, str], variables: tuple[str, ...], value: str, problem) -> None:
    """Refuse a release or environment name Relay would drop from every event, naming the variable it came from."""
    found = problem(value)
    if found:
        variable = next((name for name in variables if env.text(environ, name)), f"{variables[0]} (unset)")
        raise ImproperlyConfigured(
            f"{variable} {found}: Sentry drops such a value from every event (its ingestion's rule); got {value!r}."
        )


def drain_secret(environ: Mapping[str, str]) -> str:
    """HEROKU_DRAIN_SECRET: the drain URL's password, so long and URL-safe (it travels inside the drain's URL)."""
    secret = env.text(environ, "HEROKU_DRAIN_SECRET")
    if secret and not _DRAIN_SECRET.fullmatch(secret):
        # Not echoed: it is a password.
        raise ImproperlyConfigured(
            "HEROKU_DRAIN_SECRET must be 24 to 200 letters, digits, '-', '_', '.' or '~' "
            "(it goes into the drain URL); for example: heroku config:set HEROKU_DRAIN_SECRET=$(openssl rand -hex 32)"
        )
    return secret


def rate(environ: Mapping[str, str], name: str, default: float) -> float:
    return env.number(environ, name, default, minimum=0.0, maximum=1.0)


def _log_level(environ: Mapping[str, str], name: str, default: str) -> int | None:
    level = env.choice(environ, name, default, _LOG_LEVELS)
    return None if level == "OFF" else logging.getLevelNamesMapping()[level]


def spotlight(environ: Mapping[str, str]) -> bool | str:
    """SENTRY_SPOTLIGHT: 1/true for the sidecar's default URL, or the sidecar's URL."""
    value = env.text(environ, "SENTRY_SPOTLIGHT")
    if value.startswith(("http://", "https://")):
        return value
    return env.flag(environ, "SENTRY_SPOTLIGHT")
