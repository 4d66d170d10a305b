"""A Sentry warning for a request still running after SENTRY_SLOW_REQUEST_SECONDS, with the line it is on.

gunicorn's gthread worker never stops a slow request: the router answers H12 at 30 s and the request runs
on. At 25 s (the default) the watchdog sends one warning with the serving thread's stack, the request's
route, request_id and trace, and the dyno's tags. SentryHerokuMiddleware (middleware.py) notes each request
here; one thread per worker process watches them. How and why: docs/heroku-errors.md.
"""

import logging
import os
import sys
import threading
import time
from dataclasses import dataclass

import sentry_sdk
from django.db import connections
from sentry_sdk.scope import use_isolation_scope, use_scope
from sentry_sdk.utils import filename_for_module, get_source_context

from .routes import url_route

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Running:
    """A request being served: what the watchdog reports if it runs too long."""

    started: float
    request: object
    isolation_scope: sentry_sdk.Scope
    current_scope: sentry_sdk.Scope
    reported: bool = False


class _Watchdog:
    """The requests running in this process (thread ident → Running), and the thread that watches them."""

    def __init__(self, threshold: float):
        self.threshold = threshold
        # Often enough that a report comes within a fifth of the threshold, rarely enough to cost nothing.
        self.interval = min(1.0, max(0.05, threshold / 5))
        self.running: dict[int, Running] = {}
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()
        # A forked worker inherits the dict and the flag but not the thread.
        os.register_at_fork(after_in_child=self._after_fork)

    def _after_fork(self) -> None:
        self.running = {}
        self.thread = None
        self.lock = threading.Lock()

    def start(self) -> None:
        with self.lock:
            if self.thread is None:
                self.thread = threading.Thread(target=self._watch, name="sentry-slow-request-watchdog", daemon=True)
                self.thread.start()

    def _watch(self) -> None:
        while True:
            time.sleep(self.interval)
            now = time.monotonic()
            for ident, running in self.running.copy().items():
                if not running.reported and now - running.started >= self.threshold:
                    running.reported = True
                    frame = sys._current_frames().get(ident)
                    if frame is None:
                        continue
                    try:
                        _report(ident, running, frame, now - running.started, self.threshold)
                    except Exception:  # the next slow request still deserves its report
                        logger.exception("Slow-request watchdog: could not report a slow request")


def _report(ident: int, running: Running, frame, seconds: float, threshold: float) -> None:
    request = running.request
    method = getattr(request, "method", "") or ""
    route = url_route(getattr(request, "path_info", "") or "")
    thread = next((thread for thread in threading.enumerate() if thread.ident == ident), None)
    event = {
        "message": f"Slow request: {method} {route} still running after {seconds:.0f} s",
        "level": "warning",
        "logger": __name__,
        "transaction": route,
        "fingerprint": ["slow-request", method, route],
        "threads": {
            "values": [
                {
                    "id": ident,
                    "name": thread.name if thread else str(ident),
                    "current": True,
                    "crashed": False,
                    "stacktrace": {"frames": _stack(frame)},
                }
            ]
        },
        "contexts": {"slow_request": {"seconds": round(seconds, 1), "threshold_seconds": threshold, "method": method}},
    }
    # The request's own scopes: its request_id tag, its trace, its request data.
    with (
        use_isolation_scope(running.isolation_scope),
        use_scope(running.current_scope),
        sentry_sdk.new_scope() as scope,
    ):
        scope.set_tag("slow_request", "yes")
        sentry_sdk.capture_event(event)
    # Describing the user may have opened a database connection in this thread; it is not needed again.
    connections.close_all()


def _stack(frame) -> list[dict]:
    """The running thread's frames, outermost first, with their source lines and without local variables:
    the serving thread is changing them, and a value's repr (a lazy queryset) could run a query from here."""
    frames = []
    while frame is not None:
        code, lineno = frame.f_code, frame.f_lineno
        module = frame.f_globals.get("__name__")
        pre_context, context_line, post_context = get_source_context(frame, lineno)
        frames.append(
            {
                "filename": filename_for_module(module, code.co_filename),
                "abs_path": code.co_filename,
                "function": code.co_name,
                "module": module,
                "lineno": lineno,
                "pre_context": pre_context,
                "context_line": context_line,
                "post_context": post_context,
            }
        )
        frame = frame.f_back
    frames.reverse()
    return frames


# One per process and threshold (Django may build the middleware chain more than once).
_WATCHDOGS: dict[float, _Watchdog] = {}


def watchdog_for(threshold: float) -> _Watchdog:
    """This process's watchdog for requests running over threshold seconds; its thread starts with the first request."""
    if threshold not in _WATCHDOGS:
        _WATCHDOGS[threshold] = _Watchdog(threshold)
    return _WATCHDOGS[threshold]
