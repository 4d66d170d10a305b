"""What the fault tests and bench/faults.py share: bursts of requests, a Heroku-like PostgreSQL, process memory.

A request that got no HTTP answer at all (refused, reset, timed out)
counts as status 0.
"""

import hashlib
import http.client
import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest

from tests.servers import PostgresServer

HOST = "bahk-test-1a2b3c4d5e6f.herokuapp.com"
NO_ANSWER = 0


@dataclass(frozen=True)
class Call:
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    # What this request must answer when nothing is wrong with the app itself.
    expect: int = 200


def send(base_url: str, call: Call, timeout: float = 30) -> int:
    """One GET as Heroku's router sends it (Host, X-Forwarded-Proto); its status, or NO_ANSWER."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        connection.request("GET", call.path, headers={"Host": HOST, "X-Forwarded-Proto": "https", **call.headers})
        response = connection.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return NO_ANSWER
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


@pytest.fixture(scope="module")
def heroku_postgres():
    """A PostgreSQL of the module's own that speaks TLS: a dyno's settings require it, and a test may restart it."""
    server = PostgresServer().start()
    try:
        yield server.enable_tls()
    finally:
        server.stop()


@pytest.fixture
def heroku_database_url(heroku_postgres, request) -> str:
    """A new, empty database on that server for this test."""
    return heroku_postgres.create_database("f_" + hashlib.sha256(request.node.nodeid.encode()).hexdigest()[:16])


def rss_kb(pid: int) -> int:
    """Resident memory of one process (VmRSS), in kB; 0 once it has gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


def children(pid: int) -> list[int]:
    """The direct children of a process (gunicorn's workers under its master)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    # The command name, in parentheses, may hold spaces: split after it.
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
                continue
            if parent == pid:
                found.append(int(entry))
    return found


def enqueue(redis_url: str, task: str, *args) -> None:
    """Send a task as the web dyno would, by name, to the Redis broker."""
    from celery import Celery

    with Celery(broker=redis_url) as app:
        app.send_task(task, args=args)


def queue_length(redis_url: str, queue: str = "celery") -> int:
    """Messages waiting in a Celery queue on Redis (a list under the queue's name)."""
    import redis

    with redis.Redis.from_url(redis_url) as client:
        return client.llen(queue)
