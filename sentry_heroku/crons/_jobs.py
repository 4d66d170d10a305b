"""The project's Heroku Scheduler jobs, as it declares them in SENTRY_HEROKU_SCHEDULED_JOBS.

Heroku has no API that lists Scheduler jobs (heroku/cli #668), so the project writes each one down
once, as the dashboard shows it; the shape is in docs/crons.md:

    SENTRY_HEROKU_SCHEDULED_JOBS = [
        {"command": "python manage.py clearsessions", "schedule": "daily at 03:00", "max_runtime": 10},
    ]
"""

import shlex
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

from ._schedule import crontab
from ._slug import job_slug

SETTING = "SENTRY_HEROKU_SCHEDULED_JOBS"
# Scheduler is best effort: a job's one-off dyno boots tens of seconds to a few minutes after its
# time (slug fetch, dyno start, Django's start-up), and Sentry marks a run missed once the margin
# passes. A one-minute margin cries wolf; five still says "missed" before a 10-minute job's next run.
CHECKIN_MARGIN_MINUTES = 5
_DEFAULT_MAX_RUNTIME_MINUTES = 30
# A Scheduler dyno runs at most a day (the one-off dyno's limit).
_MAX_RUNTIME_LIMIT_MINUTES = 24 * 60


@dataclass(frozen=True)
class ScheduledJob:
    slug: str
    command: str  # as declared, never as the dyno ran it
    schedule: str
    crontab: str
    max_runtime: int  # minutes

    def monitor_config(self) -> dict:
        """What Sentry upserts the monitor from, sent with every check-in."""
        return {
            "schedule": {"type": "crontab", "value": self.crontab},
            "timezone": "UTC",  # Scheduler's times are UTC
            "checkin_margin": CHECKIN_MARGIN_MINUTES,
            "max_runtime": self.max_runtime,
        }


def manage_py_command(command_line: str) -> tuple[str, list[str]] | None:
    """("clearsessions", []) for "python manage.py clearsessions"; None when it runs no manage.py command."""
    try:
        words = shlex.split(command_line)
    except ValueError:
        return None
    for index, word in enumerate(words[:-1]):
        if word == "manage.py" or word.endswith("/manage.py"):
            return words[index + 1], words[index + 2 :]
    return None


def declared_jobs(declaration: object) -> dict[str, ScheduledJob]:
    """The declared jobs by slug; a malformed entry raises ImproperlyConfigured naming it and the fix."""
    if declaration is None:
        return {}
    if not isinstance(declaration, (list, tuple)):
        raise ImproperlyConfigured(f"{SETTING} must be a list of {{'command': …, 'schedule': …}} dicts.")
    jobs: dict[str, ScheduledJob] = {}
    for index, entry in enumerate(declaration):
        where = f"{SETTING}[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("command"), str) or "schedule" not in entry:
            raise ImproperlyConfigured(f"{where} must be a dict with 'command' and 'schedule' (and 'max_runtime').")
        unknown = set(entry) - {"command", "schedule", "max_runtime"}
        if unknown:
            raise ImproperlyConfigured(
                f"{where}: unknown key(s) {sorted(unknown)}; use command, schedule, max_runtime."
            )
        parsed = manage_py_command(entry["command"])
        if parsed is None:
            raise ImproperlyConfigured(
                f"{where}: command must run a management command, as in the Scheduler dashboard: "
                "'python manage.py clearsessions'."
            )
        slug = job_slug(*parsed)
        if slug in jobs:
            raise ImproperlyConfigured(f"{where}: {entry['command']!r} has the same shape as another job ({slug}).")
        cron = crontab(entry["schedule"], where=where)
        jobs[slug] = ScheduledJob(
            slug=slug,
            command=entry["command"],
            schedule=entry["schedule"],
            crontab=cron,
            max_runtime=_max_runtime(entry.get("max_runtime", _DEFAULT_MAX_RUNTIME_MINUTES), where),
        )
    return jobs


def _max_runtime(value: object, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= _MAX_RUNTIME_LIMIT_MINUTES:
        raise ImproperlyConfigured(f"{where}: max_runtime is whole minutes, 1 to {_MAX_RUNTIME_LIMIT_MINUTES}.")
    return value
