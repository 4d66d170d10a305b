"""bahk/settings.py under the environments it meets: a laptop, Heroku (redis:// and rediss://), Heroku CI, bad input.

Settings are evaluated once per process, so each environment gets a fresh
`python -c` that prints what settings.py chose, as JSON, or the error it raised.
"""

import json
import subprocess
import sys

import pytest

from tests.support.processes import HOST, ROOT, SECRET_KEY, clean_env, free_port, heroku_env, procfile_command

PASSWORD = "s3cr3t-pa55w0rd"

SHOW_SETTINGS = """
import enum, json
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

def plain(value):
    if isinstance(value, enum.Enum):
        return f"{type(value).__name__}.{value.name}"
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)

try:
    settings.INSTALLED_APPS
except ImproperlyConfigured as exc:
    print(json.dumps({"error": str(exc)}))
else:
    names = [name for name in dir(settings) if name.isupper()]
    print(json.dumps({name: plain(getattr(settings, name)) for name in names}))
"""


# For environments built when the tests are collected, before the session's add-ons exist: settings are
# read here, never connected, so any well-formed add-on URLs let a dyno's settings load.
ADDONS = {
    "DATABASE_URL": "postgres://app:password@ec2-5-6-7-8.compute-1.amazonaws.com:5432/d1a2b3",
    "REDIS_URL": "redis://:password@ec2-1-2-3-4.compute-1.amazonaws.com:6379",
}


