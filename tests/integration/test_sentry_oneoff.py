"""Sentry from one-off dynos (heroku run) and from logging; and when Sentry is off."""

import pytest

from tests.support.calls import send
from tests.support.processes import heroku_env, migrate, run_command
from tests.support.sentry_sink import settle, tags_of
from tests.support.staff import debug_action, session_cookie

DSN_KEY = "5f0e4a1b2c3d4e5f6a7b8c9d0e1f2a3b"  # the public key in SentrySink.dsn


@pytest.fixture
def database_url(database):
    """The test's SQLite database, migrated; each test picks its dyno and its Sentry variables."""
    url = f"sqlite:///{database}"
    migrate(heroku_env("release.1", DATABASE_URL=url))
    return url


def sentry_check(env):
    return run_command(["python", "manage.py", "sentry_check"], env, timeout=60)


def test_sentry_check_from_a_one_off_dyno_sends_events_tagged_run(database_url, sentry_sink):
    result = sentry_check(heroku_env("run.1234", DATABASE_URL=database_url, SENTRY_DSN=sentry_sink.dsn))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "delivered:   yes" in result.stdout
    assert "dyno=run.1234" in result.stdout
    assert DSN_KEY not in result.stdout + result.stderr
    events = sentry_sink.wait_for(lambda s: len(s.events()) >= 2 and s.events(), what="two test events")
    for event in events:
        assert tags_of(event)["dyno_type"] == "run"
        assert tags_of(event)["dyno"] == "run.1234"
        assert event["server_name"] == "run.1234"
    assert {event["event_id"] for event in events} <= set(result.stdout.replace(",", " ").split())


def test_a_one_off_commands_arguments_never_leave_the_dyno(database_url, sentry_sink):
    # Heroku expands config vars in a command line before the dyno runs it: `heroku run python manage.py
    # shell -c "... $REDIS_URL ..."` or a Scheduler job's arguments can hold a password by value alone.
    value = "expanded-config-value-8c41f"
    code = f"import sentry_sdk; sentry_sdk.capture_message('one-off {{0}}'.format(len('{value}'))); sentry_sdk.flush()"
    result = run_command(
        ["python", "manage.py", "shell", "-c", code],
        heroku_env("run.7", DATABASE_URL=database_url, SENTRY_DSN=sentry_sink.dsn),
        timeout=60,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    sentry_sink.wait_for(lambda s: s.events(), what="the one-off's event")
    assert value.encode() not in sentry_sink.raw()


def test_sentry_check_waits_for_a_slow_sentry(database_url, sentry_sink):
    """Each envelope answered after half a second: delivered, and said so (the SDK's flush callback
    fires after 0.1 s of waiting, so it cannot be what decides)."""
    sentry_sink.set_mode("slow")
    result = sentry_check(heroku_env("run.5", DATABASE_URL=database_url, SENTRY_DSN=sentry_sink.dsn))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "delivered:   yes" in result.stdout
    assert len(sentry_sink.events()) == 2


@pytest.mark.parametrize("mode", ["503", "blackhole"])
def test_sentry_check_fails_when_sentry_does_not_answer(database_url, sentry_sink, mode):
    sentry_sink.set_mode(mode)
    result = sentry_check(heroku_env("run.1", DATABASE_URL=database_url, SENTRY_DSN=sentry_sink.dsn))
    assert result.returncode != 0
    assert "Events were not delivered" in result.stderr
    assert "delivered:   yes" not in result.stdout


def test_logger_error_in_a_view_becomes_an_event(database_url, sentry_sink, start_web):
    env = heroku_env("web.1", DATABASE_URL=database_url, SENTRY_DSN=sentry_sink.dsn)
    web, base_url = start_web(env)
    with web:
        cookie = session_cookie(env)
        assert send(base_url, debug_action(cookie, "log")) == 200
        event = sentry_sink.wait_for(
            lambda s: next((e for e in s.events() if "logged on purpose" in str(e.get("logentry"))), None),
            what="the logged error",
        )
    assert event["level"] == "error"
    assert tags_of(event)["dyno"] == "web.1"
    # The same record as a Sentry log, with the dyno as an attribute to filter by.
    record = sentry_sink.wait_for(
        lambda s: next((r for r in s.logs() if "logged on purpose" in r.get("body", "")), None), what="the log"
    )
    assert record["attributes"]["dyno"]["value"] == "web.1"
    assert record["attributes"]["heroku_release"]["value"] == "v42"


def test_no_dsn_means_the_sdk_never_starts(database_url):
    probe = (
        "import sentry_sdk, sentry_heroku; print(sentry_heroku.current().enabled, sentry_sdk.get_client().is_active())"
    )
    result = run_command(["python", "manage.py", "shell", "-c", probe], heroku_env("run.2", DATABASE_URL=database_url))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["False", "False"]


def test_force_disable_wins_over_a_dsn(database_url, sentry_sink):
    env = heroku_env("run.3", DATABASE_URL=database_url, SENTRY_DSN=sentry_sink.dsn, SENTRY_FORCE_DISABLE="1")
    result = sentry_check(env)
    assert result.returncode != 0
    assert "SENTRY_FORCE_DISABLE" in result.stderr
    settle()
    assert sentry_sink.requests == 0


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SENTRY_DSN", "not-a-dsn"),
        ("SENTRY_TRACES_SAMPLE_RATE", "1.5"),
        ("SENTRY_SAMPLE_RATE", "often"),
        ("SENTRY_PROFILES_SAMPLE_RATE", "-1"),
        ("SENTRY_REQUEST_BODIES", "huge"),
        ("SENTRY_MAX_BREADCRUMBS", "many"),
        ("SENTRY_TRACES_KEEP_SLOW_MS", "slow"),
    ],
)
def test_a_bad_sentry_value_stops_the_release_phase_naming_the_variable(database_url, variable, value):
    env = heroku_env("release.9", DATABASE_URL=database_url, **{variable: value})
    result = run_command(["bin/release"], env)
    assert result.returncode == 1
    assert variable in result.stderr
    assert "Traceback" not in result.stderr


