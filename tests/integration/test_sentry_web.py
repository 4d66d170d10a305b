"""Sentry from the Procfile's web process: what a user filters by in Sentry is on every event."""

import pytest

from tests.support.calls import send
from tests.support.processes import HOST, http_get
from tests.support.sentry_sink import tags_of
from tests.support.staff import debug_action, session_cookie

COMMIT = "2c3a0b24069af49b3de35b8e8c26765c1dba9ff0"


@pytest.fixture
def dyno_values():
    return {"SENTRY_TRACES_SAMPLE_RATE": "1.0"}


@pytest.fixture
def web_env(dyno_env):
    return dyno_env("web.1")


def get(base_url, path, **headers):
    return http_get(base_url + path, headers={"Host": HOST, **headers})


def is_debug_error(event):
    values = (event.get("exception") or {}).get("values") or []
    return any(value.get("type") == "ZeroDivisionError" for value in values)


def test_web_error_is_tagged_with_web_dyno_release_and_app(web, web_env, sentry_sink):
    cookie = session_cookie(web_env)
    assert send(web, debug_action(cookie, headers={"X-Request-ID": "5c1e8f1a-router-id"})) == 500

    event = sentry_sink.wait_for(lambda s: next(filter(is_debug_error, s.events()), None), what="the error event")
    tags = tags_of(event)
    assert tags["dyno"] == "web.1"
    assert tags["dyno_type"] == "web"
    assert tags["heroku_app"] == "bahk-test"
    assert tags["heroku_release"] == "v42"
    assert tags["request_id"] == "5c1e8f1a-router-id"
    assert event["server_name"] == "web.1"
    assert event["release"] == COMMIT
    assert event["environment"] == "production"
    assert event["contexts"]["heroku"]["app_id"] == "9daa2797-e49b-4624-932f-ec3f9688e3da"
    assert event["user"]["is_staff"] is True
    assert "email" not in event["user"]  # PII stays home unless SENTRY_SEND_DEFAULT_PII=1


def test_web_transaction_is_named_by_url_pattern_and_tagged(web, web_env, sentry_sink):
    cookie = session_cookie(web_env)
    send(web, debug_action(cookie))

    transaction = sentry_sink.wait_for(
        lambda s: next((t for t in s.transactions() if t["transaction"] == "/api/sentry-debug/"), None),
        what="the request's transaction",
    )
    tags = tags_of(transaction)
    assert (tags["dyno"], tags["dyno_type"], tags["heroku_release"]) == ("web.1", "web", "v42")
    assert transaction["release"] == COMMIT
    assert transaction["contexts"]["trace"]["status"] == "internal_error"


def test_anonymous_and_non_staff_users_get_404_from_sentry_debug(web, web_env, sentry_sink):
    assert get(web, "/api/sentry-debug/")[0] == 404
    cookie = session_cookie(web_env, username="visitor", staff=False, email="visitor@example.com")
    assert get(web, "/api/sentry-debug/", Cookie=cookie)[0] == 404
    for action in ("error", "log", "celery"):
        assert send(web, debug_action(cookie, action)) == 404
    assert not any(map(is_debug_error, sentry_sink.events()))


def test_health_checks_are_never_traced(web, sentry_sink):
    for _ in range(3):
        assert get(web, "/health/")[0] == 200
    get(web, "/admin/login/")  # traced, and sent after the health checks
    sentry_sink.wait_for(lambda s: any(t["transaction"] == "/admin/login/" for t in s.transactions()))
    assert not [t for t in sentry_sink.transactions() if t["transaction"].startswith("/health")]


def test_every_error_arrives_while_transactions_fill_the_send_queue(web, web_env, sentry_sink):
    cookie = session_cookie(web_env)
    # Sentry taking no transactions: the SDK's sender waits on the first while more queue up behind it,
    # more than its queue holds (transport_queue_size, 100 envelopes).
    sentry_sink.set_mode("hold-transactions")
    for _ in range(130):
        assert get(web, "/api/participants/map/")[0] == 200
    request_ids = [f"behind-transactions-{number}" for number in range(5)]
    for request_id in request_ids:
        assert send(web, debug_action(cookie, headers={"X-Request-ID": request_id})) == 500

    def arrived(sink):
        found = {tags_of(event).get("request_id") for event in sink.events() if is_debug_error(event)}
        return found >= set(request_ids)

    sentry_sink.wait_for(arrived, what="every error sent while transactions filled the queue")
