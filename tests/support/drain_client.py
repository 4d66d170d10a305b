"""Posting to /heroku/logs/ the way Logplex does, and finding the events that came of it at the sink."""

import http.client
import itertools
import urllib.parse

from tests.support import logplex_lines
from tests.support.sentry_sink import tags_of

# URL-safe and long enough for sentry_heroku.config: what `openssl rand -hex` would give.
SECRET = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"
_numbers = itertools.count(100)


def fresh_dyno(process_type: str = "web") -> str:
    """A dyno no other test talks about: the web process's throttle and the sink are shared within a module."""
    return f"{process_type}.{next(_numbers)}"


def post(base_url: str, body: bytes, headers: dict[str, str] | None = None, *, timeout: float = 30):
    """(status, headers) of one POST to the drain, without raising on 4xx/5xx."""
    url = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    try:
        connection.request("POST", "/heroku/logs/", body=body, headers=headers or {})
        response = connection.getresponse()
        response.read()
        return response.status, dict(response.getheaders())
    finally:
        connection.close()


def post_lines(base_url: str, lines: list[tuple[str, str, str]], *, secret: str = SECRET, frame_id: str | None = None):
    return post(
        base_url,
        logplex_lines.body(lines),
        logplex_lines.headers(len(lines), secret=secret, frame_id=frame_id),
    )[0]


def platform_events(sink, **tags: str) -> list[dict]:
    """Events from the drain (logger heroku.*) whose tags include these."""
    return [
        event
        for event in sink.events()
        if str(event.get("logger", "")).startswith("heroku.")
        and all(tags_of(event).get(name) == value for name, value in tags.items())
    ]


def line_count(event: dict) -> int:
    return event["contexts"]["heroku_log"]["count"]
