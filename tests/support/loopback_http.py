"""A threaded HTTP server on a free loopback port: the base of the stand-ins for Sentry's ingest and API."""

import sys
import threading
from http.server import ThreadingHTTPServer


class QuietHTTPServer(ThreadingHTTPServer):
    """A client that hangs up mid-request (an SDK's connection when its process exits) is not an error."""

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class LoopbackHTTPServer:
    def __init__(self, handler_class):
        self._stopping = threading.Event()
        self.server = QuietHTTPServer(("127.0.0.1", 0), handler_class)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def start(self):
        self.thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self.server.shutdown()
        self.server.server_close()

    def hold_until_stopped(self) -> None:
        """Accept, never answer: a black hole, until the server stops."""
        while not self._stopping.wait(0.5):
            pass