def settings_under(env: dict[str, str]) -> dict:
    """Every setting settings.py chose under this environment, or {"error": message}."""
    result = subprocess.run(
        [sys.executable, "-c", SHOW_SETTINGS],
        cwd=ROOT,
        env=env | {"DJANGO_SETTINGS_MODULE": "bahk.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_local_environment_needs_nothing_but_the_project_folder():
    chosen = settings_under(clean_env())

    assert chosen["DEBUG"] is False
    assert chosen["IS_HEROKU_APP"] is False
    assert chosen["ALLOWED_HOSTS"] == ["localhost", "127.0.0.1", "[::1]"]
    assert chosen["DATABASES"]["default"] == {
        **chosen["DATABASES"]["default"],
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(ROOT / "db.sqlite3"),
    }
    assert chosen["CACHES"]["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert chosen["CELERY_BROKER_URL"] == "filesystem://localhost/"
    assert chosen["CELERY_RESULT_BACKEND"] == f"file://{ROOT / '.broker' / 'results'}"
    assert chosen["CELERY_BROKER_TRANSPORT_OPTIONS"]["data_folder_in"] == str(ROOT / ".broker" / "messages")
    assert chosen["SECRET_KEY"].startswith("django-insecure-")
    assert chosen["SECURE_SSL_REDIRECT"] is False
    assert chosen["SESSION_COOKIE_SECURE"] is False
    assert chosen["CELERY_WORKER_CONCURRENCY"] == 2


def test_heroku_with_redis_url_uses_redis_for_cache_and_celery_without_tls_options():
    url = f"redis://:{PASSWORD}@ec2-1-2-3-4.compute-1.amazonaws.com:6379"
    chosen = settings_under(heroku_env("web.1", REDIS_URL=url))

    cache = chosen["CACHES"]["default"]
    assert cache["BACKEND"] == "bahk.redis_cache.RedisCache"
    assert cache["LOCATION"] == url
    assert "ssl_cert_reqs" not in cache["OPTIONS"]
    assert chosen["CELERY_BROKER_URL"] == url
    assert chosen["CELERY_RESULT_BACKEND"] == url
    assert chosen["CELERY_BROKER_USE_SSL"] is None
    assert chosen["CELERY_REDIS_BACKEND_USE_SSL"] is None
    assert chosen["CELERY_BROKER_TRANSPORT_OPTIONS"]["visibility_timeout"] > chosen["CELERY_TASK_TIME_LIMIT"]


def test_rediss_url_turns_off_certificate_checks_for_cache_and_celery():
    url = f"rediss://:{PASSWORD}@ec2-1-2-3-4.compute-1.amazonaws.com:6380"
    chosen = settings_under(heroku_env("worker.1", REDIS_URL=url))

    assert chosen["CACHES"]["default"]["LOCATION"] == url
    assert chosen["CACHES"]["default"]["OPTIONS"]["ssl_cert_reqs"] == "VerifyMode.CERT_NONE"
    assert chosen["CELERY_BROKER_URL"] == url
    assert chosen["CELERY_BROKER_USE_SSL"] == {"ssl_cert_reqs": "VerifyMode.CERT_NONE"}
    assert chosen["CELERY_REDIS_BACKEND_USE_SSL"] == {"ssl_cert_reqs": "VerifyMode.CERT_NONE"}


def test_heroku_is_secure_by_default():
    chosen = settings_under(heroku_env("web.1"))

    assert chosen["IS_HEROKU_APP"] is True
    assert chosen["DEBUG"] is False
    assert chosen["SECRET_KEY"] == SECRET_KEY
    assert chosen["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert chosen["SECURE_SSL_REDIRECT"] is True
    assert chosen["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert chosen["SESSION_COOKIE_SECURE"] is True
    assert chosen["CSRF_COOKIE_SECURE"] is True


def test_heroku_ci_dyno_is_not_treated_as_a_heroku_app():
    env = heroku_env("web.1", CI="true", DJANGO_SECRET_KEY="", DATABASE_URL=f"postgres://u:{PASSWORD}@localhost/ci")
    chosen = settings_under(env)

    assert chosen["IS_HEROKU_APP"] is False
    assert chosen["SECURE_SSL_REDIRECT"] is False
    assert chosen["ALLOWED_HOSTS"] == ["localhost", "127.0.0.1", "[::1]"]
    # The in-dyno PostgreSQL of Heroku CI speaks no TLS.
    assert "sslmode" not in chosen["DATABASES"]["default"].get("OPTIONS", {})


def test_bin_dev_dyno_names_do_not_make_a_laptop_heroku():
    chosen = settings_under(clean_env(DYNO="web.1", LOCAL_DYNO="1"))

    assert chosen["IS_HEROKU_APP"] is False
    assert chosen["SECURE_SSL_REDIRECT"] is False


@pytest.mark.parametrize(
    ("env", "debug"),
    [
        (clean_env(), False),
        (clean_env(DJANGO_DEBUG="1"), True),
        (clean_env(DJANGO_DEBUG="true"), True),
        (clean_env(DJANGO_DEBUG="0"), False),
        (heroku_env("web.1", **ADDONS, DJANGO_DEBUG=""), False),
    ],
    ids=["unset", "1", "true", "0", "heroku-empty"],
)
def test_debug_is_off_unless_django_debug_says_so(env, debug):
    assert settings_under(env)["DEBUG"] is debug


def test_local_broker_sits_beside_the_sqlite_database_so_two_runs_never_share_tasks(tmp_path):
    database = tmp_path / "db.sqlite3"
    chosen = settings_under(clean_env(DATABASE_URL=f"sqlite:///{database}"))

    assert chosen["CELERY_BROKER_TRANSPORT_OPTIONS"]["data_folder_in"] == str(tmp_path / ".broker" / "messages")
    assert chosen["CELERY_RESULT_BACKEND"] == f"file://{tmp_path / '.broker' / 'results'}"


def test_database_url_on_heroku_requires_tls_and_keeps_healthy_connections():
    url = f"postgres://app:{PASSWORD}@ec2-5-6-7-8.compute-1.amazonaws.com:5432/d1a2b3"
    database = settings_under(heroku_env("web.1", DATABASE_URL=url))["DATABASES"]["default"]

    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["PORT"], database["NAME"], database["USER"]) == (
        "ec2-5-6-7-8.compute-1.amazonaws.com",
        5432,
        "d1a2b3",
        "app",
    )
    assert database["OPTIONS"]["sslmode"] == "require"
    assert database["CONN_MAX_AGE"] > 0
    assert database["CONN_HEALTH_CHECKS"] is True


def test_database_url_off_heroku_does_not_require_tls():
    url = f"postgres://app:{PASSWORD}@127.0.0.1:5432/bahk"
    database = settings_under(clean_env(DATABASE_URL=url))["DATABASES"]["default"]

    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert "sslmode" not in database.get("OPTIONS", {})
    assert database["CONN_HEALTH_CHECKS"] is True


@pytest.mark.parametrize(
    ("env", "hosts"),
    [
        (heroku_env("web.1", **ADDONS), [".herokuapp.com", HOST]),
        (heroku_env("web.1", **ADDONS, HEROKU_APP_DEFAULT_DOMAIN_NAME=""), [".herokuapp.com"]),
        (heroku_env("web.1", **ADDONS, DJANGO_ALLOWED_HOSTS="bahk.example.com"), ["bahk.example.com"]),
        (
            heroku_env("web.1", **ADDONS, DJANGO_ALLOWED_HOSTS=f"bahk.example.com, {HOST}"),
            ["bahk.example.com", HOST],
        ),
        (clean_env(DJANGO_ALLOWED_HOSTS="dev.test"), ["dev.test"]),
    ],
    ids=["heroku-default", "heroku-without-metadata", "custom-domain-only", "custom-and-app-domain", "local-override"],
)
def test_allowed_hosts_default_to_the_apps_herokuapp_domain_and_django_allowed_hosts_overrides(env, hosts):
    assert settings_under(env)["ALLOWED_HOSTS"] == hosts


@pytest.mark.parametrize(
    ("env", "level"),
    [
        (clean_env(), "INFO"),
        (clean_env(DJANGO_LOG_LEVEL="debug"), "DEBUG"),
        (clean_env(DJANGO_LOG_LEVEL="ERROR"), "ERROR"),
    ],
    ids=["default", "lowercase", "error"],
)
def test_log_level_comes_from_django_log_level_and_logs_go_to_stdout_one_line_per_record(env, level):
    logging = settings_under(env)["LOGGING"]

    assert logging["root"] == {"handlers": ["stdout"], "level": level}
    assert logging["handlers"]["stdout"]["stream"] == "ext://sys.stdout"
    assert "\n" not in logging["formatters"]["line"]["format"]


@pytest.mark.parametrize(("value", "concurrency"), [("", 2), ("1", 1), ("8", 8)])
def test_worker_concurrency_defaults_to_two(value, concurrency):
    assert settings_under(clean_env(WORKER_CONCURRENCY=value))["CELERY_WORKER_CONCURRENCY"] == concurrency


@pytest.mark.parametrize(("value", "limit"), [("", 300), ("60", 60)])
def test_task_time_limit_defaults_to_five_minutes_and_redis_hands_an_unacknowledged_task_out_after_twice_it(
    value, limit
):
    chosen = settings_under(heroku_env("worker.1", WORKER_TASK_TIME_LIMIT=value))

    assert chosen["CELERY_TASK_TIME_LIMIT"] == limit
    assert chosen["CELERY_BROKER_TRANSPORT_OPTIONS"]["visibility_timeout"] == 2 * limit


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("DATABASE_URL", f"postgres://app:{PASSWORD}@db.example.com:port/bahk", "postgres://USER:PASSWORD@HOST"),
        ("DATABASE_URL", f"mysql://app:{PASSWORD}@db.example.com/bahk", "got a URL with scheme 'mysql'"),
        ("DATABASE_URL", f"postgres://app:{PASSWORD}@[::1/bahk", "postgres://USER:PASSWORD@HOST"),
        ("DATABASE_URL", f"postgres://app:{PASSWORD}@db.example.com:5432/", "host or database name is missing"),
        ("DATABASE_URL", f"app:{PASSWORD}@db.example.com/bahk", "postgres://USER:PASSWORD@HOST"),
        ("DATABASE_URL", "sqlite://", "sqlite:// needs the path of a file"),
        ("DATABASE_URL", "sqlite://:memory:", "sqlite:// needs the path of a file"),
        ("DJANGO_ALLOWED_HOSTS", " , ", "comma-separated names"),
        ("REDIS_URL", f"redis://:{PASSWORD}@redis.example.com:port", "redis://[:PASSWORD@]HOST:PORT"),
        ("REDIS_URL", f"http://:{PASSWORD}@redis.example.com:6379", "got scheme 'http'"),
        ("REDIS_URL", f"redis://:{PASSWORD}@:6379", "host is missing"),
        ("REDIS_URL", f"rediss://:{PASSWORD}@[::1:6380", "redis://[:PASSWORD@]HOST:PORT"),
        ("REDIS_URL", f"{PASSWORD}", "redis://[:PASSWORD@]HOST:PORT"),
        ("WORKER_CONCURRENCY", "many", "a whole number from 1 to 64"),
        ("WORKER_CONCURRENCY", "0", "a whole number from 1 to 64"),
        ("WORKER_TASK_TIME_LIMIT", "4", "a whole number from 5 to 43200"),
        ("WORKER_TASK_TIME_LIMIT", "1h", "a whole number from 5 to 43200"),
        ("DJANGO_LOG_LEVEL", "LOUD", "DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        ("DJANGO_DEBUG", "maybe", "1, true, yes, on, 0, false, no, off"),
    ],
)
def test_malformed_variable_is_named_with_its_expected_form_and_never_echoes_a_password(variable, value, expected):
    error = settings_under(heroku_env("web.1", **{variable: value})).get("error")

    assert error is not None, f"{variable}={value!r} was accepted"
    assert error.startswith(f"{variable} must ")
    assert expected in error
    assert PASSWORD not in error


@pytest.mark.parametrize("secret_key", ["", "x"], ids=["unset", "weak"])
@pytest.mark.parametrize("process_type", ["release", "web", "worker"])
def test_heroku_dyno_without_a_good_secret_key_refuses_to_start_with_one_line_naming_it(process_type, secret_key):
    port = free_port()
    env = heroku_env(
        f"{process_type}.1", DJANGO_SECRET_KEY=secret_key, PORT=str(port), GUNICORN_CMD_ARGS=f"--bind=127.0.0.1:{port}"
    )
    result = subprocess.run(
        ["bash", "-c", procfile_command(process_type)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode != 0
    output = (result.stdout + result.stderr).strip()
    error_lines = [line for line in output.splitlines() if "DJANGO_SECRET_KEY" in line]
    assert len(error_lines) == 1, output
    assert "heroku config:set DJANGO_SECRET_KEY=$(openssl rand -base64 48)" in error_lines[0]
    assert "Traceback" not in output
