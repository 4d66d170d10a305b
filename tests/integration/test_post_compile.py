"""bin/post_compile, run the way Heroku's buildpack runs it, gives a dyno without dyno metadata its release.

The buildpack builds in a folder of its own, from the commit's files (no
.git), with SOURCE_VERSION set, and runs bin/post_compile at the end. The
slug's processes then run from that folder with no SOURCE_VERSION.
"""

import pytest

from tests.support.processes import clean_env, procfile_command, run_command
from tests.support.sentry_api import SentryAPI
from tests.support.sentry_sink import tags_of
from tests.support.slug import copy_of_the_build

COMMIT = "8d1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b"
TOKEN = "sntrys_test_only_51c0ab"


@pytest.fixture
def build_folder(tmp_path):
    return copy_of_the_build(tmp_path / "build")


def post_compile(folder, **values):
    return run_command(["bash", "bin/post_compile"], clean_env(**values), cwd=folder)


def dyno_without_metadata(dyno: str, folder, **values) -> dict[str, str]:
    """DYNO and the add-ons, as before `heroku labs:enable runtime-dyno-metadata`; no SOURCE_VERSION at run time."""
    return clean_env(
        DYNO=dyno,
        DJANGO_SECRET_KEY="test-only-post-compile-secret-key-0123456789abcdefghij",
        DATABASE_URL=f"sqlite:///{folder / 'db.sqlite3'}",
        **values,
    )


def test_post_compile_records_the_commit_and_events_carry_it_as_their_release(build_folder, redis_url, sentry_sink):
    compiled = post_compile(build_folder, SOURCE_VERSION=COMMIT)
    assert compiled.returncode == 0, compiled.stderr

    env = dyno_without_metadata("run.1", build_folder, REDIS_URL=redis_url, SENTRY_DSN=sentry_sink.dsn)
    checked = run_command(["python", "manage.py", "sentry_check"], env, cwd=build_folder)

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"release:     {COMMIT}" in checked.stdout
    events = sentry_sink.wait_for(lambda s: len(s.events()) >= 2 and s.events(), what="sentry_check's events")
    assert {event["release"] for event in events} == {COMMIT}
    assert {tags_of(event)["dyno"] for event in events} == {"run.1"}


def test_the_release_phase_registers_the_recorded_commit(build_folder, redis_url):
    assert post_compile(build_folder, SOURCE_VERSION=COMMIT).returncode == 0
    api = SentryAPI(token=TOKEN, org="acme", projects=["web"]).start()
    try:
        env = dyno_without_metadata(
            "release.3",
            build_folder,
            REDIS_URL=redis_url,
            SENTRY_AUTH_TOKEN=TOKEN,
            SENTRY_ORG="acme",
            SENTRY_PROJECT="web",
            SENTRY_URL=api.url,
        )
        released = run_command(["bash", "-c", procfile_command("release")], env, cwd=build_folder, timeout=180)
    finally:
        api.stop()

    assert released.returncode == 0, released.stdout + released.stderr
    assert f"sentry: release {COMMIT} created in acme/web" in released.stdout
    assert COMMIT in api.releases


def test_a_build_without_source_version_records_nothing(build_folder):
    compiled = post_compile(build_folder)

    assert compiled.returncode == 0
    assert not (build_folder / ".build-commit").exists()
