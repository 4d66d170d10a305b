"""The release phase registers the Sentry release and deploy, and never blocks a deploy because Sentry is down.

The command runs as a real process against tests/support/sentry_api.py, a loopback
stand-in for Sentry's API; bin/release runs against a real PostgreSQL.
"""

import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from sentry_heroku.config import read_release_name
from sentry_heroku.release.name import git_commit
from tests.support.processes import DYNO_ADDONS, HOST, ROOT, VENV_BIN, clean_env, heroku_env, run_command
from tests.support.sentry_api import BLACK_HOLE, Scripted, SentryAPI
from tests.support.sentry_sink import tags_of
from tests.support.servers import free_port
from tests.support.slug import copy_of_the_build

TOKEN = "sntrys_test_only_7f3c9a1e5b2d4c6f8a0b"
COMMIT = "2c3a0b24069af49b3de35b8e8c26765c1dba9ff0"
NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


@pytest.fixture
def api():
    server = SentryAPI(token=TOKEN, org="acme", projects=["web"], repositories=["acme/shop"]).start()
    yield server
    server.stop()


def registration_env(api_url: str, dyno: str = "release.42", **values: str) -> dict[str, str]:
    registration = {
        "SENTRY_AUTH_TOKEN": TOKEN,
        "SENTRY_ORG": "acme",
        "SENTRY_PROJECT": "web",
        "SENTRY_URL": api_url,
        "SENTRY_REPOSITORY": "acme/shop",
        "SENTRY_RELEASE_TIMEOUT": "5",
    }
    return heroku_env(dyno, **(registration | values))


def register(env: dict[str, str], cwd: Path = ROOT) -> subprocess.CompletedProcess:
    result = run_command(["python", "manage.py", "register_sentry_release"], env, timeout=90, cwd=cwd)
    assert TOKEN not in result.stdout + result.stderr
    return result


def steps(api: SentryAPI) -> list[tuple[str, str]]:
    return [(request.method, request.path) for request in api.recorded()]


RELEASE_PATH = f"/api/0/organizations/acme/releases/{COMMIT}/"
ALL_STEPS = [
    ("POST", "/api/0/organizations/acme/releases/"),
    ("GET", "/api/0/organizations/acme/repos/?cursor="),
    ("PUT", RELEASE_PATH),
    ("PUT", RELEASE_PATH),
    ("POST", RELEASE_PATH + "deploys/"),
]


# The command against the recording server.


def test_release_commit_and_deploy_are_registered(api):
    result = register(registration_env(api.url))

    assert result.returncode == 0, result.stdout + result.stderr
    assert steps(api) == ALL_STEPS
    assert api.releases[COMMIT]["refs"] == [{"repository": "acme/shop", "commit": COMMIT, "previousCommit": None}]
    assert TIMESTAMP.match(api.releases[COMMIT]["dateReleased"])
    (deploy,) = api.deploys
    assert deploy["environment"] == "production"
    assert deploy["name"] == "v42"
    assert deploy["url"] == f"https://{HOST}"
    assert deploy["dateStarted"] == "2026-11-20T10:15:42Z"  # HEROKU_RELEASE_CREATED_AT
    assert TIMESTAMP.match(deploy["dateFinished"])
    assert result.stdout.splitlines() == [
        f"sentry: release {COMMIT} created in acme/web",
        "sentry: commit 2c3a0b24069a of acme/shop linked; Sentry adds the commits since the previous release",
        f"sentry: release {COMMIT} finalized",
        f"sentry: deploy v42 to production at https://{HOST} recorded",
    ]
    assert result.stderr == ""
    for request in api.recorded():
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        # The app's own name, not the project's: Sentry's audit log shows it.
        assert request.headers["user-agent"] == "sentry-heroku-release-phase"


def test_registering_a_release_that_exists_succeeds(api):
    env = registration_env(api.url)
    first, again = register(env), register(env)

    assert (first.returncode, again.returncode) == (0, 0)
    assert f"sentry: release {COMMIT} already existed in acme/web" in again.stdout
    assert f"sentry: release {COMMIT} finalized" in again.stdout
    assert steps(api) == ALL_STEPS + ALL_STEPS
    assert len(api.deploys) == 2


