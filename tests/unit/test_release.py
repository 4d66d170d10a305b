"""The release name: from SENTRY_RELEASE, the build's commit, or this checkout's HEAD."""

import pytest

from sentry_heroku.release import release_name

BUILD_COMMIT = "2c3a0b24069af49b3de35b8e8c26765c1dba9ff0"
SLUG_COMMIT = "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432"
GIT_COMMIT = "0123456789abcdef0123456789abcdef01234567"


def no_git() -> str:
    return ""


def git() -> str:
    return GIT_COMMIT


@pytest.mark.parametrize(
    ("environ", "git_commit", "expected"),
    [
        (
            {
                "SENTRY_RELEASE": "bahk@1.4.0",
                "HEROKU_BUILD_COMMIT": BUILD_COMMIT,
                "HEROKU_SLUG_COMMIT": SLUG_COMMIT,
                "SOURCE_VERSION": "abc123",
            },
            git,
            "bahk@1.4.0",
        ),
        (
            {"HEROKU_BUILD_COMMIT": BUILD_COMMIT, "HEROKU_SLUG_COMMIT": SLUG_COMMIT, "SOURCE_VERSION": "abc"},
            git,
            BUILD_COMMIT,
        ),
        ({"HEROKU_SLUG_COMMIT": SLUG_COMMIT, "SOURCE_VERSION": "abc123"}, git, SLUG_COMMIT),
        ({"SOURCE_VERSION": "abc123"}, git, "abc123"),
        ({}, git, GIT_COMMIT),
        ({"SENTRY_RELEASE": "  ", "SOURCE_VERSION": " "}, git, GIT_COMMIT),
        ({}, no_git, ""),
    ],
    ids=["sentry-release", "build-commit", "slug-commit", "source-version", "git", "blank-values-skipped", "nothing"],
)
def test_release_name_takes_the_most_specific_source(environ, git_commit, expected):
    assert release_name(environ, git=git_commit) == expected
