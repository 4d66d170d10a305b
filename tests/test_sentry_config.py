"""SENTRY_* variables: defaults per environment, precedence, and bad values stopping start-up."""

import logging

import pytest
from django.core.exceptions import ImproperlyConfigured

from sentry_heroku.config import DEFAULT_IGNORED_ERRORS, SentryConfig, read_config
from sentry_heroku.dyno import Dyno, read_dyno
from sentry_heroku.sdk import data_collection, dyno_tags, heroku_context
from tests.processes import clean_env, run_command

DSN = "https://5f0e4a1b2c3d4e5f@o12.ingest.sentry.io/4242"
HEROKU = {"DYNO": "web.1", "HEROKU_APP_NAME": "bahk", "HEROKU_RELEASE_VERSION": "v42"}


def config(**environ: str) -> SentryConfig:
    environ.setdefault("SENTRY_RELEASE", "test-release")  # no git lookup
    return read_config(environ, read_dyno(environ))


@pytest.mark.parametrize(
    ("environ", "environment", "traces"),
    [
        ({}, "development", 1.0),
        ({"DYNO": "web.1", "LOCAL_DYNO": "1"}, "development", 1.0),  # bin/dev
        ({"DYNO": "web.1", "CI": "true"}, "development", 1.0),  # Heroku CI
        (HEROKU, "production", 0.1),
        ({**HEROKU, "ENVIRONMENT": "staging"}, "staging", 0.5),
        ({"SENTRY_ENVIRONMENT": "staging"}, "staging", 0.5),
        ({**HEROKU, "SENTRY_ENVIRONMENT": "review-app"}, "review-app", 0.1),
        ({**HEROKU, "SENTRY_TRACES_SAMPLE_RATE": "0.02"}, "production", 0.02),
        ({"SENTRY_TRACES_SAMPLE_RATE": "0"}, "development", 0.0),
        ({"ENVIRONMENT": "staging", "SENTRY_TRACES_SAMPLE_RATE": "1"}, "staging", 1.0),
    ],
    ids=["laptop", "bin-dev", "heroku-ci", "heroku", "heroku-staging", "staging", "other-name", "rate-set",
         "rate-zero", "rate-beats-staging"],
)  # fmt: skip
def test_environment_and_traces_rate_defaults(environ, environment, traces):
    result = config(**environ)
    assert (result.environment, result.traces_sample_rate) == (environment, traces)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"SENTRY_ENVIRONMENT": "a", "ENVIRONMENT": "b", **HEROKU}, "a"),
        ({"SENTRY_ENVIRONMENT": "  ", "ENVIRONMENT": "b", **HEROKU}, "b"),
        ({"ENVIRONMENT": "b", **HEROKU}, "b"),
        (HEROKU, "production"),
        ({}, "development"),
    ],
    ids=["sentry-environment", "blank-falls-through", "environment", "heroku", "elsewhere"],
)
def test_environment_precedence(environ, expected):
    assert config(**environ).environment == expected


def test_defaults_without_any_sentry_variable():
    result = config()
    assert not result.enabled
    assert (result.sample_rate, result.profiles_sample_rate, result.keep_slow_ms) == (1.0, 0.0, None)
    assert (result.send_default_pii, result.scrub_ip_address, result.with_locals) == (False, True, True)
    assert (result.request_bodies, result.max_breadcrumbs) == ("small", 100)
    assert (result.breadcrumb_level, result.event_level, result.logs_level) == (
        logging.INFO,
        logging.ERROR,
        logging.WARNING,
    )
    assert result.ignore_errors == DEFAULT_IGNORED_ERRORS


