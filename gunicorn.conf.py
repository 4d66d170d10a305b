"""Gunicorn on a Heroku web dyno. Every value is set against a Heroku limit.

https://devcenter.heroku.com/articles/python-gunicorn
https://docs.gunicorn.org/en/stable/settings.html
"""

import os

from bahk import env, process_sizes

# The access log without credentials or the drain's requests (gunicorn's logger_class takes the class itself).
from sentry_heroku.gunicorn_hooks import AccessLogger as logger_class  # noqa: F401

# Sends what Sentry still holds before a worker goes.
from sentry_heroku.gunicorn_hooks import worker_exit  # noqa: F401

# Heroku's router connects to $PORT on the dyno. "[::]" takes IPv6 and IPv4
# (Fir routes over IPv6). Locally bin/dev and the tests bind loopback through
# GUNICORN_CMD_ARGS, which overrides this file.
bind = [f"[::]:{env.number(os.environ, 'PORT', 5000, minimum=1, maximum=65535)}"]

# WEB_CONCURRENCY and GUNICORN_THREADS, read where the capacity report reads them
# (bahk/process_sizes.py says why each default is what it is).
_sizes = process_sizes.read(os.environ)
workers = _sizes.web_concurrency

# Threads let a worker overlap its database and Redis waits; 4 per worker
# keeps memory flat and the GIL uncontended on a shared-CPU dyno. The router
# streams request bodies to the dyno as clients send them, so the worker is
# gthread with its event loop reading each request whole before a thread
# gets it: a slow client costs a socket, never a thread (bahk/gunicorn_worker.py).
worker_class = "bahk.gunicorn_worker.BufferingThreadWorker"
threads = _sizes.gunicorn_threads

# With the gthread worker this is not a request timeout: it is how long the
# worker's main loop may go without telling the arbiter it is alive, and it
# does so while requests run in their threads. A slow request is never
# stopped (a 5 s request under --timeout 2 still gets its 200); the router
# answers H12 after 30 s and the request runs on. This only restarts a worker
# whose main loop is stuck, e.g. on a GIL-holding C call.
timeout = 25

# On a restart Heroku sends SIGTERM and SIGKILL 30 s later; finish in-flight
# requests within 20 s and leave time for Sentry to flush.
graceful_timeout = 20

# Longer than the router's 90 s idle keep-alive, so the router, not gunicorn,
# closes idle connections (otherwise a request can race a closing socket: H18).
keepalive = 95

# Gunicorn's own limits, written out: an over-long request line gets 414, too
# many or too large headers 431, before Django or Sentry spend anything on them.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

# Access log to stdout, one line per request, beside Heroku's router log;
# not for the log drain's batches (the logger_class imported above), which Logplex would drain back to it.
accesslog = "-"
errorlog = "-"

# Gunicorn's runtime control socket is for long-lived servers an operator logs
# into; a dyno has no operator, and tests run several gunicorns side by side.
control_socket_disable = True

# The router already says where the request came from (X-Forwarded-For).
forwarded_allow_ips = "*"

# Load the app before forking: workers share its memory and a broken
# setting fails the boot once, with one clear message, instead of per worker.
preload_app = True
