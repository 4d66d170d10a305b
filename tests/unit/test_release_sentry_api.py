"""The pure parts of the release phase: settings (config.py), and sentry_api.py's backoff, Retry-After, times, names."""

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ImproperlyConfigured

from sentry_heroku.config import ReleaseSettings, read_release_settings
from sentry_heroku.release.sentry_api import (
    RegistrationFailed,
    backoff,
    check_version,
    next_cursor,
    release_commit,
    retry_after_seconds,
    started_at,
)

TOKEN = "sntrys_test_only_7f3c9a1e5b2d4c6f8a0b"
COMMIT = "2c3a0b24069af49b3de35b8e8c26765c1dba9ff0"
NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, ReleaseSettings()),
        (
            {
                "SENTRY_AUTH_TOKEN": TOKEN,
                "SENTRY_ORG": "acme",
                "SENTRY_PROJECT": "web",
                "SENTRY_URL": "https://sentry.example.com/",
                "SENTRY_REPOSITORY": "acme/shop",
                "SENTRY_RELEASE_TIMEOUT": "12.5",
                "SENTRY_RELEASE_STRICT": "1",
            },
            ReleaseSettings(TOKEN, "acme", "web", "https://sentry.example.com", "acme/shop", 12.5, True),
        ),
        ({"SENTRY_URL": " ", "SENTRY_RELEASE_STRICT": "off"}, ReleaseSettings()),
    ],
)
def test_registration_settings_come_from_the_environment(environ, expected):
    assert read_release_settings(environ) == expected


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({"SENTRY_URL": "sentry.io"}, "SENTRY_URL"),
        ({"SENTRY_URL": "file:///etc/passwd"}, "SENTRY_URL"),
        ({"SENTRY_RELEASE_TIMEOUT": "soon"}, "SENTRY_RELEASE_TIMEOUT"),
        ({"SENTRY_RELEASE_TIMEOUT": "0"}, "SENTRY_RELEASE_TIMEOUT"),
        ({"SENTRY_RELEASE_STRICT": "maybe"}, "SENTRY_RELEASE_STRICT"),
    ],
)
def test_bad_registration_settings_name_the_variable(environ, variable):
    with pytest.raises(ImproperlyConfigured, match=variable):
        read_release_settings(environ)


@pytest.mark.parametrize(
    ("environ", "missing"),
    [
        ({}, ["SENTRY_AUTH_TOKEN", "SENTRY_ORG", "SENTRY_PROJECT"]),
        ({"SENTRY_AUTH_TOKEN": TOKEN}, ["SENTRY_ORG", "SENTRY_PROJECT"]),
        ({"SENTRY_AUTH_TOKEN": TOKEN, "SENTRY_ORG": "acme"}, ["SENTRY_PROJECT"]),
        ({"SENTRY_AUTH_TOKEN": TOKEN, "SENTRY_ORG": "acme", "SENTRY_PROJECT": "web"}, []),
    ],
)
def test_missing_lists_the_variables_registration_needs(environ, missing):
    assert read_release_settings(environ).missing == missing


def test_token_is_not_in_the_settings_repr():
    assert TOKEN not in repr(read_release_settings({"SENTRY_AUTH_TOKEN": TOKEN}))


@pytest.mark.parametrize(
    ("attempt", "retry_after", "expected"),
    [(0, None, 0.5), (1, None, 1.0), (2, None, 2.0), (4, None, 8.0), (9, None, 8.0), (0, 3.0, 3.0), (5, 0.0, 0.0)],
)
def test_backoff_doubles_up_to_a_cap_unless_sentry_says_how_long(attempt, retry_after, expected):
    assert backoff(attempt, retry_after) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("7", 7.0),
        ("1.5", 1.5),
        ("-3", 0.0),
        ("Mon, 23 Nov 2026 12:00:30 GMT", 30.0),
        ("Mon, 23 Nov 2026 11:59:00 GMT", 0.0),
        ("tomorrow", None),
    ],
)
def test_retry_after_is_read_as_seconds_or_a_date(header, expected):
    assert retry_after_seconds(header, NOW) == expected


@pytest.mark.parametrize(
    ("created_at", "expected"),
    [
        ("2026-11-20T10:15:42Z", "2026-11-20T10:15:42Z"),
        ("2026-11-20T11:15:42+01:00", "2026-11-20T10:15:42Z"),
        ("2026-11-20T10:15:42", "2026-11-20T10:15:42Z"),
        ("", "2026-11-23T12:00:00Z"),
        ("last tuesday", "2026-11-23T12:00:00Z"),
    ],
)
def test_deploy_starts_when_heroku_created_the_release(created_at, expected):
    assert started_at(created_at, NOW) == expected


@pytest.mark.parametrize(
    ("dyno_commit", "version", "expected"),
    [
        (COMMIT, "bahk@1.2.3", COMMIT),
        ("", COMMIT, COMMIT),
        ("", "bahk@1.2.3", ""),
        ("", COMMIT[:12], ""),
        ("", "", ""),
    ],
)
def test_commit_is_the_builds_or_a_release_named_by_its_sha(dyno_commit, version, expected):
    assert release_commit(dyno_commit, version) == expected


@pytest.mark.parametrize("version", [COMMIT, "bahk@1.2.3+build.7", "v42 hotfix"])
def test_valid_release_names_pass(version):
    assert check_version(version) == version


@pytest.mark.parametrize("version", ["", ".", "..", " ", "latest", "feature/map", "a\\b", "two\nlines", "x" * 201])
def test_release_names_sentry_refuses_are_caught_first(version):
    with pytest.raises(RegistrationFailed, match="SENTRY_RELEASE"):
        check_version(version)


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("", ""),
        ('<https://s/?&cursor=0:100:0>; rel="next"; results="false"; cursor="0:100:0"', ""),
        (
            '<https://s/?&cursor=0:0:1>; rel="previous"; results="false"; cursor="0:0:1", '
            '<https://s/?&cursor=0:100:0>; rel="next"; results="true"; cursor="0:100:0"',
            "0:100:0",
        ),
    ],
)
def test_repository_pages_are_followed_while_sentry_has_more(link, expected):
    assert next_cursor(link) == expected
