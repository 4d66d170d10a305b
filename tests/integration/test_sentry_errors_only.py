"""Errors only (SENTRY_TRACES_SAMPLE_RATE=0): no transactions, yet every request still has a trace of its own
that its errors and the tasks it sends carry, continued from the caller's sentry-trace header when it sent one."""

import pytest

from tests.support.calls import answer
from tests.support.sentry_sink import tags_of
from tests.support.staff import debug_action, session_cookie

CALLER_TRACE_ID = "771a43a4192642f0b136d5159a501700"


@pytest.fixture
def dyno_values(redis_url):
    return {"REDIS_URL": redis_url, "SENTRY_TRACES_SAMPLE_RATE": "0"}


def debug_errors(sink, message: str) -> list[dict]:
    """The debug errors whose exception says `message`, in the order they arrived."""
    return [
        event
        for event in sink.events()
        if any(message in (value.get("value") or "") for value in (event.get("exception") or {}).get("values") or [])
    ]


def test_each_request_error_has_a_trace_of_its_own(web, dyno_env, sentry_sink):
    cookie = session_cookie(dyno_env("run.1"))
    for request_id in ("first", "second"):
        status, _ = answer(web, debug_action(cookie, headers={"X-Request-ID": request_id}))
        assert status == 500

    events = sentry_sink.wait_for(
        lambda sink: (found := debug_errors(sink, "division by zero")) and len(found) == 2 and found,
        what="both requests' errors",
    )
    assert {tags_of(event)["request_id"] for event in events} == {"first", "second"}
    assert events[0]["contexts"]["trace"]["trace_id"] != events[1]["contexts"]["trace"]["trace_id"]
    assert sentry_sink.transactions() == []


def test_task_error_continues_the_callers_trace(dyno_env, sentry_sink, start_web, start_worker):
    web, base_url = start_web(dyno_env("web.1"))
    worker = start_worker(dyno_env("worker.1"))
    with web, worker:
        cookie = session_cookie(dyno_env("run.1"))
        caller = {"sentry-trace": f"{CALLER_TRACE_ID}-b2d4c2a1e8f04c3d-1"}
        status, body = answer(base_url, debug_action(cookie, "celery", headers=caller))
        assert status == 202, body
        event = sentry_sink.wait_for(
            lambda sink: next(iter(debug_errors(sink, "a task failed on purpose")), None), what="the task's error event"
        )

    assert tags_of(event)["dyno"] == "worker.1"
    assert event["contexts"]["trace"]["trace_id"] == CALLER_TRACE_ID
