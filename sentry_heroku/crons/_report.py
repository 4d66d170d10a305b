"""What sentry_check prints about Crons: every monitor this app upserts, and the jobs nobody declared."""

import logging
import time

from django.core.cache import cache

from ._jobs import CHECKIN_MARGIN_MINUTES, SETTING, ScheduledJob

logger = logging.getLogger(__name__)

# The undeclared jobs scheduler dynos ran, by slug, with when: in the project's cache, so a
# `heroku run python manage.py sentry_check` on another dyno can list them.
_UNDECLARED_KEY = "sentry_heroku:crons:undeclared"
_UNDECLARED_KEPT_SECONDS = 30 * 24 * 3600


def remember_undeclared(slug: str) -> None:
    logger.warning(
        "sentry_heroku: job %s is not in %s: Sentry sees its runs but cannot tell when one is missed.", slug, SETTING
    )
    try:
        seen = cache.get(_UNDECLARED_KEY) or {}
        seen[slug] = int(time.time())
        cache.set(_UNDECLARED_KEY, seen, _UNDECLARED_KEPT_SECONDS)
    except Exception:  # a report, never a reason for the job to fail
        logger.warning("sentry_heroku: could not record undeclared job %s in the cache", slug)


def _undeclared_jobs() -> dict[str, int]:
    try:
        seen = cache.get(_UNDECLARED_KEY) or {}
    except Exception:  # sentry_check still prints the rest
        return {}
    return {slug: when for slug, when in seen.items() if isinstance(slug, str) and isinstance(when, int)}


def monitor_lines(jobs: dict[str, ScheduledJob], others: list[tuple[str, str, dict]]) -> list[str]:
    """One line per monitor: its slug, where its check-ins come from, its schedule and margins."""
    lines = []
    for job in jobs.values():
        lines.append(
            f"monitor:     {job.slug}  Scheduler {job.schedule!r} ({job.crontab} UTC), "
            f"margin {CHECKIN_MARGIN_MINUTES} min, max runtime {job.max_runtime} min"
        )
    for slug, source, config in others:
        schedule = config["schedule"]
        every = (
            f"every {schedule['value']} {schedule['unit']}"
            if schedule["type"] == "interval"
            else f"{schedule['value']} {config.get('timezone', 'UTC')}"
        )
        runtime = f", max runtime {config['max_runtime']} min" if "max_runtime" in config else ""
        lines.append(f"monitor:     {slug}  {source} {every}, margin {config['checkin_margin']} min{runtime}")
    if not lines:
        lines.append(f"monitors:    none (declare Scheduler jobs in {SETTING}; docs/crons.md)")
    for slug, when in sorted(_undeclared_jobs().items()):
        moment = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(when))
        lines.append(f"undeclared:  {slug}  ran on a scheduler dyno ({moment}) but is not in {SETTING}")
    return lines
