"""The project's settings plus a declared Scheduler job and beat entries, for tests/integration/test_crons_*.py.

A job that sleeps until it is killed: nothing in bahk/settings.py runs that long.
"""

from bahk.settings import *  # noqa: F403

SENTRY_HEROKU_SCHEDULED_JOBS = [
    *SENTRY_HEROKU_SCHEDULED_JOBS,  # noqa: F405
    {
        "command": "python manage.py shell --command 'import time; time.sleep(600)'",
        "schedule": "hourly at :15",
        "max_runtime": 7,
    },
]

# Beat entries due every minute, Sentry Crons' shortest schedule: one that succeeds, one that fails.
CELERY_BEAT_SCHEDULE = {
    "every-minute-report": {"task": "hub.tasks.report_public_participants", "schedule": crontab()},  # noqa: F405
    "every-minute-failure": {"task": "sentry_heroku.tasks.fail_for_sentry_debug", "schedule": crontab()},  # noqa: F405
}
