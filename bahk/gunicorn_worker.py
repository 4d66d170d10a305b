"""gunicorn's gthread worker, handing its threads only requests that have fully arrived.

Heroku's router forwards a request's body to the dyno as the client sends it
(docs/reliability.md, "Slow clients"). gthread gives a connection a thread as
soon as it is readable, and the thread then waits on the socket for the rest:
ten clients trickling a body held all 8 threads of a dyno and /health/ took
10 s. A thread limit per read does not help: 8 threads and 20 tricklers still
leave nothing for anyone else.

This worker keeps gthread's threads, its WSGI handling, access log, hooks and
shutdown, and changes only who reads the socket: the worker's event loop
reads every request, head and body, without blocking, and gives a thread the
bytes once the whole request is there. The thread's parser reads those bytes,
never the socket, so no client can hold a thread by sending slowly. Whether a
request is complete is decided by gunicorn's own parser, so framing
(Content-Length, chunked, pipelining, its header limits and refusals) is
gunicorn's, not a second reading of HTTP.

While a request is arriving, the loop answers by itself:
- 413 at once, without reading the body, when Content-Length (or the chunked
  body so far) is over the app's largest body (max_body_bytes());
- 400 for a malformed chunked body, which the view reading it would turn into a 500
  (a well-formed one reaches the thread de-chunked, with a Content-Length: Django
  reads no other body);
- 408 when the head has not arrived HEAD_SECONDS after its first byte, when no
  byte of the body came for BODY_IDLE_SECONDS, or when the whole request has
  not arrived REQUEST_SECONDS after its first byte;
- 503 when the requests this worker is holding would pass BUFFERED_BYTES.
Each of these closes the connection: where the next request would start is
unknown. A view that refuses a request without reading its body (the drain's
401, a 405) runs once the body is here, like any other: to decide before, a
thread would have to run the view while the body is still on its way, and
holding no thread then is the point. Such a refusal costs no thread time, and
one whose body never comes ends at the 408.

It relies on gunicorn 27.0.1's internals (ThreadWorker's handle() and
finish_request(), TConn, the parser's unreader); requirements.txt pins that
version and tests/unit/test_gunicorn_worker.py fails when they change.
Only gunicorn.conf.py names this module.
"""

import contextlib
import errno
import selectors
import socket
import time
from functools import partial
from importlib import import_module

from gunicorn.http.parser import RequestParser
from gunicorn.http.unreader import Unreader
from gunicorn.workers import gthread


def max_body_bytes() -> int:
    """The largest body any view reads: Django's form and JSON limit, or the log drain's.

    Read once the app is loaded (gunicorn imports this module before it).
    A project with file uploads raises this to its largest upload.
    """
    from django.conf import global_settings, settings

    limits = [settings.DATA_UPLOAD_MAX_MEMORY_SIZE or global_settings.DATA_UPLOAD_MAX_MEMORY_SIZE]
    # The log drain's limit. One line, so that removing Sentry from a fork (delete sentry_heroku/
    # and every line that names it, README) takes the drain's limit with it.
    limits.append(import_module("sentry_heroku.drain.view").MAX_BODY_BYTES)
    return max(limits)


# The router sends a request's head in one piece; a client trickling it is not a browser.
HEAD_SECONDS = 10
# A body comes as fast as the client sends it, and the router's 30 s (H12) start only once it has
# all been sent (puma#2512: uploads over a poor mobile link take 90 s), so a slow body is not cut
# at 30 s. It is cut when no byte of it came for BODY_IDLE_SECONDS (the router's own idle limit,
# 55 s, H15) or when it is still not all there REQUEST_SECONDS after the head's first byte.
# Neither holds a thread: this bounds the sockets and bytes a slow client holds.
BODY_IDLE_SECONDS = 55
REQUEST_SECONDS = 120
# What one worker holds of requests still arriving: 12 of the largest bodies at once,
# and a dyno's memory stays flat under a flood of them (two workers on a 512 MB dyno).
BUFFERED_BYTES = 32 * 1024 * 1024
# After answering and half-closing, how long to take (and drop) what the client still sends,
# so that closing with unread bytes does not reset the connection before the answer is read.
LINGER_SECONDS = 2
LINGER_BYTES = 256 * 1024
# A chunked body carries a size line per chunk: allow for it in the raw bytes.
CHUNKED_OVERHEAD = 2
RECV_BYTES = 65536


