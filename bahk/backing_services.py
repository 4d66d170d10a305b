"""Turn the add-on URLs Heroku sets (DATABASE_URL, REDIS_URL) into settings.

Pure functions: each takes a URL and returns the dict Django or Celery
wants, or raises ImproperlyConfigured naming the variable and the form it
expects. A URL carries a password, so no message ever repeats it.
"""

import ssl
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

DATABASE_FORM = "postgres://USER:PASSWORD@HOST:PORT/NAME (or sqlite:///PATH)"
REDIS_FORM = "redis://[:PASSWORD@]HOST:PORT[/DB] or rediss://… (TLS)"

# Heroku Redis presents a self-signed certificate on rediss://, so the
# client cannot verify it; the connection is still encrypted.
# https://devcenter.heroku.com/articles/connecting-heroku-redis#connecting-in-python
HEROKU_REDIS_TLS = {"ssl_cert_reqs": ssl.CERT_NONE}

# A dead Redis must cost a request a second at most, never the router's 30 s.
REDIS_TIMEOUTS = {"socket_connect_timeout": 1, "socket_timeout": 1}


def database(url: str, *, on_heroku: bool) -> dict:
    try:
        scheme = urlsplit(url).scheme
    except ValueError:  # e.g. an unclosed "[" around an IPv6 host
        raise ImproperlyConfigured(f"DATABASE_URL must look like {DATABASE_FORM}; it is not a URL.") from None
    if scheme not in ("postgres", "postgresql", "pgsql", "sqlite"):
        raise ImproperlyConfigured(f"DATABASE_URL must look like {DATABASE_FORM}; got a URL with scheme {scheme!r}.")
    try:
        parsed = dj_database_url.parse(
            url,
            # Keep connections across requests (Heroku Postgres plans allow 20+),
            # and check them first so a restarted server costs no failed request.
            conn_max_age=600,
            conn_health_checks=True,
            ssl_require=on_heroku and scheme != "sqlite",
        )
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL must look like {DATABASE_FORM}: {exc}") from None
    if scheme != "sqlite" and not (parsed.get("HOST") and parsed.get("NAME")):
        raise ImproperlyConfigured(
            f"DATABASE_URL must look like {DATABASE_FORM}; the host or database name is missing."
        )
    if scheme == "sqlite" and parsed.get("NAME") in ("", ":memory:"):
        # dj-database-url reads a bare sqlite:// as in-memory: web, worker and
        # release would each get an empty database of their own.
        raise ImproperlyConfigured(
            f"DATABASE_URL must look like {DATABASE_FORM}; sqlite:// needs the path of a file all processes share."
        )
    return parsed


def sqlite_database(path: Path) -> dict:
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": path}


def _check_redis_url(url: str) -> str:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        raise ImproperlyConfigured(
            f"REDIS_URL must look like {REDIS_FORM}; its host or port is malformed (a port is a number to 65535)."
        ) from None
    if parts.scheme not in ("redis", "rediss"):
        raise ImproperlyConfigured(f"REDIS_URL must look like {REDIS_FORM}; got scheme {parts.scheme!r}.")
    if not parts.hostname:
        raise ImproperlyConfigured(f"REDIS_URL must look like {REDIS_FORM}; the host is missing.")
    return parts.scheme


def redis_cache(url: str) -> dict:
    options = dict(REDIS_TIMEOUTS)
    if _check_redis_url(url) == "rediss":
        options |= HEROKU_REDIS_TLS
    return {"BACKEND": "bahk.redis_cache.RedisCache", "LOCATION": url, "OPTIONS": options}


def local_cache() -> dict:
    return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}


def celery_redis(url: str) -> dict:
    """Celery settings (without the CELERY_ prefix) for a Redis broker and result backend."""
    tls = _check_redis_url(url) == "rediss"
    return {
        "broker_url": url,
        "result_backend": url,
        "broker_use_ssl": HEROKU_REDIS_TLS if tls else None,
        "redis_backend_use_ssl": HEROKU_REDIS_TLS if tls else None,
        # Longer than the longest task (see task_time_limit): a task that has
        # not been acknowledged by then is handed to another worker.
        "broker_transport_options": {"visibility_timeout": 3600},
    }


def celery_filesystem(folder: Path) -> dict:
    """A broker and result store in plain files, so the worker runs as its own process without Redis."""
    messages = str(folder / "messages")
    return {
        "broker_url": "filesystem://localhost/",
        "result_backend": f"file://{folder / 'results'}",
        "broker_use_ssl": None,
        "redis_backend_use_ssl": None,
        "broker_transport_options": {
            "data_folder_in": messages,
            "data_folder_out": messages,
            "control_folder": str(folder / "control"),
            "store_processed": False,
        },
    }
