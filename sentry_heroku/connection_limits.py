"""An add-on's connection limit, reached: one Sentry issue per service, whatever the stack trace.

A Redis at its maxclients and a PostgreSQL out of connection slots refuse
every process at once, from whatever line each was on: grouped by stack
trace, one cause would open an issue per view, task and helper. These errors
are grouped by service instead, tagged connection_limit=redis|postgres (the
dyno tags are already on every event), and carry the project's connection
budget as the "capacity" context, when the project gave one
(describe_capacity_with(), called from the project's AppConfig.ready).

To add a message: one line in LIMIT_MESSAGES, the service and a fragment of
what the server says, lower-case.
"""

from collections.abc import Callable

LIMIT_MESSAGES = (
    ("redis", "max number of clients reached"),  # Redis and Valkey at maxclients
    ("postgres", "too many clients already"),  # max_connections reached
    ("postgres", "remaining connection slots are reserved"),  # only reserved (superuser) slots left
    ("postgres", "too many connections for role"),  # the role's CONNECTION LIMIT
    ("postgres", "too many connections for database"),  # the database's CONNECTION LIMIT
)
# How deep to follow an error's __cause__ and __context__: drivers wrap what the server said.
_CHAIN_DEPTH = 5

_describe_capacity: Callable[[], dict] | None = None


def describe_capacity_with(describe: Callable[[], dict] | None) -> None:
    """What every connection-limit event carries as its "capacity" context; called once, at start-up."""
    global _describe_capacity
    _describe_capacity = describe


def _service_at_limit(text: str) -> str | None:
    lowered = text.lower()
    return next((service for service, message in LIMIT_MESSAGES if message in lowered), None)


def error_service(error: BaseException | None) -> str | None:
    """The service whose limit this error, or one it came from, reports."""
    for _ in range(_CHAIN_DEPTH):
        if error is None:
            return None
        service = _service_at_limit(str(error))
        if service:
            return service
        error = error.__cause__ or error.__context__
    return None


def _event_message(event: dict) -> str:
    logentry = event.get("logentry") or {}
    return str(logentry.get("formatted") or logentry.get("message") or event.get("message") or "")


def group_limit_error(event: dict, error: BaseException | None) -> dict:
    """The event, grouped and described when it reports a connection limit; untouched otherwise."""
    service = error_service(error) or _service_at_limit(_event_message(event))
    if service is None:
        return event
    event["fingerprint"] = ["connection-limit", service]
    event.setdefault("tags", {})["connection_limit"] = service
    if _describe_capacity is not None:
        try:
            event.setdefault("contexts", {})["capacity"] = _describe_capacity()
        except Exception:  # the event matters more than its context
            event.setdefault("contexts", {})["capacity"] = {"error": "the capacity report failed"}
    return event