def test_environment_follows_the_sdks_rule(api):
    register(registration_env(api.url, SENTRY_ENVIRONMENT="staging"))
    register(registration_env(api.url, ENVIRONMENT="qa"))
    register(registration_env(api.url, dyno=""))

    assert [deploy["environment"] for deploy in api.deploys] == ["staging", "qa", "development"]


def test_a_review_apps_release_phase_records_its_deploy_to_review_never_production(api):
    # What Heroku sets on a pipeline's review app; app.json's root env no longer sets SENTRY_ENVIRONMENT.
    result = register(registration_env(api.url, HEROKU_PR_NUMBER="123", HEROKU_BRANCH="fix-map"))

    assert result.returncode == 0, result.stdout + result.stderr
    assert [deploy["environment"] for deploy in api.deploys] == ["review"]
    assert "deploy v42 to review" in result.stdout


def test_a_review_apps_events_are_filed_under_review_with_its_pull_request_and_branch(sentry_sink):
    env = heroku_env("run.1", SENTRY_DSN=sentry_sink.dsn, HEROKU_PR_NUMBER="123", HEROKU_BRANCH="fix-map")

    checked = run_command(["python", "manage.py", "sentry_check"], env)

    assert checked.returncode == 0, checked.stdout + checked.stderr
    events = sentry_sink.wait_for(lambda sink: sink.events(), what="sentry_check's events")
    assert {event["environment"] for event in events} == {"review"}
    assert {(tags_of(event)["heroku_pr"], tags_of(event)["heroku_branch"]) for event in events} == {("123", "fix-map")}


def test_without_a_repository_the_commit_step_says_how_to_link_commits(api):
    env = registration_env(api.url)
    del env["SENTRY_REPOSITORY"]
    result = register(env)

    assert result.returncode == 0
    assert "commits not linked: set SENTRY_REPOSITORY" in result.stdout
    assert [method for method, _ in steps(api)] == ["POST", "PUT", "POST"]


def test_a_repository_sentry_does_not_know_is_named_in_the_warning(api):
    result = register(registration_env(api.url, SENTRY_REPOSITORY="acme/typo"))

    assert result.returncode == 0
    assert "SENTRY_REPOSITORY 'acme/typo' is not a repository Sentry knows in acme (it knows: acme/shop)" in (
        result.stderr
    )


def env_without_metadata(api, **values: str) -> dict[str, str]:
    """A release dyno before `heroku labs:enable runtime-dyno-metadata`: DYNO and the add-ons, no HEROKU_* variables."""
    return bare_env(
        DYNO="release.7", SENTRY_AUTH_TOKEN=TOKEN, SENTRY_ORG="acme", SENTRY_PROJECT="web", SENTRY_URL=api.url, **values
    )


