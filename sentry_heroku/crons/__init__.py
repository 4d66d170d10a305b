"""Sentry Crons for Heroku: scheduled jobs, Celery beat and each process type's liveness.

Where things are (docs/crons.md has the why):
- _schedule.py  Heroku Scheduler's frequencies ("daily at 03:00") as crontabs
- _slug.py      a monitor's slug from a command's shape, never its values
- _jobs.py      SENTRY_HEROKU_SCHEDULED_JOBS: the declared jobs and their monitor_config
- _scheduled.py the check-ins of the management command a scheduler.N dyno runs, and the drain's for one that died
- _report.py    sentry_check's list of monitors, and the undeclared jobs scheduler dynos ran
- _beat.py      margins for the check-ins of the SDK's Celery beat integration
- _liveness.py  one heroku-<process type> check-in a minute while dynos of that type work; web's proof
- _celery_liveness.py  the worker's proof (a heartbeat task) and beat's

apps.py calls start() once per process; sentry_check prints monitor_lines(); the log drain
(sentry_heroku/drain/scheduler.py) names a failed run's job with command_slug() and reports it with
capture_failed_run().
"""

import os
import sys
from importlib.util import find_spec
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from ._jobs import SETTING, ScheduledJob, declared_jobs, manage_py_command
from ._slug import job_slug

__all__ = [
    "ScheduledJob",
    "capture_failed_run",
    "command_slug",
    "monitor_lines",
    "scheduled_jobs",
    "sends_liveness",
    "start",
]

# One-off dynos come and go by design: their absence is no outage.
_ONE_OFF_TYPES = frozenset({"run", "release", "scheduler"})


def scheduled_jobs() -> dict[str, ScheduledJob]:
    """The declared Scheduler jobs by monitor slug; a bad declaration raises ImproperlyConfigured naming it."""
    return declared_jobs(getattr(settings, SETTING, None))


def command_slug(command_line: str) -> str | None:
    """The monitor slug a Scheduler command line's check-ins use; None when it runs no management command."""
    parsed = manage_py_command(command_line)
    return job_slug(*parsed) if parsed else None


def capture_failed_run(slug: str, dyno_name: str) -> None:
    """The log drain's error check-in for a failed run of this job on this dyno, unless the run sent its own."""
    from ._scheduled import capture_failed_run as capture

    capture(slug, scheduled_jobs(), dyno_name)


def monitor_lines() -> list[str]:
    """sentry_check's lines: every monitor this app upserts, with its schedule and margins, and undeclared jobs."""
    from ..startup import current
    from ._liveness import MONITOR_CONFIG, monitor_slug
    from ._report import monitor_lines as lines

    others = []
    setup = current()
    if setup.config.liveness_seconds:
        others += [(monitor_slug(kind), "liveness", MONITOR_CONFIG) for kind in _long_running_types()]
    others += _beat_monitors()
    return lines(scheduled_jobs(), others)


def _beat_monitors() -> list[tuple[str, str, dict]]:
    if not find_spec("celery") or not getattr(settings, "CELERY_BEAT_SCHEDULE", None):
        return []
    from ._beat import beat_monitor_configs

    return [(name, "celery beat", config) for name, config in beat_monitor_configs().items()]


def _long_running_types() -> list[str]:
    """The Procfile's process types that run gunicorn or Celery (Heroku starts each dyno in the app's root)."""
    try:
        lines = Path("Procfile").read_text().splitlines()
    except OSError:
        return ["web", "worker"]
    entries = (line.split(":", 1) for line in lines if ":" in line and not line.lstrip().startswith("#"))
    return [
        kind.strip()
        for kind, command in entries
        if kind.strip() not in _ONE_OFF_TYPES and ("gunicorn" in command or "celery" in command)
    ]


def start() -> None:
    """What this process sends to Sentry Crons, decided by its dyno (apps.py calls it once)."""
    from ..startup import current

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

        watch_management_commands(jobs, setup.dyno.name)
    elif sends_liveness(setup.dyno, setup.config):
        _watch_liveness(setup)


def sends_liveness(dyno, config) -> bool:
    """On a Heroku dyno of a long-running type, unless switched off (SENTRY_LIVENESS_SECONDS=0, a review app)."""
    return bool(config.liveness_seconds) and dyno.on_heroku and dyno.process_type not in _ONE_OFF_TYPES


def _watch_liveness(setup) -> None:
    from ._liveness import IntervalClaim, WebLiveness, monitor_slug, probe_host

    process_type = setup.dyno.process_type
    claim = IntervalClaim(setup.config.environment, process_type, setup.config.liveness_seconds)
    slug = monitor_slug(process_type)
    if os.path.basename(sys.argv[0]) == "gunicorn":
        WebLiveness(claim, slug, port=setup.config.web_port, host=probe_host(settings.ALLOWED_HOSTS)).watch()
    if find_spec("celery"):
        from ._celery_liveness import watch_worker_and_beat

        watch_worker_and_beat(claim, slug)
