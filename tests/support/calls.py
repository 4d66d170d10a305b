"""Requests to the web process as Heroku's router sends them, and what came back.

A request that got no HTTP answer at all (refused, reset, timed out)
counts as status 0.
"""

import http.client
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from tests.support.processes import HOST

NO_ANSWER = 0


@dataclass(frozen=True)
class Call:
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    # What this request must answer when nothing is wrong with the app itself.
    expect: int = 200
    method: str = "GET"
    body: bytes | None = None


def send(base_url: str, call: Call, timeout: float = 30) -> int:
    """One request as Heroku's router sends it (Host, X-Forwarded-Proto); its status, or NO_ANSWER."""
    return answer(base_url, call, timeout)[0]


def answer(base_url: str, call: Call, timeout: float = 30) -> tuple[int, bytes]:
    """(status, body) of one request as Heroku's router sends it; (NO_ANSWER, b"") when none came."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    headers = {"Host": HOST, "X-Forwarded-Proto": "https", **call.headers}
    try:
        connection.request(call.method, call.path, body=call.body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    except (OSError, http.client.HTTPException):
        return NO_ANSWER, b""
    finally:
        connection.close()


def burst(base_url: str, calls: list[Call], concurrency: int = 8) -> list[tuple[Call, int]]:
    """Every call sent, `concurrency` at a time; (call, status) in the order given."""
    with ThreadPoolExecutor(concurrency) as pool:
        statuses = list(pool.map(lambda call: send(base_url, call), calls))
    return list(zip(calls, statuses, strict=True))


def unexpected(results: list[tuple[Call, int]]) -> Counter:
    """(path, status) for every answer other than the one the call expects; empty when all went well."""
    return Counter((call.path, status) for call, status in results if status != call.expect)