@pytest.mark.parametrize(
    ("environ", "enabled"),
    [
        ({}, False),
        ({"SENTRY_DSN": DSN}, True),
        ({"SENTRY_DSN": DSN, "SENTRY_FORCE_DISABLE": "1"}, False),
        ({"SENTRY_DSN": DSN, "SENTRY_FORCE_DISABLE": "false"}, True),
        ({"SENTRY_SPOTLIGHT": "1"}, True),
        ({"SENTRY_SPOTLIGHT": "http://localhost:8969/stream"}, True),
        ({"SENTRY_SPOTLIGHT": "1", "SENTRY_FORCE_DISABLE": "yes"}, False),
        ({"SENTRY_SPOTLIGHT": "0"}, False),
    ],
    ids=["nothing", "dsn", "force-disable", "force-disable-off", "spotlight", "spotlight-url",
         "spotlight-disabled", "spotlight-off"],
)  # fmt: skip
def test_sentry_is_enabled_by_a_dsn_or_spotlight_unless_force_disabled(environ, enabled):
    assert config(**environ).enabled is enabled


def test_spotlight_url_is_passed_through():
    assert config(SENTRY_SPOTLIGHT="http://localhost:8969/stream").spotlight == "http://localhost:8969/stream"


def test_sentry_ignore_errors_extends_the_defaults():
    result = config(SENTRY_IGNORE_ERRORS=" hub.errors.Expected , ,KeyboardInterrupt")
    assert result.ignore_errors == (*DEFAULT_IGNORED_ERRORS, "hub.errors.Expected", "KeyboardInterrupt")


def test_ignored_email_domains_are_normalised():
    result = config(SENTRY_IGNORE_USER_EMAIL_DOMAINS="@Example.COM, qa.bahk.test ,")
    assert result.ignore_user_email_domains == ("example.com", "qa.bahk.test")


@pytest.mark.parametrize(
    ("name", "value", "accepted"),
    [
        ("SENTRY_SAMPLE_RATE", "1.5", "from 0 to 1"),
        ("SENTRY_TRACES_SAMPLE_RATE", "-0.1", "from 0 to 1"),
        ("SENTRY_TRACES_SAMPLE_RATE", "abc", "from 0 to 1"),
        ("SENTRY_PROFILES_SAMPLE_RATE", "nan", "from 0 to 1"),
        ("SENTRY_TRACES_SAMPLE_RATE", "inf", "from 0 to 1"),
        ("SENTRY_TRACES_SAMPLE_RATE", "10%", "from 0 to 1"),
        ("SENTRY_REQUEST_BODIES", "huge", "never, small, medium, always"),
        ("SENTRY_BREADCRUMB_LEVEL", "VERBOSE", "DEBUG, INFO, WARNING, ERROR, CRITICAL, OFF"),
        ("SENTRY_EVENT_LEVEL", "warn", "DEBUG, INFO, WARNING, ERROR, CRITICAL, OFF"),
        ("SENTRY_LOGS_LEVEL", "5", "DEBUG, INFO, WARNING, ERROR, CRITICAL, OFF"),
        ("SENTRY_MAX_BREADCRUMBS", "12.5", "a whole number from 0 to 1000"),
        ("SENTRY_MAX_BREADCRUMBS", "lots", "a whole number from 0 to 1000"),
        ("SENTRY_MAX_BREADCRUMBS", "5000", "a whole number from 0 to 1000"),
        ("SENTRY_TRACES_KEEP_SLOW_MS", "-1", "at least 0"),
        ("SENTRY_SEND_DEFAULT_PII", "maybe", "1, true, yes, on, 0, false, no, off"),
        ("SENTRY_FORCE_DISABLE", "please", "1, true, yes, on, 0, false, no, off"),
    ],
)
def test_bad_value_names_the_variable_and_the_accepted_values(name, value, accepted):
    with pytest.raises(ImproperlyConfigured) as error:
        config(**{name: value})
    message = str(error.value)
    assert name in message
    assert accepted in message
    assert repr(value) in message


