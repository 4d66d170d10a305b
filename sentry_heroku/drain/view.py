"""POST /heroku/logs/: Heroku's HTTPS log drain, turned into Sentry events about the dyno each line names,
and into an error check-in for a Scheduler job whose dyno failed (scheduler.py).

    heroku drains:add "https://drain:$HEROKU_DRAIN_SECRET@APP.herokuapp.com/heroku/logs/" -a APP

Logplex retries a batch on a 5xx and drops it on a 4xx, so the answers are:
404 without HEROKU_DRAIN_SECRET, 401 for a wrong password, 413 over 1 MB
(refused from Content-Length before the body is read, here or earlier by a
buffering gunicorn worker where the project has one), and 204 for everything
else, malformed or not: a bad frame costs only itself. A batch Logplex sends
again (same Logplex-Frame-Id) is handled once, across dynos when the cache is
Redis.

The drain's requests are not traced (sentry_heroku/sampling.py), carry no
session or CSRF check, and get no access-log line (sentry_heroku/gunicorn_hooks.py):
Logplex would drain each line back into the next batch.
"""

import base64
import binascii
import hashlib
import hmac
import logging
import re
import time
from collections import OrderedDict
from collections.abc import Callable

import sentry_sdk
from django.core.cache import cache
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.views.decorators.csrf import csrf_exempt
from sentry_sdk.scope import Scope, ScopeType, use_isolation_scope, use_scope

from ..config import SentryConfig
from ..crons import capture_failed_run
from ..routes import url_route
from ..sdk import heroku_context
from ..startup import current
from . import events, frames
from .lines import PlatformError, classify
from .scheduler import SchedulerRuns
from .throttle import CacheStore, MemoryStore, Store, Throttle

# Set in request.META (the WSGI environ) for a request that needs no access line; read by the access logger.
QUIET = "sentry_heroku.quiet"
# One logger for the whole drain, named after its package: a filter set on sentry_heroku.drain sees every line.
logger = logging.getLogger(__package__)

# Logplex sends about 100 KB a batch; ten times that is not a drain.
MAX_BODY_BYTES = 1_000_000
# Logplex retries a batch within minutes; an hour covers it with room to spare.
_FRAME_ID_SECONDS = 3600
_FRAME_ID = re.compile(r"[0-9A-Za-z._-]{1,100}")
# A dead Redis must not cost every batch a timeout: after a failure, count in this process for a while.
_CACHE_PAUSE_SECONDS = 30


@csrf_exempt
def heroku_logs(request):
    setup = current()
    if not setup.config.drain_secret:
        raise Http404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not _authorised(request.headers.get("Authorization", ""), setup.config.drain_secret):
        response = HttpResponse(status=401)
        response["WWW-Authenticate"] = 'Basic realm="heroku-drain"'
        return response
    if _content_length(request) > MAX_BODY_BYTES:
        return HttpResponse(status=413)
    body = request.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        return HttpResponse(status=413)
    if setup.enabled and _RECEIVER.first_time(
        request.headers.get("Logplex-Drain-Token", ""), request.headers.get("Logplex-Frame-Id", "")
    ):
        try:
            _RECEIVER.handle(body, request.headers.get("Logplex-Msg-Count", ""), setup.config)
        except Exception:
            # A batch this code cannot handle is a bug here, and Logplex would retry it on a 5xx: report it once.
            logger.exception("Heroku log drain: a batch could not be handled")
    request.META[QUIET] = True
    return HttpResponse(status=204)


def _authorised(header: str, secret: str) -> bool:
    """Basic auth with any user name and the drain's secret as password, compared in constant time."""
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        credentials = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    password = credentials.partition(b":")[2]
    return hmac.compare_digest(password, secret.encode())


def _content_length(request) -> int:
    value = request.META.get("CONTENT_LENGTH") or "0"
    return int(value) if value.isdigit() and len(value) < 12 else 0


