"""/heroku/logs/ as Logplex meets it, in the test's own process: Django's test client through the project's
middleware and URLconf, with the events the drain would send kept."""

import base64
import dataclasses

from sentry_heroku.drain import view
from sentry_heroku.drain.events import event, tags
from sentry_heroku.drain.view import _Receiver
from tests.support import logplex_lines as lines
from tests.support.drain_client import SECRET


def kept_event(error, route, count, held_back) -> dict:
    """What the drain would send for these lines, with the tags it would set on the scope."""
    return {"tags": tags(error), **event(error, route=route, count=count, held_back=held_back)}


def basic(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


# What Logplex sends for https://drain:SECRET@APP.herokuapp.com/heroku/logs/.
LOGPLEX_AUTH = basic(f"drain:{SECRET}")


class ServedDrain:
    """/heroku/logs/ in a web process that init() set up with this configuration and a started SDK; events kept.

    The view reads init()'s set-up (current()) and keeps one receiver per process: the test gives it its own of
    each. The receiver counts in the Django cache, as on a dyno, so override_settings(CACHES=...) picks the store.
    """

    def __init__(self, client, monkeypatch, config):
        self.client = client
        self.monkeypatch = monkeypatch
        self.events: list[dict] = []
        self.configure(config)
        self.new_process()

    def configure(self, config) -> None:
        setup = dataclasses.replace(view.current(), config=config, enabled=True)
        self.monkeypatch.setattr(view, "current", lambda: setup)

    def new_process(self) -> None:
        """Another web process: nothing remembered but what the shared cache holds."""
        self.monkeypatch.setattr(view, "_RECEIVER", _Receiver(send=self.keep))

    def keep(self, error, route, count, *, held_back):
        self.events.append(kept_event(error, route, count, held_back))

    def post(self, batch=(), *, frame_id=None, body: bytes | None = None, authorization: str | None = LOGPLEX_AUTH):
        """Logplex's POST of these lines (or this body); authorization None: no Authorization header."""
        headers = lines.headers(len(batch), frame_id=frame_id)
        if authorization is not None:
            headers["Authorization"] = authorization
        content_type = headers.pop("Content-Type")
        body = lines.body(list(batch)) if body is None else body
        return self.client.generic("POST", "/heroku/logs/", body, content_type=content_type, headers=headers)

    def events_about(self, dyno: str) -> list[dict]:
        return [event for event in self.events if event["tags"]["dyno"] == dyno]
