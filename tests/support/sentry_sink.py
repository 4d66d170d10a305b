"""A loopback stand-in for sentry.io's ingest endpoint.

It receives the SDK's real envelopes over HTTP (gzip or brotli), parses them
with sentry_sdk.envelope.Envelope, and keeps the raw bytes too, so a test can
search everything that left the process. It can also misbehave the ways
Sentry does on a bad day: 429 with Retry-After, 503, answer each envelope only
after half a second ("slow"), or accept and never answer (everything, or only
envelopes holding a transaction: "hold-transactions").
"""

import gzip
import json
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler

from sentry_sdk.envelope import Envelope

from tests.support.loopback_http import LoopbackHTTPServer
from tests.support.servers import wait_until

MODES = ("ok", "429", "503", "slow", "blackhole", "hold-transactions")
SLOW_ANSWER_SECONDS = 0.5


class SentrySink(LoopbackHTTPServer):
    def __init__(self, mode: str = "ok"):
        self.mode = mode
        self.bodies: list[bytes] = []
        self.envelopes: list[Envelope] = []
        self.requests = 0
        self._lock = threading.Lock()
        super().__init__(self._handler())

    @property
    def dsn(self) -> str:
        return f"http://5f0e4a1b2c3d4e5f6a7b8c9d0e1f2a3b@127.0.0.1:{self.port}/4242"

    def set_mode(self, mode: str) -> None:
        assert mode in MODES
        self.mode = mode

    def reset(self) -> None:
        """Forget what arrived and answer "ok" again: a module's one sink serves each test as if it were new."""
        with self._lock:
            self.mode = "ok"
            self.bodies.clear()
            self.envelopes.clear()
            self.requests = 0

    # What arrived.
    def raw(self) -> bytes:
        with self._lock:
            return b"\n".join(self.bodies)

    def items(self, kind: str | None = None) -> list:
        with self._lock:
            envelopes = list(self.envelopes)
        return [item for envelope in envelopes for item in envelope.items if kind is None or item.type == kind]

    def events(self) -> list[dict]:
        """Error and message events, as dicts."""
        return [item.payload.json for item in self.items("event")]

    def transactions(self) -> list[dict]:
        return [item.payload.json for item in self.items("transaction")]

    def logs(self) -> list[dict]:
        """Sentry log records (the SDK sends them in 'log' items of {"items": [...]})."""
        return [record for item in self.items("log") for record in payload_json(item).get("items", [])]

    def checkins(self, slug: str | None = None) -> list[dict]:
        """Sentry Crons check-ins (items of type check_in), in the order they arrived; of one monitor with slug."""
        found = [payload_json(item) for item in self.items("check_in")]
        return [check_in for check_in in found if slug is None or check_in.get("monitor_slug") == slug]

    def wait_for(self, find, timeout: float = 20, what: str = "an envelope"):
        """Wait until find(sink) returns something truthy, and return it."""
        return wait_until(lambda: find(self), timeout, what, interval=0.05)

    def _handler(self):
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with sink._lock:
                    sink.requests += 1
                mode = sink.mode
                if mode == "blackhole":
                    # Accept, read, never answer: the worst a network can do.
                    sink.hold_until_stopped()
                    return
                if mode in ("429", "503"):
                    self.send_response(int(mode))
                    if mode == "429":
                        self.send_header("Retry-After", "1")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if mode == "slow":
                    time.sleep(SLOW_ANSWER_SECONDS)
                data = decode(body, self.headers.get("Content-Encoding", ""))
                envelope = Envelope.deserialize(data)
                if mode == "hold-transactions" and any(item.type == "transaction" for item in envelope.items):
                    sink.hold_until_stopped()
                    return
                with sink._lock:
                    sink.bodies.append(data)
                    sink.envelopes.append(envelope)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

        return Handler


def payload_json(item) -> dict:
    """An item's JSON: the SDK's parser leaves all but events and transactions as bytes."""
    return item.payload.json if item.payload.json is not None else json.loads(item.payload.get_bytes())


def decode(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "br":
        import brotli

        return brotli.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    return body


def tags_of(event: dict) -> dict:
    """Event tags as a dict, whichever form the SDK sent them in."""
    tags = event.get("tags") or {}
    return dict(tags) if isinstance(tags, dict) else {key: value for key, value in tags}


def settle(seconds: float = 0.5) -> None:
    """Give a process's background transport time to send what it has (used only before asserting absence)."""
    time.sleep(seconds)
