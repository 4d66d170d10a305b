"""Heroku's own log lines, in the formats its Dev Center documents, and drain POSTs built from them byte for byte.

https://devcenter.heroku.com/articles/error-codes (router and dyno-manager lines)
https://devcenter.heroku.com/articles/log-runtime-metrics (memory samples)
https://devcenter.heroku.com/articles/heroku-redis-metrics-logs, …/heroku-postgres-metrics-logs (add-on samples)
https://devcenter.heroku.com/articles/log-drains#https-drains (framing and headers)

A frame is "<length> <PRI>1 <timestamp> host <app> <procid> - <message>\n",
as Logplex writes it; the bench uses the same builders.
"""

import base64
import itertools
import uuid

TIMESTAMP = "2026-11-26T14:02:03.123456+00:00"
HOST = "bahk-test-1a2b3c4d5e6f.herokuapp.com"
DRAIN_TOKEN = "d.73ea7440-270a-435a-a0ea-adf50b4e5f5a"
_request_ids = itertools.count(1)


def request_id() -> str:
    return f"5c1e8f1a-0000-4000-8000-{next(_request_ids):012d}"


def router(
    code: str,
    desc: str,
    *,
    path: str = "/api/participants/map/",
    dyno: str = "web.1",
    at: str = "error",
    host: str = HOST,
    **fields,
) -> str:
    """A router error line: at=error code=H12 desc="Request timeout" method=GET path="/" … dyno=web.1 …"""
    values = {
        "method": "GET",
        "request_id": request_id(),
        "fwd": '"203.0.113.42"',
        "connect": "1ms",
        "service": "30000ms",
        "status": "503",
        "bytes": "0",
        "protocol": "https",
        **fields,
    }
    prefix = f"sock={values.pop('sock')} " if "sock" in values else ""
    return (
        f'{prefix}at={at} code={code} desc="{desc}" method={values.pop("method")} path="{path}" host={host} '
        f"request_id={values.pop('request_id')} fwd={values.pop('fwd')} dyno={dyno} "
        + " ".join(f"{name}={value}" for name, value in values.items())
    )


def router_ok(path: str = "/api/participants/map/", dyno: str = "web.1", status: int = 200) -> str:
    """The router's line for an ordinary request, most of what a drain carries."""
    return (
        f'at=info method=GET path="{path}" host={HOST} request_id={request_id()} fwd="203.0.113.42" '
        f"dyno={dyno} connect=0ms service=12ms status={status} bytes=1520 protocol=https"
    )


def memory_sample(dyno: str, total_mb: float, quota_mb: float = 512.0) -> str:
    return (
        f"source={dyno} dyno=heroku.2808254.d97d0ea7-cf3d-411b-b453-d2943a50b456 "
        f"sample#memory_total={total_mb:.2f}MB sample#memory_rss={total_mb - 1:.2f}MB sample#memory_cache=1.00MB "
        f"sample#memory_swap=0.00MB sample#memory_pgpgin=348836pages sample#memory_pgpgout=343403pages "
        f"sample#memory_quota={quota_mb:.2f}MB"
    )


def load_sample(dyno: str) -> str:
    return (
        f"source={dyno} dyno=heroku.2808254.d97d0ea7-cf3d-411b-b453-d2943a50b456 "
        "sample#load_avg_1m=0.46 sample#load_avg_5m=0.26 sample#load_avg_15m=0.19"
    )


def redis_metrics(active: int, limit: int, *, source: str = "REDIS", addon: str = "redis-metric-98068") -> str:
    """Heroku Key-Value Store's line (app heroku-redis): the percentage is spelled connection-, a fraction of 1."""
    return (
        f"source={source} addon={addon} sample#active-connections={active} sample#max-connections={limit} "
        f"sample#connection-percentage-used={active / limit:.5f} sample#load-avg-1m=1.51 sample#load-avg-5m=1.09 "
        "sample#load-avg-15m=1.135 sample#read-iops=0 sample#write-iops=0 sample#max-iops=3000 "
        "sample#iops-percentage-used=0.00000 sample#memory-total=16167800kB sample#memory-free=10693340kB "
        "sample#memory-percentage-used=0.33860 sample#memory-cached=979072kB sample#memory-redis=5116080bytes "
        "sample#hit-rate=0.0013079 sample#evicted-keys=0"
    )


def postgres_metrics(
    active: int, limit: int, *, source: str = "DATABASE", addon: str = "postgresql-curved-12345"
) -> str:
    """Heroku Postgres's line (app heroku-postgres): spelled connections-, a fraction of 1 without padding."""
    return (
        f"source={source} addon={addon} sample#current_transaction=1873 sample#db_size=26219348792bytes "
        f"sample#db-size-percentage-used=0.02767 sample#tables=13 sample#active-connections={active} "
        f"sample#waiting-connections=1 sample#max-connections={limit} "
        f"sample#connections-percentage-used={round(active / limit, 5)} sample#index-cache-hit-rate=0.99723 "
        "sample#table-cache-hit-rate=0.99118 sample#load-avg-1m=0.39 sample#load-avg-5m=0.325 sample#load-avg-15m=0.3 "
        "sample#read-iops=0 sample#write-iops=112.73 sample#max-iops=3000 sample#iops-percentage-used=0.03758 "
        "sample#tmp-disk-used=543600640 sample#tmp-disk-available=72435191808 sample#memory-total=4045060kB "
        "sample#memory-free=159696kB sample#memory-percentage-used=0.96052 sample#memory-cached=3707032kB "
        "sample#memory-postgres=182592kB"
    )