def test_without_dyno_metadata_it_still_registers_and_says_how_to_turn_it_on(api):
    env = env_without_metadata(api, SENTRY_RELEASE="bahk@1.4.0")
    result = register(env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "heroku labs:enable runtime-dyno-metadata" in result.stdout
    assert "sentry: release bahk@1.4.0 created in acme/web" in result.stdout
    (deploy,) = api.deploys
    assert (deploy["environment"], deploy["name"], deploy["url"]) == ("production", None, None)


def test_without_any_release_name_the_warning_says_how_to_get_one(api, tmp_path):
    # A slug built without SOURCE_VERSION: no .git and no .build-commit, whatever this checkout holds (Heroku
    # CI's own build recorded one). GIT_DIR keeps git from finding a checkout above the copy.
    build = copy_of_the_build(tmp_path / "build")
    env = env_without_metadata(api, GIT_DIR=str(tmp_path / "no-git"))
    result = register(env, cwd=build)

    assert result.returncode == 0
    assert "no release name: set SENTRY_RELEASE" in result.stderr
    assert api.recorded() == []


@pytest.mark.parametrize(
    ("unset", "named"),
    [
        (["SENTRY_AUTH_TOKEN"], "set SENTRY_AUTH_TOKEN to"),
        (["SENTRY_ORG", "SENTRY_PROJECT"], "set SENTRY_ORG, SENTRY_PROJECT to"),
        (["SENTRY_AUTH_TOKEN", "SENTRY_ORG", "SENTRY_PROJECT"], "set SENTRY_AUTH_TOKEN, SENTRY_ORG, SENTRY_PROJECT to"),
    ],
)
def test_missing_settings_skip_registration_in_one_line(api, unset, named):
    env = registration_env(api.url, SENTRY_RELEASE_STRICT="1")
    for name in unset:
        del env[name]
    result = register(env)

    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        f"sentry: release registration skipped; {named} register releases and deploys"
    ]
    assert api.recorded() == []


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (
            {"SENTRY_AUTH_TOKEN": "sntrys_revoked"},
            ["Sentry did not accept SENTRY_AUTH_TOKEN (401 Unauthorized)", "org:ci", "project:releases"],
        ),
        (
            {"SENTRY_ORG": "acne"},
            ["no organization 'acne' or project 'web' (404 Not Found)", "SENTRY_ORG and SENTRY_PROJECT are the slugs"],
        ),
        (
            {"SENTRY_PROJECT": "wbe"},
            ['Sentry refused the request (400): {"projects": ["Invalid project ids or slugs"]}'],
        ),
    ],
    ids=["401", "404", "400"],
)
def test_an_answer_that_needs_a_fix_says_what_to_fix_and_the_deploy_goes_on(api, change, says):
    result = register(registration_env(api.url, **change))

    assert result.returncode == 0
    assert result.stdout == ""
    (warning,) = result.stderr.splitlines()
    assert warning.startswith("sentry: WARNING release not registered: creating the release: ")
    for words in says:
        assert words in warning
    assert warning.endswith("The deploy goes on; set SENTRY_RELEASE_STRICT=1 to fail it instead.")
    assert len(api.recorded()) == 1  # not retried: only a fix helps


def test_rate_limited_registration_waits_as_long_as_sentry_asks(api):
    api.answer_next(Scripted(429, (("Retry-After", "1"),), {"detail": "Slow down"}))
    result = register(registration_env(api.url))

    assert result.returncode == 0, result.stdout + result.stderr
    # Without Retry-After the first wait would be 0.5 s.
    assert result.stdout.splitlines()[0] == "sentry: creating the release: Sentry answered 429; retrying in 1 s"
    assert steps(api) == [ALL_STEPS[0], *ALL_STEPS]
    assert len(api.deploys) == 1


def test_unavailable_sentry_is_retried_with_backoff(api):
    api.answer_next(Scripted(503), Scripted(503))
    result = register(registration_env(api.url))

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[:2] == [
        "sentry: creating the release: Sentry answered 503; retrying in 0.5 s",
        "sentry: creating the release: Sentry answered 503; retrying in 1 s",
    ]
    assert steps(api) == [ALL_STEPS[0], ALL_STEPS[0], *ALL_STEPS]
    assert len(api.deploys) == 1
    assert result.stderr == ""


def test_a_server_that_never_answers_cannot_hold_the_release_phase(api):
    api.answer_next(*[BLACK_HOLE] * 10)
    result = register(registration_env(api.url, SENTRY_RELEASE_TIMEOUT="2"))

    assert result.returncode == 0
    assert "sentry: WARNING release not registered: creating the release: no answer within" in result.stderr
    assert "SENTRY_RELEASE_TIMEOUT (2 s)" in result.stderr
    assert api.deploys == []


def test_a_sentry_that_refuses_connections_is_retried_then_given_up(api):
    result = register(registration_env(f"http://127.0.0.1:{free_port()}", SENTRY_RELEASE_TIMEOUT="2"))

    assert result.returncode == 0
    assert "sentry: creating the release: connection refused; retrying in 0.5 s" in result.stdout
    (warning,) = result.stderr.splitlines()
    assert "connection refused; gave up within SENTRY_RELEASE_TIMEOUT (2 s)" in warning


@pytest.mark.parametrize(
    "change",
    [
        {"SENTRY_AUTH_TOKEN": "sntrys_revoked"},
        {"SENTRY_URL": "http://127.0.0.1:{free}", "SENTRY_RELEASE_TIMEOUT": "1"},
    ],
    ids=["401", "connection refused"],
)
def test_strict_mode_fails_the_release_phase_on_a_registration_failure(api, change):
    change = {name: value.format(free=free_port()) for name, value in change.items()}
    result = register(registration_env(api.url, SENTRY_RELEASE_STRICT="1", **change))

    assert result.returncode == 1
    assert "CommandError: release not registered in Sentry: creating the release: " in result.stderr
    assert "WARNING" not in result.stderr


