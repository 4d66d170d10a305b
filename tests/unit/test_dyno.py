"""What a dyno learns about itself from its environment (the release name built from it is in test_release_name.py)."""

import pytest

from sentry_heroku.dyno import Dyno, process_type, read_dyno

BUILD_COMMIT = "2c3a0b24069af49b3de35b8e8c26765c1dba9ff0"
SLUG_COMMIT = "9f8e7d6c5b4a39281706f5e4d3c2b1a098765432"

METADATA = {
    "HEROKU_APP_NAME": "bahk-test",
    "HEROKU_APP_ID": "9daa2797-e49b-4624-932f-ec3f9688e3da",
    "HEROKU_DYNO_ID": "1vac4117-c29f-4312-521e-ba4d8638c1ac",
    "HEROKU_RELEASE_VERSION": "v42",
    "HEROKU_RELEASE_CREATED_AT": "2026-11-20T10:15:42Z",
    "HEROKU_BUILD_COMMIT": BUILD_COMMIT,
    "HEROKU_SLUG_DESCRIPTION": "Deploy 2c3a0b2",
    "HEROKU_APP_DEFAULT_DOMAIN_NAME": "bahk-test-1a2b3c4d5e6f.herokuapp.com",
}


@pytest.mark.parametrize(
    ("dyno_name", "expected"),
    [
        # Cedar: "<process type>.<number>"
        ("web.1", "web"),
        ("worker.3", "worker"),
        ("run.1234", "run"),
        ("release.9768", "release"),
        ("scheduler.4521", "scheduler"),
        ("api-v2.1", "api-v2"),
        ("slow_worker.12", "slow_worker"),
        # Fir: "<process type>-<replica set>-<pod>", like a Kubernetes pod
        ("web-12a34b56d-e78f9", "web"),
        ("worker-7c9d8e6f5-abcde", "worker"),
        ("mail-sender-5f6d7c8b9-q2w3e", "mail-sender"),
        # Anything else is kept whole rather than guessed at
        ("web", "web"),
        ("web.", "web."),
        ("web-1", "web-1"),
        ("my-laptop", "my-laptop"),
    ],
)
def test_process_type_is_read_from_cedar_and_fir_dyno_names(dyno_name, expected):
    assert process_type(dyno_name) == expected


def test_dyno_metadata_is_read_when_runtime_dyno_metadata_is_on():
    dyno = read_dyno({"DYNO": "worker.2", **METADATA})

    assert dyno == Dyno(
        name="worker.2",
        process_type="worker",
        app_name="bahk-test",
        app_id="9daa2797-e49b-4624-932f-ec3f9688e3da",
        dyno_id="1vac4117-c29f-4312-521e-ba4d8638c1ac",
        release_version="v42",
        release_created_at="2026-11-20T10:15:42Z",
        commit=BUILD_COMMIT,
        slug_description="Deploy 2c3a0b2",
        default_domain="bahk-test-1a2b3c4d5e6f.herokuapp.com",
        on_heroku=True,
    )
    assert dyno.has_metadata


@pytest.mark.parametrize(
    "environ",
    [
        {},
        {"DYNO": ""},
        {"DYNO": "   "},
        {"DYNO": "", "HEROKU_APP_NAME": "", "HEROKU_RELEASE_VERSION": ""},
    ],
    ids=["absent", "empty", "blank", "all-empty"],
)
def test_absent_or_empty_dyno_is_not_heroku_and_has_no_metadata(environ):
    dyno = read_dyno(environ)

    assert dyno.name == ""
    assert dyno.process_type == ""
    assert not dyno.on_heroku
    assert not dyno.has_metadata


def test_dyno_without_the_metadata_feature_still_knows_its_name():
    dyno = read_dyno({"DYNO": "web.1"})

    assert (dyno.name, dyno.process_type, dyno.on_heroku) == ("web.1", "web", True)
    assert not dyno.has_metadata
    assert dyno.commit == ""


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"HEROKU_BUILD_COMMIT": BUILD_COMMIT, "HEROKU_SLUG_COMMIT": SLUG_COMMIT}, BUILD_COMMIT),
        ({"HEROKU_SLUG_COMMIT": SLUG_COMMIT}, SLUG_COMMIT),
        ({"HEROKU_BUILD_COMMIT": "", "HEROKU_SLUG_COMMIT": SLUG_COMMIT}, SLUG_COMMIT),
        ({"HEROKU_BUILD_COMMIT": f" {BUILD_COMMIT}\n"}, BUILD_COMMIT),
        ({}, ""),
    ],
    ids=["build-over-slug", "slug-only", "empty-build", "whitespace-trimmed", "neither"],
)
def test_build_commit_is_preferred_over_the_deprecated_slug_commit(environ, expected):
    assert read_dyno({"DYNO": "web.1", **environ}).commit == expected


@pytest.mark.parametrize(
    ("environ", "on_heroku"),
    [
        ({"DYNO": "web.1"}, True),
        ({"DYNO": "web-12a34b56d-e78f9"}, True),
        ({"DYNO": "web.1", "CI": "true"}, False),  # Heroku CI runs tests on dynos
        ({"DYNO": "web.1", "CI": ""}, False),
        ({"DYNO": "web.1", "LOCAL_DYNO": "1"}, False),  # bin/dev names its processes like dynos
        ({"CI": "true"}, False),
        ({}, False),
    ],
    ids=["cedar", "fir", "heroku-ci", "ci-empty", "bin-dev", "ci-only", "nothing"],
)
def test_only_a_real_dyno_counts_as_heroku(environ, on_heroku):
    assert read_dyno(environ).on_heroku is on_heroku
