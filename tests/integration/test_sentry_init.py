"""sentry_heroku.init() in a real process, with every SENTRY_* variable set."""

from tests.support.processes import clean_env, run_command

EVERY_SENTRY_VARIABLE = {
    "SENTRY_DSN": "http://5f0e4a1b2c3d@127.0.0.1:9/1",  # a closed loopback port; nothing is sent at start-up
    "SENTRY_ENVIRONMENT": "staging",
    "SENTRY_RELEASE": "2c3a0b24069af49b3de35b8e8c26765c1dba9ff0",
    "SENTRY_SAMPLE_RATE": "0.9",
    "SENTRY_TRACES_SAMPLE_RATE": "0.2",
    "SENTRY_PROFILES_SAMPLE_RATE": "0.1",
    "SENTRY_TRACES_KEEP_SLOW_MS": "800",
    "SENTRY_SEND_DEFAULT_PII": "1",
    "SENTRY_SCRUB_IP_ADDRESS": "0",
    "SENTRY_REQUEST_BODIES": "medium",
    "SENTRY_WITH_LOCALS": "1",
    "SENTRY_DEBUG": "0",
    "SENTRY_ATTACH_STACKTRACE": "1",
    "SENTRY_MAX_BREADCRUMBS": "50",
    "SENTRY_FORCE_DISABLE": "0",
    "SENTRY_SPOTLIGHT": "http://127.0.0.1:9/stream",
    "SENTRY_IGNORE_ERRORS": "hub.errors.Expected",
    "SENTRY_IGNORE_USER_EMAIL_DOMAINS": "example.com",
    "SENTRY_BREADCRUMB_LEVEL": "INFO",
    "SENTRY_EVENT_LEVEL": "ERROR",
    "SENTRY_LOGS_LEVEL": "WARNING",
}


SETUP_AND_REPORT = (
    "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'bahk.settings'); django.setup(); "
    "import sentry_heroku, sentry_sdk; "
    "print(sentry_heroku.current().enabled, sentry_sdk.get_client().is_active())"
)


def test_starting_with_every_sentry_variable_set_raises_no_deprecation_warning(tmp_path):
    env = clean_env(DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", **EVERY_SENTRY_VARIABLE)
    result = run_command(["python", "-W", "error::DeprecationWarning", "-c", SETUP_AND_REPORT], env, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split() == ["True", "True"]  # the SDK really started, with every option