def test_the_token_never_appears_even_when_sentry_echoes_it(api):
    api.answer_next(Scripted(400, body={"detail": f"bad token {TOKEN}"}))
    result = register(registration_env(api.url))  # register() asserts the token is absent

    assert "bad token [token]" in result.stderr


def bare_env(**values: str) -> dict[str, str]:
    """A dyno with its add-ons and no dyno metadata."""
    return clean_env(
        DJANGO_SECRET_KEY="test-only-secret-key-long-enough-for-checks-0123456789", **(DYNO_ADDONS | values)
    )


@pytest.mark.parametrize(
    "names",
    [
        {"SENTRY_RELEASE": "bahk@2.0.1", "HEROKU_BUILD_COMMIT": COMMIT, "SOURCE_VERSION": "a" * 40},
        {"HEROKU_BUILD_COMMIT": COMMIT, "HEROKU_SLUG_COMMIT": "b" * 40, "SOURCE_VERSION": "a" * 40},
        {"HEROKU_SLUG_COMMIT": "b" * 40, "SOURCE_VERSION": "a" * 40},
        {"SOURCE_VERSION": "a" * 40},
        {},  # a laptop: this checkout's HEAD
    ],
    ids=["SENTRY_RELEASE", "HEROKU_BUILD_COMMIT", "HEROKU_SLUG_COMMIT", "SOURCE_VERSION", "git"],
)
def test_the_registered_release_is_the_one_the_sdk_puts_on_events(api, sentry_sink, names):
    env = bare_env(
        DYNO="release.42",
        SENTRY_AUTH_TOKEN=TOKEN,
        SENTRY_ORG="acme",
        SENTRY_PROJECT="web",
        SENTRY_URL=api.url,
        SENTRY_DSN=sentry_sink.dsn,
        **names,
    )
    if not names and not (ROOT / ".git").exists():
        pytest.skip("a build without .git (Heroku CI's) has no checkout to name a release by: test_post_compile.py")
    expected = read_release_name(env, recorded=lambda: "")
    assert expected
    if not names:
        assert expected == git_commit()

    registered = register(env)
    checked = run_command(["python", "manage.py", "sentry_check"], env)

    assert registered.returncode == 0, registered.stdout + registered.stderr
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert api.recorded()[0].body["version"] == expected
    events = sentry_sink.wait_for(lambda sink: sink.events(), what="sentry_check's events")
    assert {event["release"] for event in events} == {expected}


# The same requests as sentry-cli.


def normalise(value):
    """Timestamps differ from run to run; everything else must match."""
    if isinstance(value, dict):
        return {key: normalise(item) for key, item in value.items()}
    if isinstance(value, list):
        return [normalise(item) for item in value]
    if isinstance(value, str) and TIMESTAMP.match(value):
        return "<timestamp>"
    return value


def exchange(api: SentryAPI) -> list[tuple]:
    return [
        (request.method, request.path, normalise(request.body), request.headers.get("content-type"))
        for request in api.recorded()
    ]


