"""Margins for the check-ins of the SDK's Celery beat integration (CeleryIntegration(monitor_beat_tasks=True)).

The integration sends each beat entry's schedule as monitor_config, but no margin and no max_runtime,
so Sentry's one-minute default margin applies: a beat dyno's restart (daily, and at each deploy) is
then a false "missed" (django-crontask #44). sdk.py's before_send passes every check-in through here.
"""

import math

# Beat sends the in_progress check-in itself, when the entry is due, by its own clock: late only
# while its dyno restarts (Heroku starts the new one within about a minute) or after clock drift.
_BEAT_CHECKIN_MARGIN_MINUTES = 3
# The worker may wait for a free process before it starts the task; then the time limit applies.
_QUEUE_WAIT_MINUTES = 5


def with_margins(check_in: dict) -> dict:
    """A beat entry's check-in with a margin, and a max_runtime past which the worker has killed the task."""
    config = check_in.get("monitor_config")
    if not config or "checkin_margin" in config:  # not beat's, or already decided (Scheduler jobs, liveness)
        return check_in
    config["checkin_margin"] = _BEAT_CHECKIN_MARGIN_MINUTES
    time_limit = _task_time_limit()
    if time_limit:
        config["max_runtime"] = math.ceil(time_limit / 60) + _QUEUE_WAIT_MINUTES
    return check_in


def _task_time_limit() -> float | None:
    try:
        from celery import current_app
    except ImportError:
        return None
    return current_app.conf.task_time_limit


def beat_monitor_configs() -> dict[str, dict]:
    """Each beat entry's monitor_config as beat will send it, through the integration's own translation."""
    from celery import current_app
    from celery.schedules import maybe_schedule
    from sentry_sdk.integrations.celery.beat import _get_monitor_config

    configs = {}
    for name, entry in current_app.conf.beat_schedule.items():
        # As beat's ScheduleEntry reads it: seconds and timedeltas become intervals.
        config = _get_monitor_config(maybe_schedule(entry["schedule"]), current_app, name)
        if config:  # the integration leaves out schedules Sentry cannot keep (under a minute)
            configs[name] = with_margins({"monitor_config": config})["monitor_config"]
    return configs
