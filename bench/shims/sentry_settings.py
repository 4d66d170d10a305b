"""The project's settings plus the bench's cheap view and cheap task, for bench/sentry_overhead.py and bench/worker.py.

Sentry is set up exactly as in production: by bahk.settings, from the SENTRY_*
variables the bench puts in the environment.
"""

from bahk.settings import *  # noqa: F403

ROOT_URLCONF = "bench.shims.sentry_urls"
# The worker imports the trivial task of bench/worker.py; production never does.
CELERY_IMPORTS = ["bench.shims.worker_tasks"]
