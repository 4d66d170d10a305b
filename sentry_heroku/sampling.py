"""Which transactions Sentry gets.

Head sampling (traces_sampler): probes and static files are never traced;
a task or a request that continues a trace keeps the decision made where the
trace began; everything else is traced at the configured rate.

Tail mode (SENTRY_TRACES_KEEP_SLOW_MS): every transaction is recorded, and
before it is sent keep_transaction() keeps each slow or failed one and a
random share (the configured rate) of the rest.
"""

import random
from collections.abc import Callable
from datetime import datetime

# Load-balancer and uptime probes: thousands a day, never interesting as traces.
# The Heroku log drain (sentry_heroku/urls.py) posts as often as the app logs: a trace of each would double the app's.
_NEVER_TRACED_PATHS = frozenset(
    {"/health/", "/healthcheck/", "/metrics/", "/readiness/", "/liveness/", "/favicon.ico", "/heroku/logs/"}
)
_FAILED_STATUSES = frozenset(
    {"internal_error", "unknown_error", "unknown", "aborted", "deadline_exceeded", "unavailable", "data_loss"}
)


def traces_sampler(rate: float, *, static_url: str, tail_mode: bool) -> Callable[[dict], float]:
    static_prefix = "/" + static_url.lstrip("/")

    def sample(context: dict) -> float:
        parent_sampled = context.get("parent_sampled")
        if parent_sampled is not None:
            return 1.0 if parent_sampled else 0.0
        path = context.get("wsgi_environ", {}).get("PATH_INFO", "")
        if path in _NEVER_TRACED_PATHS or path.startswith(static_prefix):
            return 0.0
        return 1.0 if tail_mode else rate

    return sample


def _moment(value: object) -> float | None:
    """A timestamp as the SDK hands it to before_send: ISO 8601 text, a datetime or epoch seconds."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, (int, float)):
        return float(value)
    return None


def duration_ms(event: dict) -> float:
    start, end = _moment(event.get("start_timestamp")), _moment(event.get("timestamp"))
    return (end - start) * 1000 if start is not None and end is not None else 0.0


def failed(event: dict) -> bool:
    trace = event.get("contexts", {}).get("trace", {})
    if trace.get("status") in _FAILED_STATUSES:
        return True
    status_code = (trace.get("data") or {}).get("http.response.status_code")
    return isinstance(status_code, int) and status_code >= 500


def keep_transaction(
    event: dict, *, rate: float, keep_slow_ms: float, draw: Callable[[], float] = random.random
) -> bool:
    return failed(event) or duration_ms(event) >= keep_slow_ms or draw() < rate