def test_a_one_off_command_stopped_with_sigterm_exits_normally_and_sends_its_events(
    database_url, sentry_sink, tmp_path
):
    import signal

    from tests.support.processes import Process

    script = (
        "import sentry_sdk, time; sentry_sdk.capture_message('one-off still running'); "
        "print('ready', flush=True); time.sleep(60)"
    )
    env = heroku_env("run.42", DATABASE_URL=database_url, SENTRY_DSN=sentry_sink.dsn)
    process = Process(f'python manage.py shell -c "{script}"', env, tmp_path / "run.log")
    sentry_sink.wait_for(lambda s: "ready" in process.output(), what="the command to start")
    process.signal(signal.SIGTERM)
    # 143 = 128 + SIGTERM through sys.exit (atexit runs, Sentry flushes); killed by the signal would be -15.
    assert process.wait(timeout=30) == 143
    process.stop()
    event = sentry_sink.wait_for(lambda s: next(iter(s.events()), None), what="the one-off's event")
    assert tags_of(event)["dyno"] == "run.42"


@pytest.mark.parametrize(
    ("values", "drain", "watchdog"),
    [
        ({}, "log drain:   off (HEROKU_DRAIN_SECRET", "watchdog:    requests running over 25 s are reported"),
        ({"HEROKU_DRAIN_SECRET": "9f86d081884c7d659a2feaa0c55ad015", "SENTRY_SLOW_REQUEST_SECONDS": "0"},
         "log drain:   on, POST /heroku/logs/: platform errors, and failed scheduler.N runs as error check-ins",
         "watchdog:    off"),
    ],
    ids=["defaults", "drain-on-watchdog-off"],
)  # fmt: skip
def test_sentry_check_says_whether_the_log_drain_and_the_watchdog_are_on(
    database_url, sentry_sink, values, drain, watchdog
):
    result = sentry_check(heroku_env("run.1", DATABASE_URL=database_url, SENTRY_DSN=sentry_sink.dsn, **values))
    assert result.returncode == 0, result.stdout + result.stderr
    assert drain in result.stdout
    assert watchdog in result.stdout
    assert "9f86d081884c7d659a2feaa0c55ad015" not in result.stdout
