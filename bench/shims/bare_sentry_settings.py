"""The baseline: Sentry as most projects ship it, for bench/sentry_overhead.py (web) and bench/worker.py (worker).

The project's settings with its own Sentry set-up off (the bench leaves
SENTRY_DSN unset) and without its request-context middleware, plus the
SDK's out-of-box init: a DSN and, when BENCH_BARE_TRACES_SAMPLE_RATE is
set, a traces sample rate; nothing else.
"""

import os

import sentry_sdk

from bench.shims.sentry_settings import *  # noqa: F403
from bench.shims.sentry_settings import MIDDLEWARE

MIDDLEWARE = [name for name in MIDDLEWARE if name != "sentry_heroku.middleware.SentryHerokuMiddleware"]

_rate = os.environ.get("BENCH_BARE_TRACES_SAMPLE_RATE")
if _rate is None:
    sentry_sdk.init(dsn=os.environ["BENCH_BARE_SENTRY_DSN"])
else:
    sentry_sdk.init(dsn=os.environ["BENCH_BARE_SENTRY_DSN"], traces_sample_rate=float(_rate))
