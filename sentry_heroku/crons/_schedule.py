"""Heroku Scheduler's three frequencies, as the dashboard offers them, turned into Sentry's crontab form."""

import re

from django.core.exceptions import ImproperlyConfigured

_EVERY_10_MINUTES = re.compile(r"every 10 minutes")
_HOURLY = re.compile(r"(?:hourly|every hour) at :(?P<minute>\d{2})")
_DAILY = re.compile(r"(?:daily|every day) at (?P<hour>\d{2}):(?P<minute>\d{2})(?: utc)?")

EXAMPLES = '"every 10 minutes", "hourly at :30" or "daily at 03:00" (UTC)'


def crontab(schedule: str, *, where: str) -> str:
    """The crontab for a Scheduler frequency ("hourly at :30" gives "30 * * * *"); where names the setting."""
    text = " ".join(str(schedule).lower().split())
    if _EVERY_10_MINUTES.fullmatch(text):
        # Due at :00, :10, :20 and so on, as the dashboard's "Next due" shows for "Every 10 minutes".
        return "*/10 * * * *"
    if match := _HOURLY.fullmatch(text):
        return f"{_bounded(match['minute'], 59, where)} * * * *"
    if match := _DAILY.fullmatch(text):
        return f"{_bounded(match['minute'], 59, where)} {_bounded(match['hour'], 23, where)} * * *"
    raise ImproperlyConfigured(f"{where}: schedule {schedule!r} is not one of Heroku Scheduler's; write {EXAMPLES}.")


def _bounded(digits: str, maximum: int, where: str) -> int:
    value = int(digits)
    if value > maximum:
        raise ImproperlyConfigured(f"{where}: {digits} is past {maximum}; write {EXAMPLES}.")
    return value