def test_the_requests_are_the_ones_sentry_cli_sends(tmp_path):
    version = "bahk@2.0.1+build.7"
    cli_api = SentryAPI(token=TOKEN).start()
    our_api = SentryAPI(token=TOKEN).start()
    try:
        dead_proxy = f"http://127.0.0.1:{free_port()}"
        cli_env = clean_env(
            HOME=str(tmp_path),  # no ~/.sentryclirc
            SENTRY_URL=cli_api.url,
            SENTRY_AUTH_TOKEN=TOKEN,
            SENTRY_ORG="acme",
            SENTRY_PROJECT="web",
            SENTRY_DISABLE_UPDATE_CHECK="1",
            # Anything but loopback would go to a proxy that is not there.
            HTTP_PROXY=dead_proxy,
            HTTPS_PROXY=dead_proxy,
            NO_PROXY="127.0.0.1",
        )
        sentry_cli = str(VENV_BIN / "sentry-cli")
        for command in [
            ["releases", "new", version],
            ["releases", "set-commits", version, "--commit", f"acme/shop@{COMMIT}"],
            ["releases", "finalize", version],
            [
                *("deploys", "new", "--release", version, "-e", "production", "-n", "v42", "-u", f"https://{HOST}"),
                *("--started", "1795169742", "--finished", "1795169800"),
            ],
        ]:
            result = run_command([sentry_cli, *command], cli_env)
            assert result.returncode == 0, result.stdout + result.stderr

        ours = register(registration_env(our_api.url, SENTRY_RELEASE=version))
        assert ours.returncode == 0, ours.stdout + ours.stderr

        expected = exchange(cli_api)
        # set-commits may run on its own, so sentry-cli first makes sure the release exists
        # (a POST with only version and projects); our command created it one step earlier.
        ensure = ("POST", "/api/0/organizations/acme/releases/", {"version": version, "projects": ["web"]})
        assert [request[:3] for request in expected].count(ensure) == 1
        expected = [request for request in expected if request[:3] != ensure]
        assert exchange(our_api) == expected
        assert [request.headers["authorization"] for request in our_api.recorded()] == [
            request.headers["authorization"] for request in cli_api.recorded() if request.body != ensure[2]
        ]
    finally:
        cli_api.stop()
        our_api.stop()


# bin/release, end to end.


def release_phase(env: dict[str, str]) -> subprocess.CompletedProcess:
    result = run_command(["bin/release"], env, timeout=180)
    assert TOKEN not in result.stdout + result.stderr
    return result


def has_table(heroku_database_url: str, table: str) -> bool:
    with psycopg.connect(heroku_database_url) as connection:
        return connection.execute("SELECT to_regclass(%s)", [table]).fetchone()[0] is not None


def test_release_phase_migrates_then_registers_the_release(api, heroku_database_url):
    result = release_phase(registration_env(api.url, DATABASE_URL=heroku_database_url))

    assert result.returncode == 0, result.stdout + result.stderr
    assert has_table(heroku_database_url, "hub_participant")
    lines = result.stdout.splitlines()
    assert lines[0] == "release: applying migrations"
    assert lines[-1] == f"sentry: deploy v42 to production at https://{HOST} recorded"
    assert steps(api) == ALL_STEPS


def test_release_phase_goes_on_when_sentry_is_down(heroku_database_url):
    result = release_phase(
        registration_env(
            f"http://127.0.0.1:{free_port()}", DATABASE_URL=heroku_database_url, SENTRY_RELEASE_TIMEOUT="1"
        )
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert has_table(heroku_database_url, "hub_participant")
    assert "sentry: WARNING release not registered" in result.stderr


def test_release_phase_fails_when_sentry_is_down_in_strict_mode(heroku_database_url):
    result = release_phase(
        registration_env(
            f"http://127.0.0.1:{free_port()}",
            DATABASE_URL=heroku_database_url,
            SENTRY_RELEASE_TIMEOUT="1",
            SENTRY_RELEASE_STRICT="1",
        )
    )

    assert result.returncode == 1
    assert "CommandError: release not registered in Sentry" in result.stderr


def test_failing_migration_fails_the_release_and_reaches_sentry_tagged_with_the_release_dyno(
    api, heroku_database_url, sentry_sink
):
    # A table the first migration wants to create is already there.
    with psycopg.connect(heroku_database_url, autocommit=True) as connection:
        connection.execute("CREATE TABLE hub_participant (id integer)")
    result = release_phase(registration_env(api.url, DATABASE_URL=heroku_database_url, SENTRY_DSN=sentry_sink.dsn))

    assert result.returncode == 1
    assert "release: migrations failed; this release was not deployed" in result.stderr
    assert api.recorded() == []  # no release is registered for a deploy that did not happen
    event = sentry_sink.wait_for(lambda sink: next(iter(sink.events()), None), what="the migration's error event")
    tags = tags_of(event)
    assert tags["dyno"] == "release.42"
    assert tags["dyno_type"] == "release"
    assert event["release"] == COMMIT
    assert "hub_participant" in str(event["exception"])
