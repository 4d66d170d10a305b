"""The release name: from SENTRY_RELEASE, the build's commit (metadata, SOURCE_VERSION, the slug's record), or git."""

import pytest

from sentry_heroku.config import read_environment_name, read_release_name
from sentry_heroku.dyno import read_dyno
from sentry_heroku.release.name import recorded_build_commit

BUILD_COMMIT = "2c3a0b24069af49b3de35b8e8c26765c1dba9ff0"
SLUG_COMMIT = "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432"
GIT_COMMIT = "0123456789abcdef0123456789abcdef01234567"
RECORDED_COMMIT = "8d1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b"


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
    assert read_release_name(environ, git=git_commit, recorded=lambda: "") == expected


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"DYNO": "web.1"}, RECORDED_COMMIT),
        ({"DYNO": "web.1", "HEROKU_BUILD_COMMIT": BUILD_COMMIT}, BUILD_COMMIT),
        ({"SOURCE_VERSION": "abc123"}, "abc123"),
        ({"SENTRY_RELEASE": "bahk@1.4.0"}, "bahk@1.4.0"),
    ],
    ids=["slug-without-metadata", "metadata-first", "while-building", "sentry-release"],
)
def test_a_slug_names_its_release_by_the_commit_its_build_recorded(tmp_path, environ, expected):
    record = tmp_path / ".build-commit"
    record.write_text(RECORDED_COMMIT + "\n")

    assert read_release_name(environ, git=git, recorded=lambda: recorded_build_commit(record)) == expected


def test_outside_a_slug_there_is_no_recorded_commit(tmp_path):
    assert recorded_build_commit(tmp_path / ".build-commit") == ""


REVIEW_APP = {"DYNO": "web.1", "HEROKU_PR_NUMBER": "123", "HEROKU_BRANCH": "fix-map"}


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"DYNO": "web.1"}, "production"),
        (REVIEW_APP, "review"),
        ({"DYNO": "web.1", "HEROKU_BRANCH": "fix-map"}, "review"),
        ({"DYNO": "web.1", "HEROKU_PR_NUMBER": "123"}, "review"),
        (REVIEW_APP | {"SENTRY_ENVIRONMENT": "staging"}, "staging"),
        ({"DYNO": "web.1", "ENVIRONMENT": "qa"}, "qa"),
        ({}, "development"),
        ({"DYNO": "web.1", "CI": "true"}, "development"),
    ],
    ids=["heroku", "review-app", "branch-only", "pr-only", "explicit-wins", "ENVIRONMENT", "laptop", "heroku-ci"],
)
def test_environment_name(environ, expected):
    assert read_environment_name(environ, read_dyno(environ)) == expected
