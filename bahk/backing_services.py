"""Turn the add-on URLs Heroku sets (DATABASE_URL, REDIS_URL) into settings.

Pure functions: each takes a URL and returns the dict Django or Celery
wants, or raises ImproperlyConfigured naming the variable and the form it
expects. A URL carries a password, so no message ever repeats it.
"""

import re
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

# Nothing, "/", or "/" and a database number.
REDIS_DATABASE_PATH = re.compile(r"(?:/\d*)?")

# A dead Redis must cost a request a second at most, never the router's 30 s.
REDIS_TIMEOUTS = {"socket_connect_timeout": 1, "socket_timeout": 1}

# A task publish that cannot reach Redis (refused, "max number of clients
# reached", or a connection that never answers) gives up in about 3 s, so a
# web request answers 503 long before the router's 30 s and a one-off exits.
# Celery's defaults wait much longer: 20 retries a second apart to subscribe
# to the task's result, and with no socket timeout a silent Redis is waited
# on forever. Each attempt is cut by the socket timeouts above (kombu's
# broker_transport_options, the result backend's redis_socket_*); kombu stops
# reconnecting once broker_connection_timeout has passed; one retry after a
# fifth of a second replaces a pooled connection that Redis closed (a
# restart); the result subscription reconnects once by itself before its
# retry policy counts, so it needs no retry of its own. The worker's consumer
# is not bound by any of these: it reconnects for broker_connection_max_retries,
# Celery's patient default, and redis-py replaces a closed connection itself.
PUBLISH_GIVES_UP = {
    "broker_connection_timeout": 1,
    "task_publish_retry_policy": {"max_retries": 1, "interval_start": 0.2, "interval_step": 0, "interval_max": 0.2},
    "redis_socket_connect_timeout": REDIS_TIMEOUTS["socket_connect_timeout"],
    "redis_socket_timeout": REDIS_TIMEOUTS["socket_timeout"],
    "result_backend_transport_options": {"retry_policy": {"max_retries": 0}},
}


# The connection budget: how many connections one process may open, per pool. Heroku's plans
# limit the connections of a whole app, every dyno together (20 to Redis on heroku-redis:mini, 20 to
# PostgreSQL on essential-0; bahk/capacity.py cites the tables and adds these up per dyno), and a
# Redis at its limit refuses the next connection outright. So each pool is bounded and, where
# threads share it, makes a thread wait briefly for a connection instead of opening one more.
#
# The cache (and with it the drain's throttle, which keeps its counts there): one connection per
# process, which gunicorn's threads take in turn: a cache call holds it for well under a
# millisecond. A thread that waits longer than this gets a ConnectionError, which the map and the
# drain treat as a cache outage, as they would a Redis that is down.
CACHE_CONNECTIONS = 1
CACHE_WAIT_SECONDS = 0.5
# Celery's producer pool: one broker connection per process, which threads that enqueue share
# (a publish holds it for a round trip). Celery's default is 10. Threads that enqueue at once wait
# in turn, with no timeout of their own (kombu's producer pool takes its connection with block=True;
# broker_pool_acquire_timeout does not reach that wait): a publish that cannot finish holds the
# connection for as long as the publish timeouts allow, and the others wait behind it; bahk/celery.py
# then fails them with it, so none waits longer than one publish's give-up time.
BROKER_POOL_LIMIT = 1
# Each kombu channel (a producer's, the worker's consumer and its remote-control channel) keeps two
# redis-py pools, for commands and for BRPOP/SUBSCRIBE; this caps each. Two covers a channel's
# BRPOP and SUBSCRIBE connections, which its event loop holds at once (kombu's default is 10).
BROKER_CHANNEL_CONNECTIONS = 2
# The result backend's pool per process: a prefork child storing a result uses one; a caller
# waiting in .get() holds a SUBSCRIBE and reads with another. Only tasks that keep a result use it
# (settings.py: CELERY_TASK_IGNORE_RESULT).
RESULT_CONNECTIONS = 2


def celery_connection_bounds(*, redis: bool) -> dict:
    """Celery settings (without the CELERY_ prefix) of the connection budget, on a Redis broker or not.

    Only the budget's keys: celery_redis() has the broker's own (its URL, TLS, visibility timeout,
    how long a publish may take), and settings.py merges the transport options of the two.
    """
    if not redis:
        return {"broker_pool_limit": BROKER_POOL_LIMIT, "redis_max_connections": None, "broker_transport": None,
                "broker_transport_options": {}}  # fmt: skip
    return {
        "broker_pool_limit": BROKER_POOL_LIMIT,
        "redis_max_connections": RESULT_CONNECTIONS,
        # A channel that publishes holds one connection, not two.
        "broker_transport": "bahk.redis_broker:Transport",
        "broker_transport_options": {"max_connections": BROKER_CHANNEL_CONNECTIONS},
    }


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
            # Keep connections across requests, and check them first so a restarted
            # server costs no failed request. Django holds one per thread, so a
            # process holds at most GUNICORN_THREADS, one per Celery child while a
            # task runs: the PostgreSQL side of the connection budget (bahk/capacity.py
            # counts it). Without persistent connections a request that queries
            # costs 18 % more CPU (a TLS handshake each; docs/figures.md); a pool
            # (psycopg's) would hold fewer, but the Deploy button's Redis limit binds
            # at the same formation (web=3), and a full server's "too many clients"
            # would reach the request only as the pool's timeout.
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


