"""Which Heroku lines become events, about which dyno, saying what: one row per documented line format."""

import pytest

from sentry_heroku.drain.frames import LogLine
from sentry_heroku.drain.lines import CODES, classify
from tests.support import logplex_lines as lines


def one(app: str, process: str, message: str, *, memory_percent: float = 90, connections_percent: float = 80):
    found = classify(
        [LogLine(lines.TIMESTAMP, app, process, message)],
        memory_percent=memory_percent,
        connections_percent=connections_percent,
    )
    assert len(found) <= 1
    return found[0] if found else None


@pytest.mark.parametrize(
    ("message", "code", "level", "dyno", "title"),
    [
        (lines.router("H12", "Request timeout"), "H12", "error", "web.1", "Request timeout"),
        (lines.router("H10", "App crashed", dyno=""), "H10", "error", "router", "App crashed"),
        (lines.router("H13", "Connection closed without response", dyno="web.2"), "H13", "error", "web.2",
         "Connection closed without response"),
        (lines.router("H18", "Server Request Interrupted", sock="backend"), "H18", "error", "web.1",
         "Server Request Interrupted"),
        (lines.router("H27", "Client Request Interrupted", at="warning", sock="client", status="499"), "H27", "warning",
         "web.1", "Client Request Interrupted"),
        (lines.router("H98", "Something new", at="error"), "H98", "error", "web.1", "Something new"),
    ],
    ids=["H12", "H10-no-dyno", "H13", "H18", "H27", "unknown-code"],
)  # fmt: skip
def test_router_errors_name_the_code_the_request_and_the_dyno_the_router_chose(message, code, level, dyno, title):
    error = one("heroku", "router", message)
    assert (error.code, error.level, error.dyno, error.source) == (code, level, dyno, "router")
    assert error.message == f"{code} {title}: GET /api/participants/map/"


def test_router_error_carries_request_id_method_status_and_timings_but_not_the_client_address():
    line = lines.router("H12", "Request timeout", request_id="b948fc97-d9de-44d1-8e11-797d5be1e49e")
    error = one("heroku", "router", line)
    assert error.tags == {"method": "GET", "status": "503", "request_id": "b948fc97-d9de-44d1-8e11-797d5be1e49e"}
    assert (error.data["connect_ms"], error.data["service_ms"]) == (1, 30000)
    assert error.data["host"] == lines.HOST
    assert "203.0.113.42" not in repr(error)


def test_the_query_string_of_a_router_error_never_reaches_the_event():
    error = one("heroku", "router", lines.router("H12", "Request timeout", path="/reset/?token=s3cr3t&email=a@b.c"))
    assert error.path == "/reset/"
    assert "s3cr3t" not in repr(error)


@pytest.mark.parametrize(
    "message",
    [
        lines.router_ok(),
        lines.router("H80", "Maintenance mode", at="info"),
        lines.router("H81", "Blank app", at="info"),
        lines.router("H99x", "Not a code"),
        "at=error code= desc=",
    ],
    ids=["ordinary-request", "H80-maintenance", "H81-blank", "malformed-code", "empty-code"],
)
def test_router_lines_that_are_not_errors_give_nothing(message):
    assert one("heroku", "router", message) is None


@pytest.mark.parametrize(
    ("process", "message", "code", "text"),
    [
        ("web.1", lines.R10, "R10", "R10 Boot timeout: web.1"),
        ("worker.1", lines.R14, "R14", "R14 Memory quota exceeded: worker.1"),
        ("scheduler.4022", lines.R15, "R15", "R15 Memory quota vastly exceeded: scheduler.4022"),
        ("worker.2", "Error R12 (Exit timeout) -> Process failed to exit within 30 seconds of SIGTERM", "R12",
         "R12 Exit timeout: worker.2"),
        ("web.3", "State changed from up to crashed", "crashed", "Dyno crashed: web.3"),
        ("web-12a34b56d-e78f9", lines.R14, "R14", "R14 Memory quota exceeded: web-12a34b56d-e78f9"),
    ],
    ids=["R10", "R14", "R15-one-off", "R12", "crash", "fir-name"],
)  # fmt: skip
def test_dyno_manager_errors_are_about_the_dyno_that_wrote_them(process, message, code, text):
    error = one("heroku", process, message)
    assert (error.code, error.dyno, error.message, error.source, error.level) == (code, process, text, "dyno", "error")


