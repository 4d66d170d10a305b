"""The project's settings plus one more declared Scheduler job, for tests/integration/test_crons_scheduler.py.

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
