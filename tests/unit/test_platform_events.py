"""What a platform error's Sentry event says: the dyno it is about, its grouping, its data."""

from sentry_heroku.logplex import LogLine
from sentry_heroku.platform_errors import classify
from sentry_heroku.platform_events import event, tags
from tests.support import logplex_lines as lines


def error(app: str, process: str, message: str):
    [found] = classify([LogLine(lines.TIMESTAMP, app, process, message)], memory_percent=90)
    return found


def test_router_error_event_is_tagged_and_grouped_by_code_and_route():
    h12 = error("heroku", "router", lines.router("H12", "Request timeout", dyno="web.2", request_id="abc-123"))
    payload = event(h12, route="/users/{pk}/", count=3)
    assert tags(h12) == {
        "dyno": "web.2",
        "dyno_type": "web",
        "heroku_error": "H12",
        "method": "GET",
        "status": "503",
        "request_id": "abc-123",
    }
    assert payload["fingerprint"] == ["heroku", "H12", "/users/{pk}/"]
    assert (payload["server_name"], payload["level"], payload["transaction"]) == ("web.2", "error", "/users/{pk}/")
    assert payload["contexts"]["heroku_log"]["count"] == 3
    assert payload["timestamp"] == "2026-11-26T14:02:03.123456+00:00"


def test_dyno_error_event_is_grouped_by_code_and_process_type():
    r14 = error("heroku", "worker.3", lines.R14)
    payload = event(r14, route="", count=1)
    assert tags(r14) == {"dyno": "worker.3", "dyno_type": "worker", "heroku_error": "R14"}
    assert payload["fingerprint"] == ["heroku", "R14", "worker"]
    assert payload["server_name"] == "worker.3"


def test_an_unreadable_line_timestamp_is_left_to_the_sdk():
    [r14] = classify([LogLine("2026-13-45Tnope", "heroku", "web.1", lines.R14)], memory_percent=90)
    assert "timestamp" not in event(r14, route="", count=1)


def test_an_overlong_dyno_name_is_cut_to_fit_a_tag():
    r14 = error("heroku", "x" * 500, lines.R14)
    assert len(tags(r14)["dyno"]) == 64
