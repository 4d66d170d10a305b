"""What Heroku's own log lines mean: which are errors worth an event, about which dyno (classify, CODES).

Three parts of the platform write errors about an app, never seen by the SDK
inside a dyno (https://devcenter.heroku.com/articles/error-codes):

- the router (``heroku router``): ``at=error code=H12 desc="Request timeout" method=GET path="/" … dyno=web.1``;
- the dyno manager (``heroku web.1``): ``Error R14 (Memory quota exceeded)``, ``State changed from up to crashed``,
  and, with ``heroku labs:enable log-runtime-metrics``, ``source=web.1 … sample#memory_total=… sample#memory_quota=…``;
- Logplex (``heroku logplex``): ``Error L10 (output buffer overflow): 500 messages dropped since …``.

And two add-ons write their metrics as app lines (``app heroku-redis``,
``app heroku-postgres``: ``sample#active-connections=… sample#max-connections=…``),
https://devcenter.heroku.com/articles/heroku-redis-metrics-logs and
https://devcenter.heroku.com/articles/heroku-postgres-metrics-logs.

classify() reads a batch in order and returns one PlatformError per line worth
an event, each about the dyno the line names, never the dyno that received it.
A dyno name that is neither Cedar's (``web.1``, ``run.1234``) nor Fir's
(``web-6b8d9f7c4-x2k9z``) is ``unknown``: the name as written stays in the
event's context only, so no value from a line picks a tag or an issue.
Other app lines (``app web.1``) are left alone: the SDK in that dyno reports them.
What Sentry gets for each PlatformError is events.py's part.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..dyno import CEDAR_NAME, FIR_NAME
from .frames import LogLine

_ERROR, _WARNING = "error", "warning"


@dataclass(frozen=True)
class Code:
    title: str
    level: str | None  # None: known, and not worth an event
    # At most this many events per dyno and issue in this many seconds (None: the drain's configured limit a minute).
    limit: tuple[int, int] | None = None


# To add a code: add a row here; H codes are read from router lines, R codes and "crashed"/"memory" from
# dyno-manager lines, L codes from Logplex's. A code missing here is still reported, at the router's own level.
CODES = {
    "H10": Code("App crashed", _ERROR),
    "H11": Code("Backlog too deep", _ERROR),
    "H12": Code("Request timeout", _ERROR),
    "H13": Code("Connection closed without response", _ERROR),
    "H14": Code("No web dynos running", _ERROR),
    "H15": Code("Idle connection", _ERROR),
    "H17": Code("Poorly formatted HTTP response", _ERROR),
    "H18": Code("Server Request Interrupted", _ERROR),
    "H19": Code("Backend connection timeout", _ERROR),
    "H20": Code("App boot timeout", _ERROR),
    "H21": Code("Backend connection refused", _ERROR),
    "H22": Code("Connection limit reached", _ERROR),
    "H23": Code("Endpoint misconfigured", _ERROR),
    "H24": Code("Forced close", _ERROR),
    "H25": Code("HTTP Restriction", _ERROR),
    "H26": Code("Request Error", _WARNING),
    "H27": Code("Client Request Interrupted", _WARNING),
    "H28": Code("Client Connection Idle", _WARNING),
    "H31": Code("Misdirected Request", _WARNING),
    "H80": Code("Maintenance mode", None),
    "H81": Code("Blank app", None),
    "H82": Code("Free dyno quota exhausted", None),
    "H83": Code("Planned Service Degradation", _WARNING),
    "H99": Code("Platform error", _ERROR),
    "R10": Code("Boot timeout", _ERROR),
    "R12": Code("Exit timeout", _ERROR),
    "R13": Code("Attach error", _WARNING),
    "R14": Code("Memory quota exceeded", _ERROR),
    "R15": Code("Memory quota vastly exceeded", _ERROR),
    "R16": Code("Detached", _WARNING),
    "R17": Code("Checksum error", _ERROR),
    "R99": Code("Platform error", _ERROR),
    "crashed": Code("Dyno crashed", _ERROR),
    "memory": Code("Memory near quota", _WARNING, limit=(1, 600)),
    "connections": Code("Add-on connections near the limit", _WARNING, limit=(1, 600)),
    "L10": Code("Drain buffer overflow", _WARNING),
    "L11": Code("Tail buffer overflow", _WARNING),
    "L12": Code("Local buffer overflow", _WARNING),
    "L13": Code("Local delivery error", _WARNING),
    "L14": Code("Certificate validation error", _WARNING),
    "L15": Code("Tail buffer temporarily unavailable", None),
}
_ROUTER_LEVELS = {"error": _ERROR, "warning": _WARNING}

_ROUTER_FIELD = re.compile(r'(\w+)=("[^"]*"|\S*)')
_ROUTER_CODE = re.compile(r"H[0-9]{2}")
_DYNO_ERROR = re.compile(r"Error (R[0-9]{2}) \(([^)]*)\)(?: -> (.*))?")
# Shared with scheduler.py, which reads the same two lines of a scheduler.N dyno.
CRASHED = re.compile(r"State changed from (\w+) to crashed")
EXITED = re.compile(r"Process exited with status ([0-9]{1,9})")
_RUNNING = re.compile(r"Process running mem=([0-9]{1,9})M(?:B)?\(([0-9]{1,9}(?:\.[0-9]{1,6})?)%\)")
_SAMPLE_MB = re.compile(r"sample#(memory_[a-z]+)=([0-9]{1,9}(?:\.[0-9]{1,6})?)MB")
_SOURCE = re.compile(r"source=(\S+)")
_LOGPLEX_ERROR = re.compile(r"(?:Error )?(L[0-9]{2}) \(([^)]*)\)")
_DROPPED = re.compile(r"([0-9]{1,9}) messages")  # "500 messages dropped", "dropped 1101 messages", "111 messages lost"
_DIGITS = re.compile(r"[0-9]{1,9}")
_DYNO_LINE_STARTS = ("Error R", "State changed from ", "Process exited with status ", "Process running mem=", "source=")
# A dyno name is short; Heroku's longest process types are far under this.
_DYNO_NAME_MAX = 64
_UNKNOWN = "unknown"  # a dyno or add-on attachment named in a form Heroku does not write
# The add-ons whose metrics lines (app heroku-redis, app heroku-postgres) say how full their connection limit is.
_ADDONS = {"heroku-redis": "Heroku Key-Value Store", "heroku-postgres": "Heroku Postgres"}
# Redis spells it connection-percentage-used, Postgres connections-percentage-used: both a fraction of 1.
_CONNECTION_SAMPLE = re.compile(
    r"(?<!\S)sample#(active-connections|max-connections|connections?-percentage-used)=([0-9]{1,9}(?:\.[0-9]{1,9})?)(?!\S)"
)
_ATTACHMENT = re.compile(
    r"(?<!\S)source=([A-Z][A-Z0-9_]{0,99})(?!\S)"
)  # the config var's name, less _URL: REDIS, DATABASE
_ADDON_NAME = re.compile(r"(?<!\S)addon=([a-z][a-z0-9-]{0,99})(?!\S)")  # redis-metric-98068, postgresql-curved-12345


@dataclass(frozen=True)
class PlatformError:
    code: str  # "H12", "R14", "L10", "crashed", "memory"
    title: str
    level: str
    source: str  # "router", "dyno", "logplex" or "addon": who wrote the line
    # The dyno the line is about: a Cedar or Fir name, "unknown" for any other, "router" or "logplex" when it
    # names none, the add-on ("heroku-redis") for add-on metrics.
    dyno: str
    message: str
    timestamp: str
    path: str = ""  # router errors: the request's path, without its query string
    tags: dict[str, str] = field(default_factory=dict)
    data: dict[str, object] = field(default_factory=dict)

    @property
    def limit(self) -> tuple[int, int] | None:
        row = CODES.get(self.code)
        return row.limit if row else None


def classify(lines: Iterable[LogLine], *, memory_percent: float, connections_percent: float) -> list[PlatformError]:
    found = []
    # What earlier lines of the batch said about each dyno: its last exit status and memory reading.
    recent: dict[str, dict[str, object]] = {}
    for line in lines:
        if line.app == "app" and line.process in _ADDONS:
            error = _connections_warning(line, connections_percent)
        elif line.app != "heroku":
            continue
        elif line.process == "router":
            error = _router_error(line)
        elif line.process == "logplex":
            error = _logplex_error(line)
        else:
            error = _dyno_error(line, recent.setdefault(line.process, {}), memory_percent)
        if error is not None:
            found.append(error)
    return found


def _router_error(line: LogLine) -> PlatformError | None:
    if "code=" not in line.message:  # the router's ordinary line: at=info method=GET …
        return None
    fields = {name: value.strip('"') for name, value in _ROUTER_FIELD.findall(line.message)}
    code = fields.get("code", "")
    if not _ROUTER_CODE.fullmatch(code):
        return None
    row = CODES.get(code)
    level = row.level if row else _ROUTER_LEVELS.get(fields.get("at", ""))
    if level is None:
        return None
    title = row.title if row else fields.get("desc") or code
    method = fields.get("method", "")
    # The query string stays out of Sentry: it is where secrets and personal data travel.
    path = fields.get("path", "").split("?", 1)[0]
    tags = {"method": method, "status": fields.get("status", ""), "request_id": fields.get("request_id", "")}
    data = {
        "connect_ms": _milliseconds(fields.get("connect", "")),
        "service_ms": _milliseconds(fields.get("service", "")),
        "path": path,
        "host": fields.get("host", ""),
        "desc": fields.get("desc", ""),
        "cause": fields.get("cause", ""),
        "sock": fields.get("sock", ""),
        "bytes": fields.get("bytes", ""),
        "protocol": fields.get("protocol", ""),
    }
    dyno, as_written = _dyno_named(fields.get("dyno", ""), none="router")
    data["dyno_in_line"] = as_written
    return PlatformError(
        code=code,
        title=title,
        level=level,
        source="router",
        dyno=dyno,
        message=f"{code} {title}: {method} {path}".rstrip(": "),
        timestamp=line.timestamp,
        path=path,
        tags={name: value for name, value in tags.items() if value},
        data={name: value for name, value in data.items() if value not in ("", None)},
    )


def _dyno_named(name: str, *, none: str) -> tuple[str, str | None]:
    """(the dyno to tag, the name as written when it is not a dyno's): Cedar's or Fir's form, else "unknown"."""
    if not name:
        return none, None
    if len(name) <= _DYNO_NAME_MAX and name.isascii() and (CEDAR_NAME.fullmatch(name) or FIR_NAME.fullmatch(name)):
        return name, None
    return _UNKNOWN, name


def _milliseconds(value: str) -> int | None:
    """The router's "30001ms" (or a bare number on older lines) as an int; None when empty."""
    value = value.removesuffix("ms")
    return int(value) if _DIGITS.fullmatch(value) else None


def _dyno_error(line: LogLine, recent: dict[str, object], memory_percent: float) -> PlatformError | None:
    message = line.message
    if not message.startswith(_DYNO_LINE_STARTS):
        return None
    dyno, as_written = _dyno_named(line.process, none=_UNKNOWN)
    if match := _DYNO_ERROR.match(message):
        code, title_in_line, detail = match.groups()
        row = CODES.get(code)
        if row is not None and row.level is None:
            return None
        title = row.title if row else title_in_line
        data = {"detail": detail or "", **_recent_memory(recent), "dyno_in_line": as_written}
        return _dyno_event(line, code, title, row.level if row else _ERROR, f"{code} {title}: {dyno}", data, dyno=dyno)
    if match := EXITED.match(message):
        recent["exit_status"] = int(match[1])
        return None
    if match := _RUNNING.match(message):
        recent["memory_mb"], recent["memory_percent"] = int(match[1]), float(match[2])
        return None
    if match := CRASHED.match(message):
        status = recent.get("exit_status")
        suffix = f" (exit status {status})" if status is not None else ""
        data = {"from_state": match[1], "exit_status": status, "dyno_in_line": as_written}
        return _dyno_event(
            line, "crashed", CODES["crashed"].title, _ERROR, f"Dyno crashed: {dyno}{suffix}", data, dyno=dyno
        )
    if message.startswith("source="):
        return _memory_warning(line, memory_percent)
    return None


def _recent_memory(recent: dict[str, object]) -> dict[str, object]:
    return {name: recent[name] for name in ("memory_mb", "memory_percent") if name in recent}


def _memory_warning(line: LogLine, memory_percent: float) -> PlatformError | None:
    """A log-runtime-metrics sample at or above memory_percent of the dyno's quota (R14 comes at 100 %)."""
    samples = {name: float(value) for name, value in _SAMPLE_MB.findall(line.message)}
    total, quota = samples.get("memory_total"), samples.get("memory_quota")
    if not total or not quota:
        return None
    percent = 100 * total / quota
    if percent < memory_percent:
        return None
    source = _SOURCE.match(line.message)
    dyno, as_written = _dyno_named(source[1] if source else line.process, none=_UNKNOWN)
    data = {
        "dyno_in_line": as_written,
        "memory_total_mb": total,
        "memory_quota_mb": quota,
        "memory_percent": round(percent, 1),
        **{f"{name}_mb": value for name, value in samples.items() if name in ("memory_rss", "memory_swap")},
    }
    message = f"Memory at {percent:.0f}% of quota: {dyno} ({total:.0f} of {quota:.0f} MB)"
    return _dyno_event(line, "memory", CODES["memory"].title, _WARNING, message, data, dyno=dyno)


def _connections_warning(line: LogLine, connections_percent: float) -> PlatformError | None:
    """An add-on's metrics line at or above connections_percent of its plan's connection limit."""
    samples = {name: float(value) for name, value in _CONNECTION_SAMPLE.findall(line.message)}
    active, limit = samples.get("active-connections"), samples.get("max-connections")
    fraction = samples.get("connection-percentage-used", samples.get("connections-percentage-used"))
    if fraction is None and active is not None and limit:
        fraction = active / limit
    if fraction is None:
        return None
    percent = round(100 * fraction, 1)
    if percent < connections_percent:
        return None
    attachment, addon = _ATTACHMENT.search(line.message), _ADDON_NAME.search(line.message)
    attachment_name = attachment[1] if attachment else _UNKNOWN
    counts = f" ({active:.0f} of {limit:.0f})" if active is not None and limit else ""
    message = (
        f"{_ADDONS[line.process]} {attachment_name} at {percent:.0f}% of its connection limit{counts}: "
        "upgrade the plan or lower the pools (heroku run python manage.py capacity)"
    )
    data = {
        "addon": addon[1] if addon else None,
        "attachment": attachment_name,
        "active_connections": int(active) if active is not None else None,
        "max_connections": int(limit) if limit is not None else None,
        "connections_percent": percent,
    }
    row = CODES["connections"]
    return _dyno_event(line, "connections", row.title, row.level, message, data, dyno=line.process, source="addon")


def _dyno_event(
    line: LogLine, code: str, title: str, level: str, message: str, data: dict, *, dyno: str, source: str = "dyno"
) -> PlatformError:
    return PlatformError(
        code=code,
        title=title,
        level=level,
        source=source,
        dyno=dyno,
        message=message,
        timestamp=line.timestamp,
        data={name: value for name, value in data.items() if value not in ("", None)},
    )


def _logplex_error(line: LogLine) -> PlatformError | None:
    match = _LOGPLEX_ERROR.match(line.message)
    if match is None:
        return None
    code = match[1]
    row = CODES.get(code)
    if row is not None and row.level is None:
        return None
    title = row.title if row else match[2]
    dropped = _DROPPED.search(line.message)
    count = int(dropped[1]) if dropped else None
    message = f"{code} {title}" + (f": {count} log lines dropped" if count is not None else "")
    return PlatformError(
        code=code,
        title=title,
        level=row.level if row else _WARNING,
        source="logplex",
        dyno="logplex",
        message=message,
        timestamp=line.timestamp,
        data={"dropped": count, "detail": line.message[:500]} if count is not None else {"detail": line.message[:500]},
    )