class _Incomplete(Exception):
    """The bytes so far end before the request does."""


class _Received(Unreader):
    """The bytes the loop has received; reading past them means the request is not all there."""

    def __init__(self, data: bytes):
        super().__init__()
        self.buf.write(data)

    def chunk(self, size_hint=None):
        raise _Incomplete


class _Connection(gthread.TConn):
    """gthread's connection, plus what the event loop knows about the request arriving on it."""

    def __init__(self, *args):
        super().__init__(*args)
        self.received = bytearray()
        self.phase = "idle"  # idle (between requests), request (arriving), or linger (closing)
        self.deadline = 0.0
        self.started = 0.0
        self.scanned = 0  # where to resume the search for a blank line
        self.head_end = 0  # 0 until the head is parsed
        self.body_length = None  # Content-Length, or None for a chunked body
        self.continued = False
        self.lingered = 0


def _answer(status: bytes, message: bytes) -> bytes:
    return (
        b"HTTP/1.1 " + status + b"\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Length: %d\r\n\r\n" % len(message) + message
    )


TIMEOUT = _answer(b"408 Request Timeout", b"The request did not arrive in time.\n")
MALFORMED = _answer(b"400 Bad Request", b"Malformed chunked body.\n")
BUSY = _answer(b"503 Service Unavailable", b"Too many requests arriving at once; retry.\n")
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class BufferingThreadWorker(gthread.ThreadWorker):
    @classmethod
    def check_config(cls, cfg, log):
        super().check_config(cfg, log)
        # Heroku's router speaks HTTP/1.1 to the dyno, without TLS or the PROXY protocol,
        # and those are the only requests this loop knows how to read.
        if cfg.is_ssl or cfg.proxy_protocol != "off" or cfg.http2_cleartext != "off":
            raise RuntimeError(
                f"{cls.__name__} serves plain HTTP/1.1: turn off TLS, proxy_protocol and http2_cleartext"
            )

    def init_process(self):
        self.waiting = set()  # connections the loop reads: idle, arriving or lingering
        self.buffered = 0
        self.max_body = max_body_bytes()
        self.too_large = _answer(b"413 Content Too Large", b"Request body over %d bytes.\n" % self.max_body)
        super().init_process()

    # Connections in the loop.

    def accept(self, listener):
        try:
            client, address = listener.accept()
        except OSError as error:
            if error.errno in (errno.EAGAIN, errno.EWOULDBLOCK, errno.ECONNABORTED):
                return
            raise
        self.nr_conns += 1
        self.await_request(_Connection(self.cfg, client, address, listener.getsockname()), b"")

    def await_request(self, conn, leftover: bytes):
        """Back to the loop until the next request has arrived; leftover is what the client pipelined."""
        conn.sock.setblocking(False)
        conn.phase, conn.received, conn.scanned, conn.head_end, conn.continued = "idle", bytearray(), 0, 0, False
        linger = self.cfg.keepalive if self.alive else gthread.STOP_KEEPALIVE_LINGER
        conn.deadline = time.monotonic() + linger
        self.waiting.add(conn)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.readable, conn))
        if leftover:
            self.received(conn, leftover)

    def readable(self, conn, _sock):
        try:
            data = conn.sock.recv(RECV_BYTES)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if conn.phase == "linger":
            conn.lingered += len(data)
            if not data or conn.lingered > LINGER_BYTES:
                self.close(conn)
        elif not data:
            self.close(conn)  # the client went away
        else:
            self.received(conn, data)

    def received(self, conn, data: bytes):
        if conn.phase == "idle":
            conn.phase, conn.started = "request", time.monotonic()
            conn.deadline = conn.started + HEAD_SECONDS
        elif conn.head_end:
            conn.deadline = min(conn.started + REQUEST_SECONDS, time.monotonic() + BODY_IDLE_SECONDS)
        conn.received += data
        self.buffered += len(data)
        if self.buffered > BUFFERED_BYTES:
            self.refuse(conn, BUSY, "too many requests arriving at once")
        elif not conn.head_end:
            self.read_head(conn)
        else:
            self.read_body(conn)

    def read_head(self, conn):
        end = conn.received.find(b"\r\n\r\n", max(0, conn.scanned - 3))
        conn.scanned = len(conn.received)
        if end < 0:
            if len(conn.received) > self.max_head_bytes:
                self.dispatch(conn)  # gunicorn's parser answers 414 or 431 from what is there
            return
        head = bytes(conn.received[: end + 4])
        lowered = head.lower()
        if b"content-length" not in lowered and b"transfer-encoding" not in lowered:
            # No body to wait for (RFC 9112 section 6.3): most requests, handed on without parsing twice.
            self.dispatch(conn)
            return
        try:
            request = next(self.parser(conn, head, _Received))
        except _Incomplete:
            return
        except Exception:
            self.dispatch(conn)  # a head gunicorn refuses: the thread's parser answers it (400, 414, 431, 501)
            return
        conn.head_end = conn.scanned = end + 4
        conn.deadline = min(conn.started + REQUEST_SECONDS, time.monotonic() + BODY_IDLE_SECONDS)
        reader = request.body.reader
        conn.body_length = getattr(reader, "length", None)
        if conn.body_length is not None and conn.body_length > self.max_body:
            self.refuse(conn, self.too_large, f"Content-Length {conn.body_length}")
            return
        conn.continued = not request._expected_100_continue
        self.read_body(conn)

    def read_body(self, conn):
        if conn.body_length is None:
            request = self.dechunked(conn)
        elif len(conn.received) - conn.head_end >= conn.body_length:
            request = bytes(conn.received)
        else:
            request = None
        if request is not None:
            self.dispatch(conn, request)
        elif conn.phase == "request" and not conn.continued:
            # The client waits for this before it sends the body (Expect: 100-continue).
            conn.continued = True
            self.send(conn, CONTINUE)

    def dechunked(self, conn) -> bytes | None:
        """The request with its chunked body decoded and a Content-Length, once it has all arrived.

        Django reads a body by its Content-Length only (a chunked one reads as
        empty), so the thread gets the request as if it had been sent with one.
        Parsed again only when a blank line (the end of a chunked body) arrives.
        """
        if len(conn.received) - conn.head_end > self.max_body * CHUNKED_OVERHEAD:
            self.refuse(conn, self.too_large, "chunked body")
            return None
        if conn.received.find(b"\r\n\r\n", max(conn.head_end, conn.scanned - 3)) < 0:
            conn.scanned = len(conn.received)
            return None
        conn.scanned = len(conn.received)
        parser = self.parser(conn, bytes(conn.received), _Received)
        body = bytearray()
        try:
            request = next(parser)
            while data := request.body.read(RECV_BYTES):
                body += data
                if len(body) > self.max_body:
                    self.refuse(conn, self.too_large, "chunked body")
                    return None
        except _Incomplete:
            return None
        except Exception:
            # Answered here: given to a thread, it would fail inside the view that reads it (a 500).
            self.refuse(conn, MALFORMED, "malformed chunked body")
            return None
        head = bytes(conn.received[: conn.head_end - 4]).split(b"\r\n")
        fields = [field for field in head[1:] if field.partition(b":")[0].strip().lower() != b"transfer-encoding"]
        head = b"\r\n".join([head[0], *fields, b"Content-Length: %d" % len(body)])
        # Trailers go: nothing in Django reads them. What was pipelined behind the body stays.
        return head + b"\r\n\r\n" + body + parser.unreader.take_buffered()

    def parser(self, conn, data: bytes, unreader=None):
        parser = RequestParser(self.cfg, (), conn.client)
        if unreader is not None:
            parser.unreader = unreader(data)
        else:
            parser.unreader.unread(data)
        return parser

    @property
    def max_head_bytes(self) -> int:
        fields = self.cfg.limit_request_fields * (self.cfg.limit_request_field_size + 2)
        return self.cfg.limit_request_line + fields + 4

    def dispatch(self, conn, request: bytes | None = None):
        """To a thread, with a parser that reads what has arrived (or its de-chunked form) and nothing else."""
        self.leave_loop(conn)
        conn.parser = self.parser(conn, bytes(conn.received) if request is None else request)
        conn.received = bytearray()
        conn.initialized = True  # gthread's handle() then neither waits for data nor makes a socket parser
        self.enqueue_req(conn)

    def refuse(self, conn, answer: bytes, why: str):
        # info, not warning: anyone can cause these, and warnings would become Sentry logs.
        self.log.info("Refused a request from ip=%s: %s", conn.client[0] if conn.client else "", why)
        self.send(conn, answer)
        self.linger(conn)

    def send(self, conn, data: bytes):
        with contextlib.suppress(OSError):
            conn.sock.send(data)  # a few hundred bytes into an empty send buffer

    def linger(self, conn):
        """Half-close, then drop what the client still sends for a moment, all in the loop (never a thread)."""
        self.buffered -= len(conn.received)
        conn.received = bytearray()
        try:
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self.close(conn)
            return
        conn.phase, conn.lingered = "linger", 0
        conn.deadline = time.monotonic() + LINGER_SECONDS

    def leave_loop(self, conn):
        self.waiting.discard(conn)
        self.buffered -= len(conn.received)
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.poller.unregister(conn.sock)

    def close(self, conn):
        self.leave_loop(conn)
        conn.received = bytearray()
        self.nr_conns -= 1
        conn.close()

    def expire(self, now: float):
        for conn in [conn for conn in self.waiting if conn.deadline <= now]:
            if conn.phase == "request":
                self.refuse(conn, TIMEOUT, "the request did not arrive in time")
            else:
                self.close(conn)

    # In a thread.

    def handle_request(self, req, conn):
        # The body is here: the loop sent the 100 Continue the client waited for, or it sent the body anyway.
        req._expected_100_continue = False
        return super().handle_request(req, conn)

    def _keepalive_after(self, conn, keepalive):
        # gthread drains an unread body from the socket for at most 5 s and 64 KB, then closes, against a
        # client trickling it. Here the body is in memory: dropping it is free, and the connection stays.
        return keepalive and conn.parser.finish_body()

    # Back from a thread.

    def finish_request(self, conn, fs):
        try:
            keepalive = not fs.cancelled() and fs.result() is True
        except Exception:
            keepalive = False
        if keepalive:
            # The parser holds whatever the client pipelined behind the request it answered.
            self.await_request(conn, conn.parser.unreader.take_buffered())
        elif conn.sock.fileno() < 0:  # the thread closed it already
            self.nr_conns -= 1
        else:
            self.waiting.add(conn)
            conn.sock.setblocking(False)
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.readable, conn))
            self.linger(conn)

    # The loop: gthread's, with deadlines on every connection it reads.

    def run(self):
        self.poller.register(self.method_queue.fileno(), selectors.EVENT_READ, self.method_queue.run_callbacks)
        self.set_accept_enabled(True)
        while self.alive:
            self.notify()
            can_accept = self.nr_conns < self.worker_connections
            if can_accept != self._accepting:
                self.set_accept_enabled(can_accept)
            self.wait_for_and_dispatch_events(timeout=1.0)
            if not self.is_parent_alive():
                break
            self.expire(time.monotonic())

        # SIGTERM: no new connections; requests in threads finish, requests arriving get their
        # deadline, and idle connections stay a moment for a request already on its way.
        self.set_accept_enabled(False)
        now = time.monotonic()
        for conn in self.waiting:
            if conn.phase == "idle":
                conn.deadline = min(conn.deadline, now + gthread.STOP_KEEPALIVE_LINGER)
        stop_by = now + self.cfg.graceful_timeout
        while self.nr_conns > 0 and time.monotonic() < stop_by:
            self.notify()
            self.wait_for_and_dispatch_events(timeout=0.2)
            self.expire(time.monotonic())

        for conn in list(self.waiting):
            self.close(conn)
        self.tpool.shutdown(wait=False)
        self.poller.close()
        self.method_queue.close()
        for listener in self.sockets:
            listener.close()
