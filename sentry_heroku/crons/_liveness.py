"""One check-in a minute per process type (heroku-web, heroku-worker, heroku-beat) while its dynos work.

Each process that works (a gunicorn worker, a Celery worker, beat) wakes once an interval, at a
random offset, and checks in only with proof that it works and only if no other process of its
type has this interval: ``SET key NX EX interval`` through the project's Redis cache, one round trip
per process per interval. Without a Redis cache the processes of one dyno share a file instead, so
each dyno sends its own (docs/crons.md has the bound). _celery_liveness.py has the worker and beat.
"""

import fcntl
import http.client
import logging
import os
import random
import tempfile
import threading
import time
from collections.abc import Callable

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.signals import request_finished
from sentry_sdk.crons import MonitorStatus, capture_checkin

logger = logging.getLogger(__name__)

# Sentry's shortest interval is a minute. The margin covers the gap the shared key leaves: the
# process that takes the next interval wakes up to an interval after the key expired.
MONITOR_CONFIG = {"schedule": {"type": "interval", "value": 1, "unit": "minute"}, "checkin_margin": 3}
_PROBE_PATH = "/health/"
_PROBE_TIMEOUT_SECONDS = 5


def monitor_slug(process_type: str) -> str:
    return f"heroku-{process_type}"


def check_in(slug: str) -> None:
    capture_checkin(monitor_slug=slug, status=MonitorStatus.OK, monitor_config=MONITOR_CONFIG)


class IntervalClaim:
    """Whether this process is the one of its type to check in for the interval now starting."""

    def __init__(self, environment: str, process_type: str, seconds: int):
        self.key = f"sentry_heroku:liveness:{environment}:{process_type}"
        self.seconds = seconds
        self.local_path = os.path.join(tempfile.gettempdir(), f"sentry-heroku-liveness-{process_type}")

    def take(self) -> bool:
        cache = caches["default"]
        if isinstance(cache, RedisCache):
            try:
                # Django's RedisCache.add is SET NX EX: one round trip.
                return cache.add(self.key, os.getpid(), self.seconds)
            except Exception:  # Redis down: the dyno still vouches for itself
                logger.warning("sentry_heroku: liveness fell back to this dyno's own claim (Redis did not answer)")
        return self.take_on_this_dyno()

    def take_on_this_dyno(self) -> bool:
        """The processes of one dyno share its disk: the file's content is when the interval was last taken."""
        with open(self.local_path, "a+") as claim:
            fcntl.flock(claim, fcntl.LOCK_EX)
            claim.seek(0)
            try:
                taken_at = float(claim.read() or 0)
            except ValueError:
                taken_at = 0.0
            now = time.time()
            if now - taken_at < self.seconds:
                return False
            claim.seek(0)
            claim.truncate()
            claim.write(repr(now))
            return True


def start_heartbeat(seconds: int, beat: Callable[[], None]) -> None:
    """Call beat() every interval, at a random offset, in a daemon thread of this process."""

    def run():
        # Spread a type's processes over the interval, so no two wake in the same second.
        time.sleep(random.uniform(0, seconds))  # noqa: S311 - spreading, not a secret
        while True:
            try:
                beat()
            except Exception:
                logger.warning("sentry_heroku: a liveness check-in failed", exc_info=True)
            # Never sooner than an interval: at most one round trip to Redis per process per interval.
            time.sleep(seconds * random.uniform(1.0, 1.2))  # noqa: S311

    threading.Thread(target=run, name="sentry-heroku-liveness", daemon=True).start()


class WebLiveness:
    """A gunicorn worker checks in while it answers: a request finished this interval, or its own probe answers."""

    def __init__(self, claim: IntervalClaim, slug: str, *, port: int | None, host: str):
        self.claim, self.slug, self.port, self.host = claim, slug, port, host
        self.last_answer = 0.0
        self.started_in: int | None = None

    def watch(self) -> None:
        request_finished.connect(self.answered, dispatch_uid="sentry_heroku.crons.liveness")
        # gunicorn's preload_app loads Django in the master, which never serves: start in each worker it forks.
        os.register_at_fork(after_in_child=self.start)

    def answered(self, **signal_arguments) -> None:
        self.last_answer = time.monotonic()
        self.start()  # without preload_app, Django loads in the worker itself, unforked

    def start(self) -> None:
        if self.started_in != os.getpid():
            self.started_in = os.getpid()
            start_heartbeat(self.claim.seconds, self.beat)

    def beat(self) -> None:
        if self.serves() and self.claim.take():
            check_in(self.slug)

    def serves(self) -> bool:
        if time.monotonic() - self.last_answer < self.claim.seconds:
            return True
        if self.port is None:
            return False
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=_PROBE_TIMEOUT_SECONDS)
        try:
            # Any answer will do, a 503 too: the process serves; what the answer says is the app's business.
            connection.request("GET", _PROBE_PATH, headers={"Host": self.host, "X-Forwarded-Proto": "https"})
            connection.getresponse().read()
            return True
        except OSError:
            return False
        finally:
            connection.close()


def probe_host(allowed_hosts: list[str]) -> str:
    """A Host header the project's ALLOWED_HOSTS accepts (".herokuapp.com" accepts "herokuapp.com")."""
    for host in allowed_hosts:
        if host != "*":
            return host.lstrip(".")
    return "localhost"