def test_a_crash_says_the_exit_status_from_the_line_before_it():
    batch = [
        LogLine(lines.TIMESTAMP, "heroku", "web.1", "Process exited with status 1"),
        LogLine(lines.TIMESTAMP, "heroku", "web.1", "State changed from up to crashed"),
    ]
    [error] = classify(batch, memory_percent=90, connections_percent=80)
    assert error.message == "Dyno crashed: web.1 (exit status 1)"
    assert error.data == {"from_state": "up", "exit_status": 1}


def test_a_restart_is_not_a_crash():
    batch = [
        LogLine(lines.TIMESTAMP, "heroku", "web.1", "Stopping all processes with SIGTERM"),
        LogLine(lines.TIMESTAMP, "heroku", "web.1", "Process exited with status 143"),
        LogLine(lines.TIMESTAMP, "heroku", "web.1", "State changed from up to down"),
    ]
    assert classify(batch, memory_percent=90, connections_percent=80) == []


def test_r14_carries_the_memory_reading_from_the_line_before_it():
    batch = [
        LogLine(lines.TIMESTAMP, "heroku", "worker.1", "Process running mem=1028M(103.3%)"),
        LogLine(lines.TIMESTAMP, "heroku", "worker.1", lines.R14),
    ]
    [error] = classify(batch, memory_percent=90, connections_percent=80)
    assert (error.data["memory_mb"], error.data["memory_percent"]) == (1028, 103.3)


@pytest.mark.parametrize(
    ("total_mb", "percent", "warned"),
    [(460.8, 90, True), (460.0, 90, False), (300.0, 50, True), (511.0, 100, False), (600.0, 100, True)],
    ids=["at-90", "just-under-90", "custom-50", "under-100", "over-100"],
)
def test_a_memory_sample_near_the_quota_is_a_warning_about_its_source_dyno(total_mb, percent, warned):
    error = one("heroku", "web.2", lines.memory_sample("web.2", total_mb), memory_percent=percent)
    assert (error is not None) == warned
    if warned:
        assert (error.code, error.level, error.dyno) == ("memory", "warning", "web.2")
        assert error.data["memory_quota_mb"] == 512.0
        assert error.message.startswith("Memory at ")


@pytest.mark.parametrize(
    ("message", "code", "text"),
    [
        (lines.L10, "L10", "L10 Drain buffer overflow: 500 log lines dropped"),
        (lines.L11, "L11", "L11 Tail buffer overflow: 1101 log lines dropped"),
    ],
)
def test_logplex_overflows_are_warnings(message, code, text):
    error = one("heroku", "logplex", message)
    assert (error.code, error.level, error.dyno, error.message) == (code, "warning", "logplex", text)


@pytest.mark.parametrize(
    ("app", "process", "message"),
    [
        ("app", "web.1", lines.router("H12", "Request timeout")),
        ("app", "worker.1", lines.R14),
        ("app", "web.1", "Traceback (most recent call last):"),
        ("heroku", "web.1", lines.load_sample("web.1")),
        ("heroku", "web.1", "Starting process with command `gunicorn bahk.wsgi`"),
        ("heroku", "api", "Release v42 created by user someone@example.com"),
    ],
    ids=["app-prints-router-text", "app-prints-r14", "app-traceback", "load-sample", "starting", "api"],
)
def test_lines_that_are_not_platform_errors_give_nothing(app, process, message):
    assert one(app, process, message) is None


def test_every_code_in_the_table_has_a_title_and_a_known_level():
    assert all(row.title and row.level in ("error", "warning", None) for row in CODES.values())


ADDON_LINES = [("heroku-redis", lines.redis_metrics, 200), ("heroku-postgres", lines.postgres_metrics, 400)]


@pytest.mark.parametrize(("process", "sample", "limit"), ADDON_LINES, ids=["redis", "postgres"])
@pytest.mark.parametrize(("percent", "warned"), [(79, False), (80, True), (81, True)], ids=["79", "80", "81"])
def test_an_addon_at_80_percent_of_its_connections_is_a_warning_naming_it_the_numbers_and_the_fix(
    process, sample, limit, percent, warned
):
    active = limit * percent // 100
    error = one("app", process, sample(active, limit))
    assert (error is not None) == warned
    if warned:
        assert (error.code, error.level, error.source, error.dyno) == ("connections", "warning", "addon", process)
        assert f"at {percent}% of its connection limit ({active} of {limit})" in error.message
        assert "upgrade the plan or lower the pools" in error.message
        assert "python manage.py capacity" in error.message
        assert error.data["active_connections"] == active
        assert error.data["max_connections"] == limit
        assert error.data["connections_percent"] == percent


