"""The one entry point: settings.py calls init() once per process.

init() reads the dyno's metadata and every SENTRY_* variable, refuses a bad
value naming it, starts the SDK when configured to, and keeps what it found
for the app's middleware and commands (current()), so nothing else has to
be agreed through Django settings.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from .config import SentryConfig, read_config
from .dyno import Dyno, read_dyno
from .sdk import init_sentry


@dataclass(frozen=True)
class Setup:
    dyno: Dyno
    config: SentryConfig
    # True when the SDK started (a DSN or Spotlight, and not SENTRY_FORCE_DISABLE).
    enabled: bool


_current: Setup | None = None


def init(environ: Mapping[str, str], *, static_url: str = "/static/") -> Setup:
    """Read the configuration from environ and start Sentry with it; the static URL's requests are never traced."""
    global _current
    dyno = read_dyno(environ)
    config = read_config(environ, dyno)
    _current = Setup(dyno=dyno, config=config, enabled=init_sentry(config, dyno, static_url=static_url))
    return _current


def current() -> Setup:
    if _current is None:
        raise ImproperlyConfigured("sentry_heroku.init(os.environ) was not called; call it from settings.py.")
    return _current
