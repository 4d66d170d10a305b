"""Slow clients against the Procfile's web process: what Heroku's router forwards as the client sends it.

The router sends a request's head at once and then the body as it arrives
(docs/reliability.md, "Slow clients"). Each trickler here does the same: head,
then a byte of body every half second, to a path that reads the body (the
admin login, the drain), one that answers 401 or 405 without reading it, and
one that never looks at it.
"""

import base64
import contextlib
import re
import socket
import threading
import time

import pytest

from bahk.gunicorn_worker import HEAD_SECONDS
from tests.support import logplex_lines as lines
from tests.support.drain_client import SECRET, fresh_dyno, platform_events, post_lines
from tests.support.processes import HOST, heroku_env, http_get
from tests.support.raw_http import get, post, status_of

TRICKLERS = 20
PROBES = 20
DRIP_SECONDS = 0.5
BODY = 1000  # bytes each trickler announces: at two a second, none finishes during a test


def keep_alive(head: bytes) -> bytes:
    """The router keeps its connections to the dyno open between requests."""
    return head.replace(b"Connection: close\r\n", b"")


def basic(credentials: str) -> bytes:
    return b"Authorization: Basic " + base64.b64encode(credentials.encode())


TRICKLED = [
    post(b"/admin/login/", BODY, b"Content-Type: application/x-www-form-urlencoded"),
    post(b"/heroku/logs/", BODY, basic(f"drain:{SECRET}"), b"Content-Type: application/logplex-1"),
    post(b"/heroku/logs/", BODY, basic("drain:wrong-password"), b"Content-Type: application/logplex-1"),  # 401
    post(b"/api/participants/map/", BODY),  # 405
    post(b"/health/", BODY),  # never read
]


@pytest.fixture(scope="module")
def slow_clients_web(sentry_sink, module_dynos):
    return module_dynos.web(heroku_env("web.1", SENTRY_DSN=sentry_sink.dsn, HEROKU_DRAIN_SECRET=SECRET))[1]


def port_of(base_url: str) -> int:
    return int(base_url.rsplit(":", 1)[1])


@contextlib.contextmanager
def trickling(base_url: str, heads: list[bytes]):
    """Connections that sent a head and keep sending its body, a byte at a time, until the block ends."""
    socks = [socket.create_connection(("127.0.0.1", port_of(base_url)), timeout=5) for _ in heads]
    for sock, head in zip(socks, heads, strict=True):
        sock.sendall(keep_alive(head) + b"x")
    stop = threading.Event()

    def drip():
        while not stop.wait(DRIP_SECONDS):
            for sock in socks:
                with contextlib.suppress(OSError):
                    sock.send(b"x")

    dripper = threading.Thread(target=drip, daemon=True)
    dripper.start()
    try:
        yield socks
    finally:
        stop.set()
        dripper.join()
        for sock in socks:
            sock.close()


def holding(sock: socket.socket) -> bool:
    """Still connected and not answered: the server is waiting for the rest of the body."""
    sock.setblocking(False)
    try:
        sock.recv(1)  # a byte or an EOF: the server answered or hung up
        return False
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        sock.setblocking(True)


def until_closed(sock: socket.socket, timeout: float) -> bytes:
    """What the server sends until it closes; fails if it keeps the connection open past timeout."""
    sock.settimeout(timeout)
    answer = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def one_response(sock: socket.socket) -> bytes:
    """One answer read off a connection that stays open: its head, then Content-Length bytes of body."""
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(65536) or pytest.fail(f"closed after {answer!r}")
    head, _, body = answer.partition(b"\r\n\r\n")
    length = re.search(rb"(?im)^content-length: *(\d+)", head)
    length = int(length.group(1)) if length else 0  # a 204 has none
    while len(body) < length:
        body += sock.recv(65536) or pytest.fail(f"closed after {answer!r}")
    return head + b"\r\n\r\n" + body


def health(base_url: str) -> int:
    return http_get(base_url + "/health/", headers={"Host": HOST}, timeout=5)[0]


def test_twenty_trickling_clients_leave_health_answering_while_they_hold_on(slow_clients_web):
    heads = [TRICKLED[n % len(TRICKLED)] for n in range(TRICKLERS)]
    with trickling(slow_clients_web, heads) as tricklers:
        # Long enough for every connection to be taken in (gthread gives each a thread that then waits).
        time.sleep(4 * DRIP_SECONDS)
        answers = [health(slow_clients_web) for _ in range(PROBES)]
        still_holding = [holding(sock) for sock in tricklers]
    assert answers == [200] * PROBES
    assert still_holding == [True] * TRICKLERS


