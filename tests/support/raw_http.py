"""Raw requests over a socket: what no HTTP client library would send."""

import contextlib
import re
import socket

from tests.support.processes import HOST

ROUTER_HEADERS = b"Host: " + HOST.encode() + b"\r\nX-Forwarded-Proto: https\r\nConnection: close\r\n"
BIG_BODY = 3 * 1024 * 1024  # over Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB)


def get(path: bytes, *headers: bytes) -> bytes:
    return b"GET " + path + b" HTTP/1.1\r\n" + ROUTER_HEADERS + b"".join(h + b"\r\n" for h in headers) + b"\r\n"


def post(path: bytes, length: int, *headers: bytes) -> bytes:
    return (
        b"POST " + path + b" HTTP/1.1\r\n" + ROUTER_HEADERS + b"Content-Length: %d\r\n" % length
        + b"".join(h + b"\r\n" for h in headers) + b"\r\n"
    )  # fmt: skip


def crafted(path: bytes) -> list[tuple[str, bytes, int, set[int]]]:
    """(what, request head, body bytes to send after it, statuses that refuse or serve it cleanly) for one path."""
    return [
        *[("request line too long", get(path + b"?q=" + b"1" * n), 0, {414}) for n in (4100, 9000, 70_000)],
        *[("header too large", get(path, b"X-Big: " + b"a" * n), 0, {431}) for n in (8200, 70_000)],
        *[("too many headers", get(path, *(b"X-H%d: v" % i for i in range(n))), 0, {431}) for n in (101, 1000)],
        *[("path not UTF-8", get(path + raw), 0, {400}) for raw in (b"\xff\xfe", b"\xc3\x28", b"\x80")],
        ("control character in path", get(path + b"\x01"), 0, {400}),
        ("NUL in a header", get(path, b"X-A: a\x00b"), 0, {400}),
        ("folded header", get(path, b"X-A: a", b" b"), 0, {400}),
        ("HTTP/0.9", b"GET " + path + b"\r\n\r\n", 0, {400}),
        ("bad method", get(path).replace(b"GET", b"G\x01T", 1), 0, {400}),
        ("bad Content-Length", post(path, 0).replace(b"Content-Length: 0", b"Content-Length: abc"), 0, {400}),
        ("negative Content-Length", post(path, 0).replace(b"Content-Length: 0", b"Content-Length: -1"), 0, {400}),
        ("Content-Length and chunked", post(path, 5, b"Transfer-Encoding: chunked"), 0, {400}),
        *[
            ("bad percent-encoding", get(path + query), 0, {200, 302, 400, 404})
            for query in (b"?bbox=%zz,%ff,%c3%28,1", b"?%", b"?limit=%%%", b"?bbox=%00,1,2,3", b"%zz", b"?a=\xff")
        ],
        *[
            ("header value not UTF-8", get(path, name + b": \xff\xfe\xc3\x28"), 0, {200, 302, 404})
            for name in (b"X-Request-ID", b"Accept-Encoding", b"If-None-Match", b"Cookie", b"Referer")
        ],
        # Over the largest body a view reads: the worker refuses it before any view runs (bahk/gunicorn_worker.py).
        ("oversized body, no CSRF", post(path, BIG_BODY, b"Content-Type: application/json"), BIG_BODY, {413}),
        ("huge Content-Length, no body", post(path, 10**12), 0, {413}),
        ("oversized body on a GET", get(path, b"Content-Length: %d" % BIG_BODY), BIG_BODY, {413}),
    ]


def exchange(port: int, head: bytes, body_length: int) -> bytes:
    """Send a raw request, then read whatever comes back until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        try:
            sock.sendall(head)
            for _ in range(body_length // 65536):
                sock.sendall(b"x" * 65536)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before the body was all sent: the answer is already on its way
        answer = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                answer += chunk
        return answer


def status_of(answer: bytes) -> int:
    match = re.match(rb"HTTP/1\.[01] (\d{3}) ", answer)
    return int(match.group(1)) if match else 0