def test_each_addon_is_named_with_its_attachment():
    redis = one("app", "heroku-redis", lines.redis_metrics(19, 20, source="HEROKU_REDIS_ORANGE"))
    postgres = one("app", "heroku-postgres", lines.postgres_metrics(19, 20))
    assert redis.message.startswith("Heroku Key-Value Store HEROKU_REDIS_ORANGE at 95% ")
    assert postgres.message.startswith("Heroku Postgres DATABASE at 95% ")
    assert (redis.data["addon"], postgres.data["attachment"]) == ("redis-metric-98068", "DATABASE")


def test_the_connections_threshold_is_configurable():
    line = lines.redis_metrics(162, 200)
    assert one("app", "heroku-redis", line, connections_percent=90) is None
    assert one("app", "heroku-redis", line, connections_percent=50).code == "connections"


def test_a_metrics_line_without_the_percentage_is_read_from_its_counts():
    error = one("app", "heroku-redis", "source=REDIS sample#active-connections=17 sample#max-connections=20")
    assert error.data["connections_percent"] == 85


@pytest.mark.parametrize(
    ("process", "message"),
    [
        ("heroku-redis", "source=REDIS sample#active-connections=4 sample#load-avg-1m=1.51"),
        ("heroku-redis", "source=REDIS sample#connection-percentage-used=0.9x"),
        ("web.1", lines.redis_metrics(19, 20)),  # a dyno printing the same text is the app's own output
        ("heroku-kafka", lines.redis_metrics(19, 20)),
    ],
    ids=["no-connection-figures", "not-a-number", "printed-by-a-dyno", "other-addon"],
)
def test_lines_that_are_not_an_addons_connection_figures_give_nothing(process, message):
    assert one("app", process, message) is None


def test_an_addon_attachment_in_another_form_is_unknown():
    error = one("app", "heroku-postgres", lines.postgres_metrics(19, 20, source="db\x1b[31m"))
    assert error.data["attachment"] == "unknown"


VALID_DYNOS = ["web.1", "run.1234", "scheduler.7", "release.42", "worker-2.3", "web-6b8d9f7c4-x2k9z"]
# Each a dyno= value or procid someone could write: NUL, an escape sequence, DEL, a C1 control, not ASCII, too long,
# or not a dyno's shape at all.
HOSTILE_DYNOS = ["web.1\x00", "web.1\x1b[2J", "\x7fweb.1", "web.1\x9b", "wéb.1", "web.\uff11", "w" * 70 + ".1", "web",
                 "web.1.2", "../web.1", "web.-1", "web-6b8d9f7c4-x2k9"]  # fmt: skip


@pytest.mark.parametrize("written", VALID_DYNOS + HOSTILE_DYNOS + ["web.1\r", "web.1\n"])
def test_a_dyno_manager_line_about_a_name_not_in_cedars_or_firs_form_is_about_dyno_unknown(written):
    error = one("heroku", written, lines.R14)
    expected = written if written in VALID_DYNOS else "unknown"
    assert error.dyno == expected
    assert error.message == f"R14 Memory quota exceeded: {expected}"
    assert error.data.get("dyno_in_line") == (None if written in VALID_DYNOS else written)


@pytest.mark.parametrize("written", VALID_DYNOS + HOSTILE_DYNOS)
def test_a_router_line_naming_a_dyno_not_in_cedars_or_firs_form_is_about_dyno_unknown(written):
    error = one("heroku", "router", lines.router("H12", "Request timeout", dyno=written))
    assert error.dyno == (written if written in VALID_DYNOS else "unknown")
    assert error.data.get("dyno_in_line") == (None if written in VALID_DYNOS else written)


@pytest.mark.parametrize("written", HOSTILE_DYNOS)
def test_a_memory_sample_from_a_source_not_in_cedars_or_firs_form_is_about_dyno_unknown(written):
    error = one("heroku", "web.1", lines.memory_sample(written, 500))
    assert (error.dyno, error.data["dyno_in_line"]) == ("unknown", written)