def test_a_content_length_over_the_limit_gets_413_and_a_close_before_any_body_is_sent(slow_clients_web):
    with socket.create_connection(("127.0.0.1", port_of(slow_clients_web)), timeout=5) as sock:
        sock.sendall(keep_alive(post(b"/heroku/logs/", 10**9, basic(f"drain:{SECRET}"))))
        answer = until_closed(sock, timeout=3)
    assert status_of(answer) == 413


def test_a_head_that_never_ends_gets_408_and_a_close(slow_clients_web):
    with socket.create_connection(("127.0.0.1", port_of(slow_clients_web)), timeout=5) as sock:
        sock.sendall(b"GET /health/ HTTP/1.1\r\nHost: " + HOST.encode() + b"\r\nX-Slow: ")
        answer = until_closed(sock, timeout=HEAD_SECONDS + 5)
    assert status_of(answer) == 408


def test_a_drain_batch_posted_whole_still_gets_its_204_and_event(slow_clients_web, sentry_sink):
    dyno = fresh_dyno("worker")
    assert post_lines(slow_clients_web, [("heroku", dyno, lines.R14)]) == 204
    sentry_sink.wait_for(lambda s: platform_events(s, dyno=dyno), what="the R14's event")


def test_a_chunked_drain_batch_is_read_whole(slow_clients_web, sentry_sink):
    dyno = fresh_dyno("worker")
    batch = lines.body([("heroku", dyno, lines.R14)])
    headers = b"".join(
        f"{name}: {value}\r\n".encode()
        for name, value in lines.headers(1, secret=SECRET).items()
        if name not in ("Host", "X-Forwarded-Proto")
    )
    chunked = b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (10, batch[:10], len(batch) - 10, batch[10:])
    head = post(b"/heroku/logs/", 0, headers.rstrip(b"\r\n"), b"Transfer-Encoding: chunked")
    head = head.replace(b"Content-Length: 0\r\n", b"")
    with socket.create_connection(("127.0.0.1", port_of(slow_clients_web)), timeout=5) as sock:
        sock.sendall(head + chunked)
        answer = until_closed(sock, timeout=10)
    assert status_of(answer) == 204
    sentry_sink.wait_for(lambda s: platform_events(s, dyno=dyno), what="the chunked batch's event")


def test_keep_alive_and_pipelined_requests_are_all_answered_on_one_connection(slow_clients_web):
    request = keep_alive(get(b"/health/"))
    with socket.create_connection(("127.0.0.1", port_of(slow_clients_web)), timeout=5) as sock:
        for _ in range(3):
            sock.sendall(request)
            assert status_of(one_response(sock)) == 200
        # Three at once, the last closing: every answer comes back, in order, on the same connection.
        sock.sendall(request + request + get(b"/health/"))
        answers = until_closed(sock, timeout=10)
    assert answers.count(b"HTTP/1.1 200 OK\r\n") == 3


def test_a_client_that_expects_100_continue_gets_it_before_sending_its_body(slow_clients_web):
    batch = lines.body([("heroku", fresh_dyno("worker"), lines.R14)])
    head = keep_alive(post(b"/heroku/logs/", len(batch), basic(f"drain:{SECRET}"), b"Expect: 100-continue"))
    with socket.create_connection(("127.0.0.1", port_of(slow_clients_web)), timeout=5) as sock:
        sock.sendall(head)
        assert sock.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(batch)
        assert status_of(one_response(sock)) == 204  # and no second 100 Continue before it


def test_a_401_for_a_body_the_view_never_read_leaves_the_connection_serving(slow_clients_web):
    body = b"x" * 200_000  # over gunicorn's 64 KB drain of an unread body
    head = keep_alive(post(b"/heroku/logs/", len(body), basic("drain:wrong-password")))
    with socket.create_connection(("127.0.0.1", port_of(slow_clients_web)), timeout=5) as sock:
        sock.sendall(head + body)
        assert status_of(one_response(sock)) == 401
        sock.sendall(keep_alive(get(b"/health/")))
        assert status_of(one_response(sock)) == 200
