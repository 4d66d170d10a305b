"""What Sentry gets for a PlatformError (lines.py): the event users find by dyno, its tags, its grouping, its data.

Pure: the drain view (view.py) resolves routes (sentry_heroku/routes.py) and
sends; this module only decides what the event says. Grouping follows what a
user fixes: a router error by code and route (``/users/12/`` and ``/users/99/``
are one issue, and every path the project does not route is one), a
dyno-manager error by code and process type (R14 on worker.1 and worker.2 is
one issue, filterable by ``dyno``), a Logplex error by code, an add-on's
connections by add-on and attachment.

Every value here may come from a line anyone can shape (a path, a method, a
Host header): tags, server_name, the transaction and the fingerprint pass
through limits.py, and the context's strings are cleaned and capped too.
"""

from datetime import datetime

from ..dyno import process_type
from ..limits import clean, tag_value, transaction_name
from .lines import PlatformError

_MESSAGE_MAX = 1000
_CONTEXT_VALUE_MAX = 200


def fingerprint(error: PlatformError, route: str) -> list[str]:
    if error.source == "router":
        parts = ["heroku", error.code, route]
    elif error.source == "dyno":
        parts = ["heroku", error.code, process_type(error.dyno)]
    elif error.source == "addon":
        parts = ["heroku", error.code, error.dyno, str(error.data.get("attachment", ""))]
    else:
        parts = ["heroku", error.code]
    return [tag_value(part) for part in parts]


def tags(error: PlatformError) -> dict[str, str]:
    """What a user filters by: dyno:worker.1, dyno_type:worker, heroku_error:R14, request_id:…"""
    values = {"dyno": error.dyno, "dyno_type": process_type(error.dyno), "heroku_error": error.code, **error.tags}
    cleaned = {name: tag_value(value) for name, value in values.items()}
    return {name: value for name, value in cleaned.items() if value}


def event(error: PlatformError, *, route: str, count: int, held_back: int = 0) -> dict:
    """held_back: how many of the count's lines the throttle had held back before this event."""
    log = {**_context(error.data), "count": count, "held_back": held_back, "logged_at": clean(error.timestamp, 64)}
    if error.source == "router":
        log["route"] = transaction_name(route)
    payload = {
        "message": clean(error.message, _MESSAGE_MAX),
        "level": error.level,
        "logger": f"heroku.{error.source}",
        "server_name": tag_value(error.dyno),
        "fingerprint": fingerprint(error, route),
        "contexts": {"heroku_log": log},
    }
    if error.source == "router":
        payload["transaction"] = transaction_name(route)
    moment = _timestamp(error.timestamp)
    if moment is not None:
        payload["timestamp"] = moment
    return payload


def _context(data: dict[str, object]) -> dict[str, object]:
    return {name: clean(value, _CONTEXT_VALUE_MAX) if isinstance(value, str) else value for name, value in data.items()}


def _timestamp(value: str) -> str | None:
    """The line's own time, when it is a real one: Sentry drops events with a timestamp it cannot read."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.isoformat() if moment.tzinfo is not None else None