class _Receiver:
    """What one web process remembers between batches: Frame-Ids it has seen, the throttle, scheduler runs."""

    def __init__(
        self,
        shared: Store | None = None,
        clock: Callable[[], float] = time.time,
        send: Callable[..., None] | None = None,
    ):
        """shared: the store the throttle counts in (the Django cache); send: what sends an event (_send_event)."""
        self.recent_frames: OrderedDict[str, None] = OrderedDict()
        self.shared = CacheStore(cache, prefix="heroku-drain:") if shared is None else shared
        self.local = MemoryStore(clock)
        self.cache_paused_until = 0.0
        self.throttle = Throttle(self, clock)
        self.scheduler_runs = SchedulerRuns(self.shared_or_local)
        self.send = send or _send_event

    # The throttle's store: the shared cache, or this process's counters while the cache is failing.
    def increment(self, key: str, amount: int, ttl: int) -> int:
        return self.shared_or_local(lambda store: store.increment(key, amount, ttl))

    def shared_or_local(self, call):
        if time.monotonic() >= self.cache_paused_until:
            try:
                return call(self.shared)
            except Exception:
                logger.warning("Heroku log drain: the cache failed; counting in this process", exc_info=True)
                self.cache_paused_until = time.monotonic() + _CACHE_PAUSE_SECONDS
        return call(self.local)

    def first_time(self, drain_token: str, frame_id: str) -> bool:
        if not _FRAME_ID.fullmatch(frame_id) or not _FRAME_ID.fullmatch(drain_token or "-"):
            return True
        key = f"frame:{drain_token}:{frame_id}"
        if key in self.recent_frames:
            return False
        self.recent_frames[key] = None
        if len(self.recent_frames) > 1000:
            self.recent_frames.popitem(last=False)
        return self.shared_or_local(lambda store: store.add(key, _FRAME_ID_SECONDS))

    def handle(self, body: bytes, message_count: str, config: SentryConfig) -> None:
        batch = frames.parse(body)
        if batch.skipped:
            logger.warning(
                "Heroku log drain: skipped %d unreadable part(s) of a batch; read %d of %s lines",
                batch.skipped,
                len(batch.lines),
                message_count[:12] or "?",
            )
        groups: dict[str, tuple[PlatformError, str, int]] = {}
        found = classify(
            batch.lines,
            memory_percent=config.drain_memory_percent,
            connections_percent=config.drain_connections_percent,
        )
        # One group per issue and dyno (events.fingerprint, routes.UNROUTED): never per path, method or
        # host, which anyone can choose by sending a request, so a storm of them costs a few events per code.
        for error in found:
            route = url_route(error.path) if error.source == "router" else ""
            key = _throttle_key(error, route)
            first, _, count = groups.get(key, (error, route, 0))
            groups[key] = (first, route, count + 1)
        for key, (error, route, count) in groups.items():
            limit, seconds = error.limit or (config.drain_events_per_minute, 60)
            carried = self.throttle.admit(key, count, limit=limit, seconds=seconds, sample=(error, route))
            if carried:
                self.send(error, route, carried, held_back=carried - count)
        for key, (error, route) in self.throttle.due():
            carried = self.throttle.release(key)
            if carried:
                self.send(error, route, carried, held_back=carried)
        for slug, dyno in self.scheduler_runs.failed_jobs(batch.lines):
            _send_failed_run(slug, dyno)


def _throttle_key(error: PlatformError, route: str) -> str:
    """One key per issue and dyno, short and safe for any cache backend."""
    issue = "\0".join([*events.fingerprint(error, route), error.dyno])
    return hashlib.sha256(issue.encode("utf-8", "replace")).hexdigest()[:32]


def _send_event(error: PlatformError, route: str, count: int, *, held_back: int) -> None:
    """One event, through the app's own SDK, tagged with the dyno the line is about.

    A fresh isolation scope: the drain request's own tags (its request_id)
    and request data must not ride along. The global scope still adds the
    app and release tags; these tags override its dyno ones.
    """
    receiver = current().dyno
    with use_isolation_scope(Scope(ty=ScopeType.ISOLATION)), use_scope(Scope(ty=ScopeType.CURRENT)) as scope:
        for name, value in events.tags(error).items():
            scope.set_tag(name, value)
        context = {name: value for name, value in heroku_context(receiver).items() if name != "dyno_id"}
        scope.set_context("heroku", {**context, "received_by": receiver.name})
        sentry_sdk.capture_event(events.event(error, route=route, count=count, held_back=held_back))


def _send_failed_run(slug: str, dyno: str) -> None:
    """The job's error check-in, on a trace of its own rather than the drain request's."""
    with use_isolation_scope(Scope(ty=ScopeType.ISOLATION)), use_scope(Scope(ty=ScopeType.CURRENT)):
        capture_failed_run(slug, dyno)


_RECEIVER = _Receiver()
