"""Which transactions reach Sentry: head sampling by path and parent, tail mode by duration and outcome."""

from datetime import UTC, datetime, timedelta

import pytest

from sentry_heroku.sampling import duration_ms, failed, keep_transaction, traces_sampler

RATE = 0.25


def web_request(path: str, parent_sampled: bool | None = None) -> dict:
    """A sampling context as the SDK's WSGI middleware builds it."""
    return {
        "transaction_context": {"op": "http.server", "name": "generic WSGI request"},
        "parent_sampled": parent_sampled,
        "wsgi_environ": {"PATH_INFO": path, "REQUEST_METHOD": "GET"},
    }


def celery_task(parent_sampled: bool | None = None) -> dict:
    """A sampling context as the Celery integration builds it: no wsgi_environ."""
    return {
        "transaction_context": {"op": "queue.task.celery", "name": "hub.tasks.fail"},
        "parent_sampled": parent_sampled,
        "celery_job": {"task": "hub.tasks.fail", "args": [], "kwargs": {}},
    }


@pytest.mark.parametrize(
    "path",
    ["/health/", "/healthcheck/", "/metrics/", "/readiness/", "/liveness/", "/favicon.ico",
     "/static/app.css", "/static/leaflet/leaflet.3f2a1b.js"],
)  # fmt: skip
@pytest.mark.parametrize("tail_mode", [False, True])
def test_probes_and_static_files_are_never_traced(path, tail_mode):
    assert traces_sampler(RATE, static_url="static/", tail_mode=tail_mode)(web_request(path)) == 0.0


@pytest.mark.parametrize(
    ("context", "tail_mode", "expected"),
    [
        (web_request("/api/participants/"), False, RATE),
        (web_request("/"), False, RATE),
        (web_request("/healthy-eating/"), False, RATE),
        (web_request("/api/participants/"), True, 1.0),
        (celery_task(), False, RATE),
        (celery_task(), True, 1.0),
        ({"transaction_context": {"op": "function", "name": "nightly"}}, False, RATE),
    ],
    ids=["api", "root", "path-like-a-probe", "api-tail", "celery", "celery-tail", "no-request"],
)
def test_other_transactions_get_the_configured_rate_or_all_in_tail_mode(context, tail_mode, expected):
    assert traces_sampler(RATE, static_url="static/", tail_mode=tail_mode)(context) == expected


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        (web_request("/api/participants/", parent_sampled=True), 1.0),
        (web_request("/api/participants/", parent_sampled=False), 0.0),
        (celery_task(parent_sampled=True), 1.0),
        (celery_task(parent_sampled=False), 0.0),
    ],
    ids=["request-kept", "request-dropped", "task-kept", "task-dropped"],
)
@pytest.mark.parametrize("tail_mode", [False, True])
def test_trace_continues_the_decision_made_where_it_began(context, expected, tail_mode):
    assert traces_sampler(RATE, static_url="static/", tail_mode=tail_mode)(context) == expected


def test_static_prefix_follows_static_url():
    sample = traces_sampler(RATE, static_url="/assets/", tail_mode=False)
    assert sample(web_request("/assets/app.css")) == 0.0
    assert sample(web_request("/static/app.css")) == RATE


START = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)


def transaction(ms: float, *, status: str = "ok", status_code: int | None = None, form: str = "iso") -> dict:
    """A transaction event as before_send_transaction sees it, lasting ms milliseconds."""
    end = START + timedelta(milliseconds=ms)
    start_value, end_value = {
        "iso": (START.isoformat(), end.isoformat()),
        "iso-z": (START.isoformat().replace("+00:00", "Z"), end.isoformat().replace("+00:00", "Z")),
        "datetime": (START, end),
        "float": (START.timestamp(), end.timestamp()),
    }[form]
    trace = {"op": "http.server", "status": status, "data": {"thread.name": "MainThread"}}
    if status_code is not None:
        trace["data"]["http.response.status_code"] = status_code
    return {"type": "transaction", "start_timestamp": start_value, "timestamp": end_value, "contexts": {"trace": trace}}


@pytest.mark.parametrize("form", ["iso", "iso-z", "datetime", "float"])
def test_duration_reads_every_timestamp_form(form):
    assert duration_ms(transaction(1250, form=form)) == pytest.approx(1250)


@pytest.mark.parametrize(
    "event",
    [{}, {"start_timestamp": "yesterday", "timestamp": "today"}, {"start_timestamp": None, "timestamp": 5.0}],
    ids=["missing", "unparseable", "half"],
)
def test_duration_of_an_event_without_usable_timestamps_is_zero(event):
    assert duration_ms(event) == 0.0


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (transaction(10), False),
        (transaction(10, status_code=200), False),
        (transaction(10, status_code=404, status="not_found"), False),
        (transaction(10, status_code=500, status="internal_error"), True),
        (transaction(10, status_code=501, status="unimplemented"), True),
        (transaction(10, status_code=503, status="unavailable"), True),
        (transaction(10, status="internal_error"), True),  # a failed Celery task
        (transaction(10, status="deadline_exceeded"), True),
        (transaction(10, status="cancelled"), False),
        ({"type": "transaction"}, False),
    ],
    ids=["ok", "200", "404", "500", "501", "503", "task-error", "timeout", "cancelled", "bare"],
)
def test_failed_means_a_5xx_or_an_error_status(event, expected):
    assert failed(event) is expected


def fixed_draw(value: float):
    """The random draw keep_transaction compares with the rate, fixed."""
    return lambda: value


@pytest.mark.parametrize(
    ("event", "draw", "expected"),
    [
        (transaction(1500), 0.99, True),  # slow
        (transaction(1000), 0.99, True),  # exactly the threshold
        (transaction(1500, form="datetime"), 0.99, True),
        (transaction(1500, form="float"), 0.99, True),
        (transaction(20, status_code=502, status="internal_error"), 0.99, True),
        (transaction(20, status="internal_error"), 0.99, True),
        (transaction(20), 0.99, False),  # fast and fine, draw above the rate
        (transaction(20), RATE, False),  # the rate is exclusive
        (transaction(20), 0.1, True),  # fast and fine, draw under the rate
    ],
    ids=["slow", "at-threshold", "slow-datetime", "slow-float", "5xx", "failed-task", "fast-out", "fast-edge",
         "fast-in"],
)  # fmt: skip
def test_tail_mode_keeps_slow_and_failed_and_a_share_of_the_rest(event, draw, expected):
    assert keep_transaction(event, rate=RATE, keep_slow_ms=1000, draw=fixed_draw(draw)) is expected