# What a dyno loses without each add-on, and the command that adds it.
REQUIRED_ADDONS = {
    "DATABASE_URL": (
        "the data would live in a SQLite file on this dyno's own disk, a different one per dyno, erased at every "
        "restart",
        "heroku addons:create heroku-postgresql:essential-0",
    ),
    "REDIS_URL": (
        "tasks would go to a filesystem broker on this dyno's own disk, which the worker dyno never sees, so every "
        "task would be lost",
        "heroku addons:create heroku-redis:mini",
    ),
}


def require_addons(*, database_url: str, redis_url: str, on_heroku: bool) -> None:
    """On a dyno, refuse to start without the add-ons: the embedded defaults would lose data there."""
    if not on_heroku:
        return
    given = {"DATABASE_URL": database_url, "REDIS_URL": redis_url}
    missing = [name for name in REQUIRED_ADDONS if not given[name]]
    if missing:
        raise ImproperlyConfigured(
            " ".join(
                f"{name} is not set: {REQUIRED_ADDONS[name][0]}; run: {REQUIRED_ADDONS[name][1]}." for name in missing
            )
        )


def sqlite_database(path: Path) -> dict:
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": path}


def _check_redis_url(url: str) -> str:
    """The scheme of a well-formed REDIS_URL; redis-py itself would accept an empty port or read "/1/2" as db 12."""
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError on a port that is not a number to 65535
    except ValueError:
        raise ImproperlyConfigured(
            f"REDIS_URL must look like {REDIS_FORM}; its host or port is malformed (a port is a number to 65535)."
        ) from None
    if parts.scheme not in ("redis", "rediss"):
        raise ImproperlyConfigured(f"REDIS_URL must look like {REDIS_FORM}; got scheme {parts.scheme!r}.")
    if not parts.hostname:
        raise ImproperlyConfigured(f"REDIS_URL must look like {REDIS_FORM}; the host is missing.")
    host_and_port = parts.netloc.rpartition("@")[2]
    if port == 0 or (port is None and host_and_port.endswith(":")):
        raise ImproperlyConfigured(f"REDIS_URL must look like {REDIS_FORM}; the port after ':' is empty or 0.")
    if not REDIS_DATABASE_PATH.fullmatch(parts.path):
        raise ImproperlyConfigured(
            f"REDIS_URL must look like {REDIS_FORM}; what follows the host must be a database number, as in /0."
        )
    return parts.scheme


def redis_cache(url: str) -> dict:
    options = REDIS_TIMEOUTS | {
        "pool_class": "redis.BlockingConnectionPool",
        "max_connections": CACHE_CONNECTIONS,
        "timeout": CACHE_WAIT_SECONDS,
    }
    if _check_redis_url(url) == "rediss":
        options |= HEROKU_REDIS_TLS
    return {"BACKEND": "bahk.redis_cache.RedisCache", "LOCATION": url, "OPTIONS": options}


def local_cache() -> dict:
    return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}


def celery_redis(url: str, *, task_time_limit: int) -> dict:
    """Celery settings (without the CELERY_ prefix) for a Redis broker and result backend."""
    tls = _check_redis_url(url) == "rediss"
    celery = {
        "broker_url": url,
        "result_backend": url,
        "broker_use_ssl": HEROKU_REDIS_TLS if tls else None,
        "redis_backend_use_ssl": HEROKU_REDIS_TLS if tls else None,
        # A task a worker received and never acknowledged (the worker was
        # SIGKILLed, R15, crashed) goes back to the queue this long after it
        # was received. Twice the time limit: a task still running has been
        # killed by then, with the limit again to spare for the wait before it
        # starts, a countdown or retry delay, and the clocks of two dynos.
        # Every worker looks every 10 s (kombu's unacked_restore_interval);
        # a throttle of 1 makes each look a scan, not every tenth.
        "broker_transport_options": {"visibility_timeout": 2 * task_time_limit, "unacked_restore_throttle": 1},
    }
    # A publish to a Redis that never answers gives up as the cache does (PUBLISH_GIVES_UP).
    celery["broker_transport_options"] |= REDIS_TIMEOUTS
    return celery | PUBLISH_GIVES_UP


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
        **PUBLISH_GIVES_UP,
    }
