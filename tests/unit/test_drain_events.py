"""What a platform error's Sentry event says: the dyno it is about, its grouping, its data."""

import re

import pytest

from sentry_heroku.drain.events import event, tags
from sentry_heroku.drain.frames import LogLine
from sentry_heroku.drain.lines import classify
from sentry_heroku.limits import clean, tag_value
from sentry_heroku.routes import UNROUTED, url_route
from tests.support import logplex_lines as lines


def error(app: str, process: str, message: str):
    [found] = classify([LogLine(lines.TIMESTAMP, app, process, message)], memory_percent=90, connections_percent=80)
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
    [r14] = classify(
        [LogLine("2026-13-45Tnope", "heroku", "web.1", lines.R14)], memory_percent=90, connections_percent=80
    )
    assert "timestamp" not in event(r14, route="", count=1)


CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# What the attacker put in router lines: NUL, an escape sequence, DEL, a carriage return, a C1 control.
HOSTILE = "\x00\x1b[2J\x7f\r\x9b"


def test_no_control_character_reaches_a_tag_server_name_transaction_or_fingerprint():
    no_space = HOSTILE.replace("\r", "")  # unquoted router fields end at whitespace
    line = lines.router("H12", "Request timeout", dyno=f"web.1{no_space}", path=f"/users/{HOSTILE}/",
                        method=f"GET{no_space}", host=f"bahk{no_space}.example", request_id=f"rid{no_space}",
                        status=f"503{no_space}")  # fmt: skip
    h12 = error("heroku", "router", line)
    payload = event(h12, route=url_route(h12.path), count=1)
    sent = [*tags(h12).values(), payload["server_name"], payload["transaction"], *payload["fingerprint"]]
    assert [value for value in sent if CONTROL.search(value)] == []
    assert (tags(h12)["dyno"], tags(h12)["dyno_type"], payload["server_name"]) == ("unknown", "unknown", "unknown")
    assert (tags(h12)["method"], tags(h12)["request_id"]) == (tag_value(f"GET{no_space}"), tag_value(f"rid{no_space}"))
    context = payload["contexts"]["heroku_log"]
    assert context["dyno_in_line"] == clean(f"web.1{no_space}", 200)  # the name as written, cleaned, only here
    assert not CONTROL.search(context["path"] + context["host"] + payload["message"])


@pytest.mark.parametrize("length", [300, 9000], ids=["300-characters", "9-kilobytes"])
@pytest.mark.parametrize("prefix", ["/", "/admin/"], ids=["unrouted", "routed"])
def test_a_long_path_gives_a_capped_transaction_fingerprint_and_context(prefix, length):
    path = prefix + "a" * (length - len(prefix))
    h13 = error("heroku", "router", lines.router("H13", "Connection closed without response", path=path))
    payload = event(h13, route=url_route(h13.path), count=1)
    assert len(payload["transaction"]) <= 200
    assert max(map(len, payload["fingerprint"])) <= 200
    assert all(len(value) <= 200 for value in payload["contexts"]["heroku_log"].values() if isinstance(value, str))
    assert len(payload["message"]) <= 1000


def test_an_unrouted_path_groups_by_code_alone_whatever_the_path():
    first = error("heroku", "router", lines.router("H27", "Client Request Interrupted", path="/wp-login.php"))
    second = error("heroku", "router", lines.router("H27", "Client Request Interrupted", path="/.env"))
    payloads = [event(h27, route=url_route(h27.path), count=1) for h27 in (first, second)]
    assert [payload["fingerprint"] for payload in payloads] == [["heroku", "H27", UNROUTED]] * 2
    assert [payload["contexts"]["heroku_log"]["path"] for payload in payloads] == ["/wp-login.php", "/.env"]


def test_an_addon_warning_groups_by_addon_and_attachment():
    [warning] = classify(
        [LogLine(lines.TIMESTAMP, "app", "heroku-redis", lines.redis_metrics(19, 20))],
        memory_percent=90,
        connections_percent=80,
    )
    payload = event(warning, route="", count=1)
    assert payload["fingerprint"] == ["heroku", "connections", "heroku-redis", "REDIS"]
    assert tags(warning) == {"dyno": "heroku-redis", "dyno_type": "heroku-redis", "heroku_error": "connections"}
    assert (payload["level"], payload["logger"]) == ("warning", "heroku.addon")
