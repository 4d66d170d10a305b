"""capture_errors and with_sentry_context, through a real SDK client sending to a loopback sink."""

import pytest
import sentry_sdk

from sentry_heroku.instrumentation import capture_errors, set_user_context, with_sentry_context
from tests.sentry_sink import tags_of


@pytest.fixture
def sentry(sentry_sink):
    """A real client for this test only; the SDK is left inactive afterwards, as the other tests expect."""
    # Only the SDK's API is under test: no integrations patching Django or logging for the rest of the run.
    sentry_sdk.init(dsn=sentry_sink.dsn, traces_sample_rate=1.0, default_integrations=False)
    try:
        with sentry_sdk.isolation_scope():
            yield sentry_sink
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.init(dsn="", default_integrations=False)


def sent(sink) -> tuple[list[dict], list[dict]]:
    """Events and transactions that reached the sink, once the client has sent what it had."""
    sentry_sdk.flush(timeout=5)
    return sink.events(), sink.transactions()


def exception_types(event: dict) -> list[str]:
    return [value["type"] for value in event["exception"]["values"]]


def test_capture_errors_reports_tagged_with_the_job_and_reraises(sentry):
    @capture_errors("nightly-import")
    def run():
        raise LookupError("row 42 missing")

    with pytest.raises(LookupError):
        run()

    events, _ = sent(sentry)
    assert [exception_types(event) for event in events] == [["LookupError"]]
    assert tags_of(events[0])["job"] == "nightly-import"


def test_capture_errors_without_reraise_reports_and_returns_none(sentry):
    @capture_errors("cleanup", reraise=False)
    def run():
        raise OSError("disk full")

    assert run() is None
    events, _ = sent(sentry)
    assert [exception_types(event) for event in events] == [["OSError"]]
    assert tags_of(events[0])["job"] == "cleanup"


def test_capture_errors_passes_arguments_and_results_through_and_sends_nothing(sentry):
    @capture_errors("sum")
    def add(a, b=0):
        return a + b

    assert add(2, b=3) == 5
    assert add.__name__ == "add"
    assert sent(sentry) == ([], [])


def test_a_tag_set_inside_does_not_leak_to_the_next_event(sentry):
    @capture_errors("first-job", reraise=False)
    def first():
        sentry_sdk.set_tag("customer", "acme")
        set_user_context(None)
        raise RuntimeError("first")

    @with_sentry_context("second-job")
    def second():
        sentry_sdk.set_tag("batch", "7")

    first()
    second()
    sentry_sdk.capture_message("after both jobs")

    events, transactions = sent(sentry)
    inside = next(event for event in events if "exception" in event)
    after = next(event for event in events if event.get("message") == "after both jobs")
    assert tags_of(inside)["customer"] == "acme"
    assert tags_of(transactions[0])["batch"] == "7"
    assert not {"job", "customer", "batch"} & set(tags_of(after))


def test_with_sentry_context_starts_a_transaction_when_none_runs(sentry):
    @with_sentry_context("rebuild-map", op="task")
    def rebuild():
        return "done"

    assert rebuild() == "done"
    _, transactions = sent(sentry)
    assert [(t["transaction"], t["contexts"]["trace"]["op"]) for t in transactions] == [("rebuild-map", "task")]
    assert tags_of(transactions[0])["job"] == "rebuild-map"


def test_with_sentry_context_is_a_child_span_inside_a_running_transaction(sentry):
    @with_sentry_context("geocode")
    def geocode():
        return 59.9

    with sentry_sdk.start_transaction(op="http.server", name="/api/participants/"):
        assert geocode() == 59.9

    _, transactions = sent(sentry)
    assert [t["transaction"] for t in transactions] == ["/api/participants/"]
    spans = transactions[0]["spans"]
    assert [(span["op"], span["description"]) for span in spans] == [("function", "geocode")]
    assert spans[0]["parent_span_id"] == transactions[0]["contexts"]["trace"]["span_id"]


def test_with_sentry_context_marks_its_transaction_failed_and_lets_the_error_through(sentry):
    @with_sentry_context("sync")
    def sync():
        raise ConnectionError("upstream down")

    with pytest.raises(ConnectionError):
        sync()

    _, transactions = sent(sentry)
    assert [t["contexts"]["trace"]["status"] for t in transactions] == ["internal_error"]


def test_capture_errors_inside_with_sentry_context_links_the_error_to_the_trace(sentry):
    @with_sentry_context("report")
    @capture_errors("report", reraise=False)
    def report():
        raise ValueError("bad row")

    report()
    events, transactions = sent(sentry)
    assert events[0]["contexts"]["trace"]["trace_id"] == transactions[0]["contexts"]["trace"]["trace_id"]


def test_set_user_context_names_the_user_on_the_next_event(sentry):
    from django.contrib.auth.models import User

    set_user_context(User(pk=3, username="ann", email="ann@example.com", is_staff=True))
    sentry_sdk.capture_message("as ann")
    events, _ = sent(sentry)
    assert events[0]["user"] == {"id": "3", "is_staff": True}
