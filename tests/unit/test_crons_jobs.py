"""Slugs from a command's shape, and Heroku Scheduler's frequencies as crontabs."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from sentry_heroku.crons._jobs import declared_jobs, manage_py_command
from sentry_heroku.crons._schedule import crontab
from sentry_heroku.crons._slug import job_slug


@pytest.mark.parametrize(
    ("command_line", "slug"),
    [
        ("python manage.py clearsessions", "clearsessions"),
        ("python manage.py seed_participants --count 50", "seed-participants-count"),
        ("python manage.py seed_participants --count=50", "seed-participants-count"),
        ("python manage.py seed_participants --if-empty --count 5", "seed-participants-count-if-empty"),
        ("python manage.py seed_participants --count 5 --if-empty", "seed-participants-count-if-empty"),
        # Values and positional arguments never show, whatever Heroku expanded them to.
        ("python manage.py send_report --token=sk_live_abc123 alice@example.com", "send-report-token"),
        ("python manage.py import_feed https://user:pw@feed.example/x", "import-feed"),
        ("python manage.py rebuild -v 2 -- --not-an-option", "rebuild-v"),
        ("python manage.py adjust -5", "adjust"),
        ("python manage.py Weird__Name --A_B", "weird-name-a-b"),
        ("python manage.py " + "x" * 80, "x" * 50),
    ],
)
def test_slug_is_the_command_and_its_option_names(command_line, slug):
    assert job_slug(*manage_py_command(command_line)) == slug


@pytest.mark.parametrize(
    ("command_line", "found"),
    [
        ("python manage.py clearsessions", ("clearsessions", [])),
        ("python /app/manage.py check --deploy", ("check", ["--deploy"])),
        ("bin/cleanup", None),
        ("python manage.py", None),
        ("python manage.py 'unclosed", None),
    ],
)
def test_the_management_command_in_a_scheduler_command_line(command_line, found):
    assert manage_py_command(command_line) == found


@pytest.mark.parametrize(
    ("schedule", "cron"),
    [
        ("every 10 minutes", "*/10 * * * *"),
        ("Every 10 minutes", "*/10 * * * *"),
        ("hourly at :00", "0 * * * *"),
        ("every hour at :30", "30 * * * *"),
        ("daily at 03:00", "0 3 * * *"),
        ("every day at 23:30 UTC", "30 23 * * *"),
        ("daily  at 00:05", "5 0 * * *"),
    ],
)
def test_scheduler_frequency_as_crontab(schedule, cron):
    assert crontab(schedule, where="JOBS[0]") == cron


@pytest.mark.parametrize(
    "schedule", ["every 5 minutes", "hourly at :60", "daily at 24:00", "daily at 3:00", "weekly", "*/10 * * * *", 10]
)
def test_schedule_that_scheduler_cannot_run_is_refused_naming_the_entry(schedule):
    with pytest.raises(ImproperlyConfigured, match=r"JOBS\[0\]"):
        crontab(schedule, where="JOBS[0]")


def test_declared_job_gives_its_monitor_config():
    jobs = declared_jobs(
        [{"command": "python manage.py clearsessions", "schedule": "daily at 03:00", "max_runtime": 10}]
    )
    assert jobs["clearsessions"].monitor_config() == {
        "schedule": {"type": "crontab", "value": "0 3 * * *"},
        "timezone": "UTC",
        "checkin_margin": 5,
        "max_runtime": 10,
    }


@pytest.mark.parametrize(
    ("declaration", "message"),
    [
        ({"command": "x"}, "must be a list"),
        (["python manage.py clearsessions"], r"\[0\] must be a dict"),
        ([{"command": "bin/cleanup", "schedule": "daily at 03:00"}], "must run a management command"),
        ([{"command": "python manage.py a", "schedule": "daily at 03:00", "max_runtime": 0}], "max_runtime"),
        ([{"command": "python manage.py a", "schedule": "daily at 03:00", "max_runtime": "10"}], "max_runtime"),
        ([{"command": "python manage.py a", "schedule": "daily at 03:00", "every": 1}], "unknown key"),
        (
            [
                {"command": "python manage.py a --n 1", "schedule": "daily at 03:00"},
                {"command": "python manage.py a --n 2", "schedule": "daily at 04:00"},
            ],
            r"\[1\].*same shape",
        ),
    ],
)
def test_bad_declaration_names_the_setting_and_the_fix(declaration, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        declared_jobs(declaration)
