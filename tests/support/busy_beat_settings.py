"""The project's settings with beat's entry due every second, for measuring a beat dyno's connections.

The pools are settings.py's own; only the schedule is shorter. The project's entry is due every
ten minutes and beat's liveness once a minute (SENTRY_LIVENESS_SECONDS, which the formation sets
to 1 beside this), so a run of seconds would otherwise see beat publish nothing
(tests/support/formation.py, bench/connections.py, tests/integration/test_connection_budget.py).
"""

from bahk.settings import *  # noqa: F403

CELERY_BEAT_SCHEDULE = {
    "every-second-report": {"task": "hub.tasks.report_public_participants", "schedule": 1.0},
}
