"""A management command on a scheduler.N dyno checks in to Sentry Crons, with no code in the command."""

import signal

from tests.support.processes import Process, heroku_env, run_command
from tests.support.sentry_sink import settle


def scheduler_env(sentry_sink, **values):
    return heroku_env("scheduler.1", SENTRY_DSN=sentry_sink.dsn, SENTRY_RELEASE="crons-test", **values)


def statuses(check_ins):
    return [check_in["status"] for check_in in check_ins]


def test_declared_job_that_succeeds_sends_in_progress_then_ok_with_its_schedule(sentry_sink):
    result = run_command(["python", "manage.py", "clearsessions"], scheduler_env(sentry_sink))
    assert result.returncode == 0, result.stderr

    check_ins = sentry_sink.wait_for(lambda sink: len(sink.checkins("clearsessions")) >= 2 and sink.checkins())
    assert statuses(check_ins) == ["in_progress", "ok"]
    started, finished = check_ins
    assert started["check_in_id"] == finished["check_in_id"]
    assert finished["duration"] >= 0
    for check_in in check_ins:
        assert check_in["release"] == "crons-test"
        assert check_in["environment"] == "production"
        assert len(check_in["contexts"]["trace"]["trace_id"]) == 32
        assert check_in["monitor_config"] == {
            "schedule": {"type": "crontab", "value": "0 3 * * *"},
            "timezone": "UTC",
            "checkin_margin": 5,
            "max_runtime": 10,
        }


def test_undeclared_job_that_fails_sends_error_without_a_schedule_and_no_argument_values(sentry_sink, redis_url):
    # Heroku expands config vars in a job's command: the value must never reach Sentry.
    result = run_command(
        ["python", "manage.py", "migrate", "--database=default", "app_secret_8c1f2e"], scheduler_env(sentry_sink)
    )
    assert result.returncode == 1

    check_ins = sentry_sink.wait_for(lambda sink: len(sink.checkins()) >= 2 and sink.checkins())
    assert [check_in["monitor_slug"] for check_in in check_ins] == ["migrate-database"] * 2
    assert statuses(check_ins) == ["in_progress", "error"]
    assert all("monitor_config" not in check_in for check_in in check_ins)
    assert b"app_secret_8c1f2e" not in sentry_sink.raw()

    # The next `heroku run python manage.py sentry_check` lists it beside the declared ones.
    check = run_command(["python", "manage.py", "sentry_check"], heroku_env("run.1", SENTRY_DSN=sentry_sink.dsn))
    assert check.returncode == 0, check.stdout + check.stderr
    assert "undeclared:  migrate-database  ran on a scheduler dyno" in check.stdout
    assert "monitor:     clearsessions  Scheduler 'daily at 03:00' (0 3 * * * UTC), margin 5 min" in check.stdout


def test_job_killed_mid_run_leaves_in_progress_with_max_runtime(sentry_sink, tmp_path):
    env = scheduler_env(sentry_sink, DJANGO_SETTINGS_MODULE="tests.support.crons_settings")
    command = "python manage.py shell --command 'import time; time.sleep(600)'"
    with Process(command, env, tmp_path / "job.log") as job:
        sentry_sink.wait_for(lambda sink: sink.checkins("shell-command"), what="the in_progress check-in")
        job.signal(signal.SIGKILL)  # what R15 and an exceeded quota do: no handler runs
        assert job.wait(10) == -signal.SIGKILL
    settle(1)
    (check_in,) = sentry_sink.checkins("shell-command")
    assert check_in["status"] == "in_progress"
    assert check_in["monitor_config"]["max_runtime"] == 7
    assert check_in["monitor_config"]["schedule"] == {"type": "crontab", "value": "15 * * * *"}


def test_job_on_a_one_off_dyno_sends_no_check_in(sentry_sink):
    result = run_command(["python", "manage.py", "clearsessions"], heroku_env("run.1", SENTRY_DSN=sentry_sink.dsn))
    assert result.returncode == 0, result.stderr
    settle(1)
    assert sentry_sink.checkins() == []


def test_job_that_raises_sends_error_on_the_trace_of_its_error_event(sentry_sink):
    command = ["python", "manage.py", "shell", "--command", "raise RuntimeError('the nightly job broke')"]
    result = run_command(command, scheduler_env(sentry_sink))
    assert result.returncode == 1

    event = sentry_sink.wait_for(lambda sink: sink.events() and sink.events()[0], what="the job's error")
    check_ins = sentry_sink.wait_for(lambda sink: len(sink.checkins()) >= 2 and sink.checkins())
    assert statuses(check_ins) == ["in_progress", "error"]
    trace_id = event["contexts"]["trace"]["trace_id"]
    assert {check_in["contexts"]["trace"]["trace_id"] for check_in in check_ins} == {trace_id}


def test_job_stopped_with_sigterm_sends_error(sentry_sink, tmp_path):
    command = "python manage.py shell --command 'import time; time.sleep(600)'"
    with Process(command, scheduler_env(sentry_sink), tmp_path / "job.log") as job:
        sentry_sink.wait_for(lambda sink: sink.checkins("shell-command"), what="the in_progress check-in")
        job.signal(signal.SIGTERM)  # heroku ps:stop
        assert job.wait(10) == 128 + signal.SIGTERM
    check_ins = sentry_sink.wait_for(lambda sink: len(sink.checkins()) >= 2 and sink.checkins())
    assert statuses(check_ins) == ["in_progress", "error"]
