"""A PlatformError as the Sentry event users find by dyno: its tags, its grouping, its data.

Pure: the drain view (drain.py) resolves routes (routes.py) and sends; this
module only decides what the event says. Grouping follows what a user fixes: a router
error by code and route (``/users/12/`` and ``/users/99/`` are one issue), a
dyno-manager error by code and process type (R14 on worker.1 and worker.2 is
one issue, filterable by ``dyno``), a Logplex error by code.
"""

from datetime import datetime

from .dyno import process_type
from .platform_errors import PlatformError

# Sentry keeps tag values up to 200 characters; a dyno name is far shorter on any real line.
TAG_LIMIT = 200
DYNO_LIMIT = 64


def fingerprint(error: PlatformError, route: str) -> list[str]:
    if error.source == "router":
        return ["heroku", error.code, route]
    if error.source == "dyno":
        return ["heroku", error.code, process_type(dyno_name(error))]
    return ["heroku", error.code]


def dyno_name(error: PlatformError) -> str:
    return error.dyno[:DYNO_LIMIT]


def tags(error: PlatformError) -> dict[str, str]:
    """What a user filters by: dyno:worker.1, dyno_type:worker, heroku_error:R14, request_id:…"""
    dyno = dyno_name(error)
    values = {"dyno": dyno, "dyno_type": process_type(dyno), "heroku_error": error.code, **error.tags}
    return {name: value[:TAG_LIMIT] for name, value in values.items() if value}


def event(error: PlatformError, *, route: str, count: int) -> dict:
    log = {**error.data, "count": count, "logged_at": error.timestamp[:64]}
    if error.source == "router":
        log["route"] = route
    payload = {
        "message": error.message[:1000],
        "level": error.level,
        "logger": f"heroku.{error.source}",
        "server_name": dyno_name(error),
        "fingerprint": fingerprint(error, route),
        "contexts": {"heroku_log": log},
    }
    if error.source == "router":
        payload["transaction"] = route
    moment = timestamp(error.timestamp)
    if moment is not None:
        payload["timestamp"] = moment
    return payload


def timestamp(value: str) -> str | None:
    """The line's own time, when it is a real one: Sentry drops events with a timestamp it cannot read."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.isoformat() if moment.tzinfo is not None else None