@pytest.mark.parametrize(
    "dsn",
    [
        "not-a-dsn-5f0e4a1b2c3d",
        "https://o12.ingest.sentry.io/4242",  # no key
        "https://5f0e4a1b2c3d@o12.ingest.sentry.io/",  # no project
        "https://5f0e4a1b2c3d@o12.ingest.sentry.io/project",
        "ftp://5f0e4a1b2c3d@o12.ingest.sentry.io/4242",
        "https://5f0e4a1b2c3d@o12.ingest.sentry.io:port/4242",
    ],
    ids=["no-url", "no-key", "no-project", "project-not-a-number", "scheme", "port-not-a-number"],
)
def test_malformed_dsn_is_refused_without_echoing_it(dsn):
    with pytest.raises(ImproperlyConfigured) as error:
        config(SENTRY_DSN=dsn)
    message = str(error.value)
    assert "SENTRY_DSN" in message
    assert "https://PUBLIC_KEY@o0.ingest.sentry.io/PROJECT_ID" in message
    assert "5f0e4a1b2c3d" not in message
    assert error.value.__cause__ is None and error.value.__suppress_context__


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, {"user_info": False, "http_bodies": ["incoming_request"], "stack_frame_variables": True}),
        ({"SENTRY_SEND_DEFAULT_PII": "1"}, {"user_info": True}),
        ({"SENTRY_REQUEST_BODIES": "never"}, {"http_bodies": []}),
        ({"SENTRY_REQUEST_BODIES": "always"}, {"http_bodies": ["incoming_request"]}),
        ({"SENTRY_WITH_LOCALS": "0"}, {"stack_frame_variables": False}),
    ],
    ids=["defaults", "pii", "bodies-never", "bodies-always", "no-locals"],
)
def test_data_collection_follows_the_variables(environ, expected):
    collected = data_collection(config(**environ))
    assert {key: collected[key] for key in expected} == expected


@pytest.mark.parametrize(
    ("environ", "address_headers_sent"),
    [
        ({}, False),
        ({"SENTRY_SEND_DEFAULT_PII": "1"}, False),
        ({"SENTRY_SEND_DEFAULT_PII": "1", "SENTRY_SCRUB_IP_ADDRESS": "0"}, True),
    ],
)
def test_address_headers_are_denied_unless_pii_is_on_and_ip_scrubbing_off(environ, address_headers_sent):
    terms = data_collection(config(**environ))["http_headers"]["request"]["terms"]
    assert ("forwarded" not in terms) is address_headers_sent


@pytest.mark.parametrize(
    ("dyno", "expected"),
    [
        (Dyno(name="web.2", process_type="web", app_name="bahk", release_version="v42"),
         {"dyno": "web.2", "dyno_type": "web", "heroku_app": "bahk", "heroku_release": "v42"}),
        (Dyno(name="worker.1", process_type="worker"), {"dyno": "worker.1", "dyno_type": "worker"}),
        (Dyno(), {}),
    ],
    ids=["metadata-on", "metadata-off", "not-a-dyno"],
)  # fmt: skip
def test_dyno_tags_omit_empty_values(dyno, expected):
    assert dyno_tags(dyno) == expected


def test_heroku_context_says_how_to_turn_metadata_on():
    context = heroku_context(Dyno(name="web.1", process_type="web"))
    assert context == {"metadata": "off (heroku labs:enable runtime-dyno-metadata)"}


def test_heroku_context_carries_the_rest_of_the_metadata():
    dyno = read_dyno(
        {
            "DYNO": "web.1",
            "HEROKU_APP_NAME": "bahk",
            "HEROKU_APP_ID": "app-id",
            "HEROKU_DYNO_ID": "dyno-id",
            "HEROKU_RELEASE_VERSION": "v42",
            "HEROKU_RELEASE_CREATED_AT": "2026-11-20T10:15:42Z",
            "HEROKU_SLUG_COMMIT": "2c3a0b2",
            "HEROKU_SLUG_DESCRIPTION": "Deploy 2c3a0b2",
        }
    )
    assert heroku_context(dyno) == {
        "app_id": "app-id",
        "dyno_id": "dyno-id",
        "release_created_at": "2026-11-20T10:15:42Z",
        "commit": "2c3a0b2",
        "slug_description": "Deploy 2c3a0b2",
        "metadata": "on",
    }


# Every SENTRY_* variable the settings read, each set to a value it accepts.
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
