"""bahk/gunicorn_worker.py stands on gunicorn 27.0.1's internals: these fail when an upgrade changes them."""

import inspect
import re
from pathlib import Path

import gunicorn
import pytest
from gunicorn.config import Config
from gunicorn.http.body import ChunkedReader, LengthReader
from gunicorn.http.parser import RequestParser
from gunicorn.http.unreader import IterUnreader
from gunicorn.workers import gthread

from bahk.gunicorn_worker import BufferingThreadWorker, _Incomplete, _Received, max_body_bytes

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ("127.0.0.1", 40000)
HEAD = b"POST /heroku/logs/ HTTP/1.1\r\nHost: a\r\n"


def test_gunicorn_is_the_version_pinned_in_requirements_and_read_for_the_worker():
    [pinned] = re.findall(r"(?m)^gunicorn==(\S+)$", (ROOT / "requirements.txt").read_text())
    assert gunicorn.__version__ == pinned == "27.0.1"


@pytest.mark.parametrize(
    ("name", "parameters"),
    [
        ("handle", ["self", "conn"]),
        ("handle_request", ["self", "req", "conn"]),
        ("_keepalive_after", ["self", "conn", "keepalive"]),
        ("finish_request", ["self", "conn", "fs"]),
        ("enqueue_req", ["self", "conn"]),
        ("accept", ["self", "listener"]),
        ("set_accept_enabled", ["self", "enabled"]),
        ("wait_for_and_dispatch_events", ["self", "timeout"]),
        ("is_parent_alive", ["self"]),
        ("init_process", ["self"]),
        ("run", ["self"]),
    ],
)
def test_gthread_methods_the_worker_calls_or_replaces_keep_their_signatures(name, parameters):
    assert list(inspect.signature(getattr(gthread.ThreadWorker, name)).parameters) == parameters


def test_gthread_handle_skips_its_socket_wait_and_parser_for_an_initialised_connection():
    # The worker hands a thread a connection with initialized set and a parser over received bytes.
    handle = inspect.getsource(gthread.ThreadWorker.handle)
    assert "if not conn.initialized and not conn.data_ready:" in handle
    assert "req = next(conn.parser)" in handle
    assert "return self._keepalive_after(conn, self.handle_request(req, conn))" in handle
    assert "if self.initialized:" in inspect.getsource(gthread.TConn.init)
    assert gthread.STOP_KEEPALIVE_LINGER > 0
    # The loop answers Expect: 100-continue; the thread must not say it again.
    assert "req._expected_100_continue" in inspect.getsource(__import__("gunicorn.http.wsgi").http.wsgi.create)


def test_the_worker_replaces_every_gthread_method_that_reads_a_client_socket():
    for name in ("accept", "finish_request", "run"):
        assert name in vars(BufferingThreadWorker)


def parser(data: bytes, unreader=None) -> RequestParser:
    made = RequestParser(Config(), (), CLIENT)
    if unreader:
        made.unreader = unreader(data)
    else:
        made.unreader.unread(data)
    return made


def test_a_parser_over_received_bytes_never_reads_past_them_and_keeps_what_was_pipelined():
    first = HEAD + b"Content-Length: 5\r\n\r\nhello"
    second = b"GET /health/ HTTP/1.1\r\nHost: a\r\n\r\n"
    made = parser(first + second)
    assert isinstance(made.unreader, IterUnreader)
    request = next(made)
    assert isinstance(request.body.reader, LengthReader) and request.body.reader.length == 5
    assert request.body.read() == b"hello"
    assert made.finish_body() is True
    assert made.unreader.take_buffered() == second


def test_a_probe_over_bytes_that_end_early_says_incomplete_instead_of_failing():
    with pytest.raises(_Incomplete):
        next(parser(HEAD + b"Content-Le", _Received))
    request = next(parser(HEAD + b"Transfer-Encoding: chunked\r\n\r\n5\r\nhel", _Received))
    assert isinstance(request.body.reader, ChunkedReader)
    with pytest.raises(_Incomplete):
        request.body.read()


def test_an_expect_100_continue_is_seen_on_the_parsed_head():
    request = next(parser(HEAD + b"Content-Length: 5\r\nExpect: 100-continue\r\n\r\n", _Received))
    assert request._expected_100_continue is True


def test_the_body_limit_is_the_larger_of_django_and_the_drain():
    assert max_body_bytes() == 2_621_440
