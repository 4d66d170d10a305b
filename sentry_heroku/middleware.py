"""The one middleware: per-request Sentry context, and the slow-request watchdog's note of each request.

Per request it does almost nothing: it tags Heroku's X-Request-ID on events
and Sentry logs (so they match the router's log line), records the router's
queue time on the transaction, registers an event processor, and notes the
request for the watchdog (sentry_heroku/watchdog.py) while it runs. The
processor runs only when an event or transaction is actually sent, and only
then looks at the user and the request's secrets.
"""

import threading
import time
import weakref
from functools import partial

import sentry_sdk
from django.utils.functional import empty

from . import limits
from .scrubbing import is_secret_key
from .sdk import REQUEST_SECRETS_HINT
from .startup import current
from .watchdog import Running, watchdog_for


class SentryHerokuMiddleware:
    """Place it early in MIDDLEWARE (before SessionMiddleware): the watchdog then times the whole request.

    request.user is read only when an event is sent, so AuthenticationMiddleware may come after it.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        setup = current()
        # With tracing off the SDK starts no transaction per request (sdk.integrations) and so never
        # reads the caller's sentry-trace header: without this, tasks would not continue the caller's trace.
        self._continues_trace = not setup.config.tracing
        threshold = setup.config.slow_request_seconds
        # None when Sentry is off or SENTRY_SLOW_REQUEST_SECONDS is 0: nothing to report to, or asked not to.
        self._watchdog = watchdog_for(threshold) if threshold and setup.enabled else None

    def __call__(self, request):
        if not sentry_sdk.get_client().is_active():
            return self.get_response(request)
        scope = sentry_sdk.get_isolation_scope()  # the SDK forks one per request
        # META rather than request.headers, which copies every header on first use: this runs on every request.
        meta = request.META
        if self._continues_trace:
            # The caller's trace, or a new one: its errors and the tasks it sends carry it.
            scope.generate_propagation_context(_incoming_trace(meta))
        request_id = limits.tag_value(meta.get("HTTP_X_REQUEST_ID", ""))
        if request_id:
            scope.set_tag("request_id", request_id)
            scope.set_attribute("request_id", request_id)  # Sentry Logs read attributes, not tags
        queue_ms = queue_time_ms(meta.get("HTTP_X_REQUEST_START", ""), time.time())
        if queue_ms is not None:
            span = sentry_sdk.get_current_span()
            if span is not None:
                span.set_data("http.server.request.time_in_queue", queue_ms)
        scope.add_event_processor(partial(describe_request, weakref.ref(request)))
        watchdog = self._watchdog
        if watchdog is None:
            return self.get_response(request)
        if watchdog.thread is None:
            watchdog.start()
        # The request's own scopes, so a report carries its request_id tag, its trace and its request data.
        ident = threading.get_ident()
        watchdog.running[ident] = Running(time.monotonic(), request, scope, sentry_sdk.get_current_scope())
        try:
            return self.get_response(request)
        finally:
            watchdog.running.pop(ident, None)


# The headers a caller's trace arrives in, and where WSGI puts them.
_TRACE_HEADERS = {"sentry-trace": "HTTP_SENTRY_TRACE", "baggage": "HTTP_BAGGAGE"}


def _incoming_trace(meta) -> dict[str, str]:
    """The trace headers a caller sent, for the SDK's propagation context; empty starts a new trace."""
    return {name: meta[key] for name, key in _TRACE_HEADERS.items() if key in meta}


def queue_time_ms(header: str, now: float) -> float | None:
    """Milliseconds between the router receiving the request and the dyno starting on it.

    Heroku's router sends X-Request-Start as milliseconds since the epoch;
    other proxies send "t=<seconds or microseconds>".
    """
    value = header.strip().removeprefix("t=")
    try:
        start = float(value)
    except ValueError:
        return None
    # Normalise whichever unit arrived to seconds by its magnitude.
    for divisor in (1, 1e3, 1e6):
        seconds = start / divisor
        if seconds < now + 60:
            break
    queued = (now - seconds) * 1000
    return round(queued, 1) if 0 <= queued < 3_600_000 else None


def describe_request(request_ref, event: dict, hint: dict) -> dict | None:
    request = request_ref()
    if request is None:
        return event
    user = getattr(request, "user", None)
    # Load the user for an error; for a transaction only if the view already did.
    loaded = user is not None and getattr(user, "_wrapped", None) is not empty
    if user is not None and (loaded or event.get("type") != "transaction"):
        config = current().config
        if ignored_user(user, config.ignore_user_email_domains):
            return None
        details = user_details(user, send_pii=config.send_default_pii)
        if details:
            event["user"] = {**(event.get("user") or {}), **details}
    hint[REQUEST_SECRETS_HINT] = request_secrets(request)
    return event


def ignored_user(user, domains: tuple[str, ...]) -> bool:
    if not domains or not user.is_authenticated:
        return False
    email = (getattr(user, "email", "") or "").lower()
    return email.rpartition("@")[2] in domains


def user_details(user, *, send_pii: bool) -> dict | None:
    """What Sentry may know of a user: id and staff flag; username and email only with PII allowed."""
    if user is None or not user.is_authenticated:
        return None
    details = {"id": str(user.pk), "is_staff": user.is_staff}
    if send_pii:
        details |= {"username": user.get_username(), "email": user.email}
    return details


def request_secrets(request) -> set[str]:
    """Values the request carried under secret names, to be filtered wherever else they appear."""
    found = set()
    # Every value of a repeated parameter (?token=a&token=b): QueryDict.items() gives only the last.
    found.update(value for key, values in request.GET.lists() if is_secret_key(key) for value in values)
    found.update(value for key, value in request.headers.items() if is_secret_key(key))
    # Every cookie may be a session; "Bearer <token>" is secret after its scheme.
    found.update(value for value in request.COOKIES.values() if len(value) >= 8)
    found.update(request.headers.get("Authorization", "").split()[1:])
    return found