# Codes the router writes for requests anyone can make: a client that hangs up (H27), a request the dyno drops
# (H13, H18), a request the router refuses (H26). https://devcenter.heroku.com/articles/error-codes
ATTACKER_CODES = [
    ("H27", "Client Request Interrupted", {"at": "warning", "sock": "client", "status": "499"}),
    ("H13", "Connection closed without response", {}),
    ("H18", "Server Request Interrupted", {"sock": "backend"}),
    ("H26", "Request Error", {"at": "warning", "status": "400"}),
]
ATTACKER_METHODS = ["GET", "POST", "PUT", "PROPFIND", "DELETE", "OPTIONS", "X-SCAN"]


def attacker_lines(count: int, dyno: str) -> list[tuple[str, str, str]]:
    """Router errors for count requests a stranger made: each its own path, method, Host and client address."""
    batch = []
    for number in range(count):
        code, desc, fields = ATTACKER_CODES[number % len(ATTACKER_CODES)]
        line = router(
            code,
            desc,
            dyno=dyno,
            path=f"/scan-{number}/{uuid.uuid4().hex[:8]}.php?id={number}",
            method=ATTACKER_METHODS[number % len(ATTACKER_METHODS)],
            host=f"h{number}.attacker.example",
            fwd=f'"198.51.100.{number % 250}"',
            **fields,
        )
        batch.append(("heroku", "router", line))
    return batch


L10 = "Error L10 (output buffer overflow): 500 messages dropped since 2026-11-26T14:01:46+00:00."
L11 = "L11 (Tail buffer overflow) -> This tail session dropped 1101 messages since 2026-11-26T14:01:46+00:00."
R10 = "Error R10 (Boot timeout) -> Web process failed to bind to $PORT within 60 seconds of launch"
R14 = "Error R14 (Memory quota exceeded)"
R15 = "Error R15 (Memory quota vastly exceeded)"

# The PRI values Heroku's drains carry: 158 on router lines, 172 on the dyno manager's and Logplex's, 190 on app output.
PRIORITY = {"router": 158, "heroku": 172, "app": 190}


def frame(app: str, process: str, message: str, *, timestamp: str = TIMESTAMP) -> bytes:
    priority = PRIORITY["router"] if process == "router" else PRIORITY.get(app, 190)
    # The length counts the newline that ends the line (Logplex's README: 10 frames of "70 …" make 730 bytes).
    data = f"<{priority}>1 {timestamp} host {app} {process} - {message}\n".encode()
    return b"%d %s" % (len(data), data)


def body(lines: list[tuple[str, str, str]]) -> bytes:
    """Frames back to back, as Logplex writes a batch."""
    return b"".join(frame(*line) for line in lines)


def headers(count: int, *, frame_id: str | None = None, secret: str | None = None) -> dict[str, str]:
    values = {
        "Content-Type": "application/logplex-1",
        "Logplex-Msg-Count": str(count),
        "Logplex-Frame-Id": frame_id or uuid.uuid4().hex.upper(),
        "Logplex-Drain-Token": DRAIN_TOKEN,
        "User-Agent": "Logplex/v123",
        "Host": HOST,
        "X-Forwarded-Proto": "https",
    }
    if secret is not None:
        values["Authorization"] = "Basic " + base64.b64encode(f"drain:{secret}".encode()).decode()
    return values


def scheduler_run(dyno: str, command: str, *ending: str) -> list[tuple[str, str, str]]:
    """A Scheduler run as Heroku logs it: the api's line, the dyno's start, then these lines of the dyno's.

    https://devcenter.heroku.com/articles/scheduler#inspecting-output; a one-off dyno ends "complete"
    whatever its exit status (pvzig/SlackKit #210: "Process exited with status 132", then "up to complete").
    """
    return [
        ("app", "api", f"Starting process with command `{command}` by user scheduler@addons.heroku.com"),
        ("heroku", dyno, f"Starting process with command `{command}`"),
        ("heroku", dyno, "State changed from starting to up"),
        *[("heroku", dyno, message) for message in ending],
    ]


def exited(status: int) -> list[str]:
    return [f"Process exited with status {status}", "State changed from up to complete"]


# R15 is the dyno manager's SIGKILL: the process has no say, and no Python runs after it.
KILLED_OVER_MEMORY = [R14, R15, "Stopping process with SIGKILL", *exited(137)]
