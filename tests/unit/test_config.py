"""SENTRY_* variables: defaults per environment, precedence, and bad values stopping start-up."""

import logging

import pytest
from django.core.exceptions import ImproperlyConfigured

from sentry_heroku.config import DEFAULT_IGNORED_ERRORS

DSN = "https://5f0e4a1b2c3d4e5f@o12.ingest.sentry.io/4242"
HEROKU = {"DYNO": "web.1", "HEROKU_APP_NAME": "bahk", "HEROKU_RELEASE_VERSION": "v42"}


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
def test_environment_and_traces_rate_defaults(environ, environment, traces, sentry_config):
    result = sentry_config(**environ)
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
def test_environment_precedence(environ, expected, sentry_config):
    assert sentry_config(**environ).environment == expected


def test_defaults_without_any_sentry_variable(sentry_config):
    result = sentry_config()
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
def test_sentry_is_enabled_by_a_dsn_or_spotlight_unless_force_disabled(environ, enabled, sentry_config):
    assert sentry_config(**environ).enabled is enabled


def test_spotlight_url_is_passed_through(sentry_config):
    assert sentry_config(SENTRY_SPOTLIGHT="http://localhost:8969/stream").spotlight == "http://localhost:8969/stream"


def test_sentry_ignore_errors_extends_the_defaults(sentry_config):
    result = sentry_config(SENTRY_IGNORE_ERRORS=" hub.errors.Expected , ,KeyboardInterrupt")
    assert result.ignore_errors == (*DEFAULT_IGNORED_ERRORS, "hub.errors.Expected", "KeyboardInterrupt")


def test_ignored_email_domains_are_normalised(sentry_config):
    result = sentry_config(SENTRY_IGNORE_USER_EMAIL_DOMAINS="@Example.COM, qa.bahk.test ,")
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
        ("SENTRY_SLOW_REQUEST_SECONDS", "-5", "a number from 0 to 3600"),
        ("SENTRY_SLOW_REQUEST_SECONDS", "25s", "a number from 0 to 3600"),
        ("HEROKU_DRAIN_EVENTS_PER_MINUTE", "0", "a whole number from 1 to 1000"),
        ("HEROKU_DRAIN_MEMORY_PERCENT", "120", "a number from 1 to 100"),
    ],
)
def test_bad_value_names_the_variable_and_the_accepted_values(name, value, accepted, sentry_config):
    with pytest.raises(ImproperlyConfigured) as error:
        sentry_config(**{name: value})
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
def test_malformed_dsn_is_refused_without_echoing_it(dsn, sentry_config):
    with pytest.raises(ImproperlyConfigured) as error:
        sentry_config(SENTRY_DSN=dsn)
    message = str(error.value)
    assert "SENTRY_DSN" in message
    assert "https://PUBLIC_KEY@o0.ingest.sentry.io/PROJECT_ID" in message
    assert "5f0e4a1b2c3d" not in message
    assert error.value.__cause__ is None and error.value.__suppress_context__


# Every SENTRY_* variable the settings read, each set to a value it accepts.


def test_log_drain_and_watchdog_defaults(sentry_config):
    result = sentry_config()
    assert (result.drain_secret, result.drain_events_per_minute, result.drain_memory_percent) == ("", 3, 90.0)
    assert result.slow_request_seconds == 25.0
    assert sentry_config(SENTRY_SLOW_REQUEST_SECONDS="0").slow_request_seconds == 0


@pytest.mark.parametrize(
    "secret",
    ["short", "has spaces in it but is long enough", "p@ss/word:that-breaks-the-drain-url", "é" * 30],
    ids=["too-short", "spaces", "url-characters", "not-ascii"],
)
def test_a_drain_secret_that_would_break_the_drain_url_is_refused_without_echoing_it(secret, sentry_config):
    with pytest.raises(ImproperlyConfigured) as error:
        sentry_config(HEROKU_DRAIN_SECRET=secret)
    assert "HEROKU_DRAIN_SECRET" in str(error.value)
    assert secret not in str(error.value)


def test_a_drain_secret_from_openssl_rand_hex_is_accepted(sentry_config):
    secret = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    assert sentry_config(HEROKU_DRAIN_SECRET=secret).drain_secret == secret
    assert secret not in repr(sentry_config(HEROKU_DRAIN_SECRET=secret))


# Relay's rules for a release and an environment (sentry_heroku/limits.py): a value it would drop from
# every event stops start-up instead, naming the variable and the rule.
@pytest.mark.parametrize(
    ("name", "value", "rule"),
    [
        ("SENTRY_RELEASE", "web/v42", "'/'"),
        ("SENTRY_RELEASE", "v42\\build", "'/'"),
        ("SENTRY_RELEASE", "v42\nv43", "a line break"),
        ("SENTRY_RELEASE", "v42\tbuild", "a tab"),
        ("SENTRY_RELEASE", "v42\x1b[31m", "control character"),
        ("SENTRY_RELEASE", ".", "Sentry reserves them"),
        ("SENTRY_RELEASE", "..", "Sentry reserves them"),
        ("SENTRY_RELEASE", "latest", "Sentry reserves them"),
        ("SENTRY_RELEASE", "Latest", "Sentry reserves them"),
        ("SENTRY_RELEASE", "r" * 201, "at most 200 bytes"),
        ("SENTRY_RELEASE", "é" * 101, "at most 200 bytes"),
        ("SENTRY_ENVIRONMENT", "staging/eu", "'/'"),
        ("SENTRY_ENVIRONMENT", "prod\r\neu", "a line break"),
        ("SENTRY_ENVIRONMENT", "..", "Sentry reserves them"),
        ("SENTRY_ENVIRONMENT", "None", "Sentry reserves them"),
        ("SENTRY_ENVIRONMENT", "e" * 65, "at most 64 bytes"),
        ("SENTRY_ENVIRONMENT", "é" * 33, "at most 64 bytes"),
        ("ENVIRONMENT", "review/42", "'/'"),
    ],
)
def test_a_release_or_environment_sentry_would_drop_stops_start_up(name, value, rule, sentry_config):
    with pytest.raises(ImproperlyConfigured) as error:
        sentry_config(**{name: value})
    message = str(error.value)
    assert message.startswith(f"{name} must ")
    assert rule in message
    assert repr(value.strip()) in message
    assert "\n" not in message  # one line, however the value is made


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SENTRY_RELEASE", "r" * 200),
        ("SENTRY_RELEASE", "bahk@1.4.2+2c3a0b2"),
        ("SENTRY_RELEASE", "none"),
        ("SENTRY_RELEASE", "release 42"),
        ("SENTRY_RELEASE", "é" * 100),
        ("SENTRY_ENVIRONMENT", "e" * 64),
        ("SENTRY_ENVIRONMENT", "latest"),
        ("SENTRY_ENVIRONMENT", "review-app-42"),
    ],
)
def test_a_release_or_environment_sentry_keeps_is_used_as_it_is(name, value, sentry_config):
    config = sentry_config(**{name: value})
    assert (config.release if name == "SENTRY_RELEASE" else config.environment) == value
