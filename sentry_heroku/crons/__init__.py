"""Sentry Crons for Heroku: scheduled jobs, Celery beat and each process type's liveness.

Where things are (docs/crons.md has the why):
- _schedule.py  Heroku Scheduler's frequencies ("daily at 03:00") as crontabs
- _slug.py      a monitor's slug from a command's shape, never its values
- _jobs.py      SENTRY_HEROKU_SCHEDULED_JOBS: the declared jobs and their monitor_config
- _scheduled.py the check-ins of the management command a scheduler.N dyno runs
- _report.py    sentry_check's list of monitors, and the undeclared jobs scheduler dynos ran
- _beat.py      margins for the check-ins of the SDK's Celery beat integration
- _liveness.py  one heroku-<process type> check-in a minute while dynos of that type serve

apps.py calls start() once per process; sentry_check lists monitors().
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from ..setup import current
from ._jobs import SETTING, ScheduledJob, declared_jobs

__all__ = ["ScheduledJob", "monitor_lines", "scheduled_jobs", "start"]


def scheduled_jobs() -> dict[str, ScheduledJob]:
    """The declared Scheduler jobs by monitor slug; a bad declaration raises ImproperlyConfigured naming it."""
    return declared_jobs(getattr(settings, SETTING, None))


def monitor_lines() -> list[str]:
    """sentry_check's lines: every monitor this app upserts, with its schedule and margins, and undeclared jobs."""
    from ._report import monitor_lines as lines

    return lines(scheduled_jobs(), [])


def start() -> None:
    """What this process sends to Sentry Crons, decided by its dyno (apps.py calls it once)."""
    # Read on every dyno, so a bad declaration fails the release phase, not a job at night.
    jobs = scheduled_jobs()
    try:
        setup = current()
    except ImproperlyConfigured:  # settings never called init(): manage.py check says so
        return
    if not setup.enabled:
        return
    if setup.dyno.process_type == "scheduler":
        from ._scheduled import watch_management_commands

        watch_management_commands(jobs)
