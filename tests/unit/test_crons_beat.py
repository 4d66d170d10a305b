"""Beat's check-ins get a margin and a max_runtime; the app's own check-ins keep theirs."""

import pytest
from celery.schedules import crontab

from bahk.celery import app
from sentry_heroku.crons._beat import beat_monitor_configs, with_margins


@pytest.fixture(autouse=True)
def bahk_app_is_current():
    """_beat reads Celery's current app, as beat and the worker have it; an earlier test may have made another."""
    app.set_current()


BEAT_CONFIG = {"schedule": {"type": "crontab", "value": "*/10 * * * *"}, "timezone": "UTC"}


@pytest.mark.parametrize(
    ("check_in", "expected"),
    [
        (
            {"monitor_slug": "nightly", "monitor_config": dict(BEAT_CONFIG)},
            {"monitor_slug": "nightly", "monitor_config": BEAT_CONFIG | {"checkin_margin": 3, "max_runtime": 10}},
        ),
        ({"monitor_slug": "job", "monitor_config": {"checkin_margin": 5}}, None),
        ({"monitor_slug": "undeclared-job", "status": "ok"}, None),
    ],
)
def test_beat_check_in_margins(check_in, expected):
    assert with_margins(dict(check_in)) == (expected or check_in)


def test_every_beat_entry_sentry_can_keep_is_listed_with_its_margins():
    schedule = {
        "nightly": {"task": "hub.tasks.report_public_participants", "schedule": crontab(hour=3, minute=0)},
        "hourly": {"task": "hub.tasks.report_public_participants", "schedule": 3600.0},
        "too-often": {"task": "hub.tasks.report_public_participants", "schedule": 10.0},
    }
    original, app.conf.beat_schedule = app.conf.beat_schedule, schedule
    try:
        configs = beat_monitor_configs()
    finally:
        app.conf.beat_schedule = original
    assert configs["nightly"]["schedule"] == {"type": "crontab", "value": "0 3 * * *"}
    assert configs["hourly"]["schedule"] == {"type": "interval", "value": 1, "unit": "hour"}
    assert "too-often" not in configs  # Sentry's shortest interval is a minute
    assert {config["checkin_margin"] for config in configs.values()} == {3}
