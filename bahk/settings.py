"""Settings for bahk: one file, decided by the environment.

Every variable is read here with the project's readers (bahk/env.py), or in
the module this file hands it to; the Sentry-for-Heroku app reads its own
(SENTRY_*, HEROKU_DRAIN_*, the dyno's metadata for its tags). Every one is
listed in docs/configuration.md.
"""

import os
from importlib.util import find_spec
from pathlib import Path

from celery.schedules import crontab
from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.exceptions import ImproperlyConfigured

import sentry_heroku
from bahk import backing_services, capacity, env, process_sizes

BASE_DIR = Path(__file__).resolve().parent.parent
# Private (lower-case) names are not Django settings, so Django's debug page
# never lists them: the environment holds the DSN, tokens and add-on passwords.
_environ = os.environ
DYNO = env.read_dyno(_environ)
IS_HEROKU_APP = DYNO.on_heroku

DEBUG = env.flag(_environ, "DJANGO_DEBUG")

SECRET_KEY = env.text(_environ, "DJANGO_SECRET_KEY")
_HOW_TO_SET_ONE = "run: heroku config:set DJANGO_SECRET_KEY=$(openssl rand -base64 48)"
if IS_HEROKU_APP:
    # A short or guessable key lets anyone forge sessions and password-reset
    # links, so a dyno holds it to the rules of Django's check --deploy
    # (security.W009). The message never repeats the key, however weak.
    if not SECRET_KEY:
        raise ImproperlyConfigured(f"DJANGO_SECRET_KEY is not set; {_HOW_TO_SET_ONE}")
    if (
        len(SECRET_KEY) < SECRET_KEY_MIN_LENGTH
        or len(set(SECRET_KEY)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
        or SECRET_KEY.startswith(SECRET_KEY_INSECURE_PREFIX)
    ):
        raise ImproperlyConfigured(
            f"DJANGO_SECRET_KEY must have at least {SECRET_KEY_MIN_LENGTH} characters, "
            f"{SECRET_KEY_MIN_UNIQUE_CHARACTERS} of them different, and not start with "
            f"{SECRET_KEY_INSECURE_PREFIX!r}; {_HOW_TO_SET_ONE}"
        )
elif not SECRET_KEY:
    # Good enough for a laptop and for collectstatic at build time, where no
    # config vars are set; a dyno refuses to start without a real one.
    SECRET_KEY = "django-insecure-local-development-key-do-not-use-in-production"  # noqa: S105

# Heroku's router forwards only requests for the app's own domains, so the
# herokuapp.com names are safe by default and the Deploy button just works.
# Set DJANGO_ALLOWED_HOSTS (comma-separated) to add custom domains or narrow it.
if IS_HEROKU_APP:
    DEFAULT_HOSTS = [".herokuapp.com"] + ([DYNO.default_domain] if DYNO.default_domain else [])
else:
    DEFAULT_HOSTS = ["localhost", "127.0.0.1", "[::1]"]
ALLOWED_HOSTS = env.names(_environ, "DJANGO_ALLOWED_HOSTS", DEFAULT_HOSTS)

INSTALLED_APPS = [
    # Before staticfiles, so runserver serves static files the way gunicorn will.
    "whitenoise.runserver_nostatic",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "sentry_heroku",
    "hub",
    # For `manage.py capacity` (bahk/capacity.py).
    "bahk",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Right after SecurityMiddleware, so static files skip the rest of the stack.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "sentry_heroku.middleware.SentryHerokuMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so it is the first to see a view's exception: a task that could not be sent becomes a 503.
    "bahk.task_not_sent.TaskNotSentMiddleware",
]

ROOT_URLCONF = "bahk.urls"
# The debug page (on under bin/dev) hides the add-on URLs' passwords too, not only secret-looking names.
DEFAULT_EXCEPTION_REPORTER_FILTER = "bahk.debug_page.SecretHidingReporterFilter"
WSGI_APPLICATION = "bahk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

_database_url = env.text(_environ, "DATABASE_URL")
_redis_url = env.text(_environ, "REDIS_URL")
# A dyno's disk is its own and erased at every restart: without the add-ons
# it would keep the data and the tasks there. Locally they are the defaults.
backing_services.require_addons(database_url=_database_url, redis_url=_redis_url, on_heroku=IS_HEROKU_APP)

DATABASES = {
    "default": backing_services.database(_database_url, on_heroku=IS_HEROKU_APP)
    if _database_url
    else backing_services.sqlite_database(BASE_DIR / "db.sqlite3")
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": backing_services.redis_cache(_redis_url) if _redis_url else backing_services.local_cache()}
# The Key-Value Store plan, for the capacity report where Redis refuses CONFIG GET maxclients (Heroku's does).
REDIS_PLAN = capacity.redis_plan(env.text(_environ, "REDIS_PLAN"))
# The connection budget's Celery settings (bahk/backing_services.py): bounded broker and result pools.
_celery_bounds = backing_services.celery_connection_bounds(redis=bool(_redis_url))

# Without REDIS_URL the worker still runs as its own process, on a broker made
# of files in a ".broker" folder beside the SQLite database: a checkout or a
# test run with a database of its own never takes another's tasks.
_database = DATABASES["default"]
LOCAL_BROKER_DIR = (
    Path(_database["NAME"]).resolve().parent if _database["ENGINE"].endswith("sqlite3") else BASE_DIR
) / ".broker"
# The longest a task may run: the worker kills it then. A killed worker's
# unacknowledged task goes to another worker twice this long after it was
# received (backing_services.celery_redis): minutes, not the hour kombu
# defaults to, and never while the first may still be running it.
CELERY_TASK_TIME_LIMIT = env.number(_environ, "WORKER_TASK_TIME_LIMIT", 300, minimum=5, maximum=43_200)
_celery = (
    backing_services.celery_redis(_redis_url, task_time_limit=CELERY_TASK_TIME_LIMIT)
    if _redis_url
    else backing_services.celery_filesystem(LOCAL_BROKER_DIR)
)
CELERY_BROKER_URL = _celery["broker_url"]
CELERY_RESULT_BACKEND = _celery["result_backend"]
CELERY_BROKER_USE_SSL = _celery["broker_use_ssl"]
CELERY_REDIS_BACKEND_USE_SSL = _celery["redis_backend_use_ssl"]
CELERY_BROKER_TRANSPORT_OPTIONS = _celery["broker_transport_options"] | _celery_bounds["broker_transport_options"]
# A publish that cannot reach the broker gives up within seconds: backing_services.PUBLISH_GIVES_UP says how.
CELERY_BROKER_CONNECTION_TIMEOUT = _celery["broker_connection_timeout"]
CELERY_TASK_PUBLISH_RETRY_POLICY = _celery["task_publish_retry_policy"]
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = _celery["redis_socket_connect_timeout"]
CELERY_REDIS_SOCKET_TIMEOUT = _celery["redis_socket_timeout"]
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = _celery["result_backend_transport_options"]
CELERY_BROKER_POOL_LIMIT = _celery_bounds["broker_pool_limit"]
CELERY_REDIS_MAX_CONNECTIONS = _celery_bounds["redis_max_connections"]
CELERY_BROKER_TRANSPORT = _celery_bounds["broker_transport"]
# No result is stored unless a task asks for one: each stored result costs a Redis connection in
# the worker's children, and each caller of a result-keeping task one more while it waits. The
# task id a caller gets back (the debug view's) needs no stored result.
CELERY_TASK_IGNORE_RESULT = True
# Tasks whose callers read the result (.get()): the one-off in the README and the tests.
CELERY_TASK_ANNOTATIONS = {"hub.tasks.count_public_participants": {"ignore_result": False}}
# No remote control (celery inspect/control): it holds a SUBSCRIBE connection per worker dyno, and
# nothing on Heroku uses it (the Procfile's worker already runs without gossip and mingle).
CELERY_WORKER_ENABLE_REMOTE_CONTROL = False
# Acknowledge a task when it finishes, not when it starts, and give it back
# to the queue if the worker dies under it: a dyno restart loses nothing.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Take one task at a time, so a restart has at most one task per process to hand back.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Heroku sends SIGTERM and kills 30 s later. The Procfile remaps SIGTERM to
# SIGQUIT; Celery then lets running tasks finish for this long and re-queues
# the rest before exiting.
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = 20
# WEB_CONCURRENCY, GUNICORN_THREADS and WORKER_CONCURRENCY, read once for gunicorn, Celery and the capacity report.
PROCESS_SIZES = process_sizes.read(_environ)
CELERY_WORKER_CONCURRENCY = PROCESS_SIZES.worker_concurrency
# Let Django's LOGGING (one line per record, to stdout) format the worker's logs too.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
# The `beat` process type's schedule (Procfile; scale it to exactly one dyno: two would run every task
# twice). Each entry checks in to a Sentry Crons monitor named after it (sentry_heroku/crons/,
# docs/crons.md); Scheduler or beat: the README's "Scheduled jobs".
CELERY_BEAT_SCHEDULE = {
    "hub-report-public-participants": {
        "task": "hub.tasks.report_public_participants",
        "schedule": crontab(minute="*/10"),
    },
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Leaflet's own files, as django-leaflet ships them. Only its static folder is
# used: the app itself would pull in GeoDjango (and GDAL) for its form widgets.
STATICFILES_DIRS = [Path(find_spec("leaflet").submodule_search_locations[0]) / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, pre-compressed files that whitenoise serves with far-future caching.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Heroku's router terminates TLS and says so in X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if IS_HEROKU_APP:
    SECURE_SSL_REDIRECT = True
    # Uptime monitors may probe over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

LOG_LEVEL = env.choice(_environ, "DJANGO_LOG_LEVEL", "INFO", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"))
# One line per record on stdout: Heroku's log router adds the time and the dyno.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"line": {"format": "%(levelname)s %(name)s: %(message)s"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "line"}},
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
}

# Heroku Scheduler's jobs, written as its dashboard shows them (Heroku has no API to read them): each
# run on a scheduler.N dyno checks in to a Sentry Crons monitor, and Sentry says when one is missed.
# Shape and margins: docs/crons.md. A job run but not listed here still reports its runs.
SENTRY_HEROKU_SCHEDULED_JOBS = [
    {"command": "python manage.py clearsessions", "schedule": "daily at 03:00", "max_runtime": 10},
]

# Reads and checks every SENTRY_* variable even when Sentry stays off, so a
# bad value fails the release phase instead of a dyno later.
sentry_heroku.init(_environ, static_url=STATIC_URL)
