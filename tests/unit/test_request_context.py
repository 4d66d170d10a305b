"""What SentryHerokuMiddleware adds to an event (request_id, queue time, the trace, the user, the request's
secrets) and the slow-request watchdog's report, in this process."""

import dataclasses
import json
import time
import weakref

import pytest
import sentry_sdk
from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils.functional import SimpleLazyObject
from sentry_sdk.transport import Transport

import sentry_heroku
from sentry_heroku import startup
from sentry_heroku.middleware import (
    SentryHerokuMiddleware,
    describe_request,
    ignored_user,
    queue_time_ms,
    request_secrets,
)
from sentry_heroku.sdk import REQUEST_SECRETS_HINT, before_send_log

NOW = 1_795_000_000.0  # seconds since the epoch, as time.time() gives it


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (str(int((NOW - 0.025) * 1000)), 25.0),  # Heroku's router: milliseconds since the epoch
        (f"t={NOW - 0.0125:.4f}", 12.5),  # seconds, with a fraction
        (f"t={int((NOW - 0.040) * 1_000_000)}", 40.0),  # microseconds (nginx, Apache)
        (f"  {int(NOW * 1000) - 3}  ", 3.0),
        (str(int(NOW * 1000)), 0.0),
        (str(int((NOW - 59 * 60) * 1000)), 3_540_000.0),  # queued most of an hour: still believable
        (str(int((NOW - 2 * 3600) * 1000)), None),  # two hours: a clock, not a queue
        (str(int((NOW + 5) * 1000)), None),  # from the future: clocks disagree
        (f"t={NOW + 30}", None),
        ("-1500", None),
        ("0", None),
        ("", None),
        ("t=", None),
        ("yesterday", None),
        ("t=12:00:00", None),
        ("nan", None),
        ("inf", None),
    ],
    ids=["heroku-ms", "t-seconds", "t-microseconds", "spaces", "no-wait", "59-minutes", "two-hours",
         "future-ms", "future-seconds", "negative", "zero", "empty", "empty-t", "garbage", "clock-time", "nan",
         "inf"],
)  # fmt: skip
def test_queue_time_from_x_request_start(header, expected):
    result = queue_time_ms(header, NOW)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected, abs=0.2)


def user(pk: int = 7, *, email: str = "ann@example.com", staff: bool = False) -> User:
    return User(pk=pk, username=f"user{pk}", email=email, is_staff=staff)


@pytest.mark.parametrize(
    ("someone", "domains", "expected"),
    [
        (user(email="qa@example.com"), ("example.com",), True),
        (user(email="QA@Example.COM"), ("example.com",), True),
        (user(email="ann@customer.org"), ("example.com",), False),
        (user(email="ann@mail.example.com"), ("example.com",), False),  # a domain, not a suffix
        (user(email="ann@notexample.com"), ("example.com",), False),
        (user(email=""), ("example.com",), False),
        (user(email="qa@example.com"), (), False),
        (AnonymousUser(), ("example.com",), False),
    ],
    ids=["listed", "case", "other", "subdomain", "suffix", "no-email", "no-domains", "anonymous"],
)
def test_ignored_user_by_email_domain(someone, domains, expected):
    assert ignored_user(someone, domains) is expected


def test_request_secrets_come_from_query_headers_cookies_and_authorization():
    request = RequestFactory().get(
        "/api/participants/",
        {"api_key": "query-key-1234", "page": "2", "token": ["first-token-11", "second-token-22"]},
        headers={"Authorization": "Bearer header-bearer-5678", "X-Api-Key": "header-key-9012", "Accept": "text/html"},
    )
    request.COOKIES = {"sessionid": "cookie-session-3456", "theme": "dark"}

    found = request_secrets(request)
    assert {"query-key-1234", "first-token-11", "second-token-22", "header-bearer-5678", "header-key-9012",
            "cookie-session-3456"} <= found  # fmt: skip
    assert not {"2", "text/html", "dark", "Bearer"} & found


def request_with(someone=None, **headers):
    request = RequestFactory().get("/api/participants/", headers=headers)
    if someone is not None:
        request.user = someone
    return request


def describe(request, event: dict | None = None, hint: dict | None = None):
    return describe_request(
        weakref.ref(request), event if event is not None else {"level": "error"}, {} if hint is None else hint
    )


@pytest.fixture
def configured(monkeypatch):
    """Run with init()'s result changed: the config's fields, and enabled (the SDK started)."""

    def change(*, enabled: bool | None = None, **changes):
        active = sentry_heroku.current()
        config = dataclasses.replace(active.config, **changes)
        enabled = active.enabled if enabled is None else enabled
        monkeypatch.setattr(startup, "_current", dataclasses.replace(active, config=config, enabled=enabled))

    return change


@pytest.fixture
def pii(configured):
    def set_pii(on: bool, **changes):
        configured(send_default_pii=on, **changes)

    return set_pii


@pytest.mark.parametrize(
    ("send_pii", "expected"),
    [
        (False, {"id": "7", "is_staff": True}),
        (True, {"id": "7", "is_staff": True, "username": "user7", "email": "ann@example.com"}),
    ],
)
def test_error_event_names_the_user_by_id_and_staff_flag_and_more_only_with_pii(pii, send_pii, expected):
    pii(send_pii)
    event = describe(request_with(user(staff=True)))
    assert event["user"] == expected


def test_user_details_join_what_the_sdk_already_knew(pii):
    pii(False)
    event = describe(request_with(user()), {"user": {"ip_address": "203.0.113.9"}})
    assert event["user"] == {"ip_address": "203.0.113.9", "id": "7", "is_staff": False}


def test_anonymous_request_has_no_user(pii):
    pii(True)
    assert "user" not in describe(request_with(AnonymousUser()))


def test_request_without_auth_middleware_still_gets_its_secrets(pii):
    pii(False)
    hint = {}
    event = describe(request_with(None, Authorization="Bearer header-bearer-5678"), hint=hint)
    assert "user" not in event
    assert "header-bearer-5678" in hint[REQUEST_SECRETS_HINT]


@pytest.mark.parametrize("event_type", [None, "transaction"])
def test_events_of_ignored_email_domains_are_dropped(pii, event_type):
    pii(False, ignore_user_email_domains=("example.com",))
    event = {"type": event_type} if event_type else {"level": "error"}
    assert describe(request_with(user(email="qa@example.com")), event) is None
    assert describe(request_with(user(email="ann@customer.org")), dict(event)) is not None


def test_a_transaction_does_not_load_a_user_the_view_never_loaded(pii):
    pii(False, ignore_user_email_domains=("example.com",))
    loads = []
    lazy_user = SimpleLazyObject(lambda: loads.append("loaded") or user(email="qa@example.com"))

    event = describe(request_with(lazy_user), {"type": "transaction"})
    assert loads == []
    assert event == {"type": "transaction"}


def test_an_error_loads_the_user_to_name_it(pii):
    pii(False)
    lazy_user = SimpleLazyObject(lambda: user(pk=9))
    assert describe(request_with(lazy_user))["user"] == {"id": "9", "is_staff": False}


def test_a_transaction_names_a_user_the_view_already_loaded(pii):
    pii(False)
    lazy_user = SimpleLazyObject(lambda: user(pk=9))
    assert lazy_user.is_authenticated  # the view looked at request.user
    assert describe(request_with(lazy_user), {"type": "transaction"})["user"] == {"id": "9", "is_staff": False}


def test_event_after_the_request_is_gone_is_left_alone():
    request = request_with(user())
    reference = weakref.ref(request)
    del request
    assert describe_request(reference, {"level": "error"}, {}) == {"level": "error"}


class RecordingTransport(Transport):
    """What the SDK would send, kept in the test process."""

    sent: list = []

    def capture_envelope(self, envelope):
        RecordingTransport.sent.append(envelope)


@pytest.fixture
def sdk_client():
    """An active SDK client for the duration of one request's isolation scope, sending nowhere."""
    RecordingTransport.sent = []
    client = sentry_sdk.Client(dsn="https://5f0e4a1b2c3d@o12.ingest.sentry.io/4242", transport=RecordingTransport,
                               enable_logs=True, before_send_log=before_send_log,
                               traces_sample_rate=1.0)  # fmt: skip
    with sentry_sdk.isolation_scope() as scope:
        scope.set_client(client)
        yield client
    client.close()


def sent_items(client, kind: str) -> list[dict]:
    client.flush(timeout=5)
    items = [item for envelope in RecordingTransport.sent for item in envelope.items if item.type == kind]
    if kind == "log":
        return [record for item in items for record in json.loads(item.payload.get_bytes())["items"]]
    return [item.payload.json for item in items]


@pytest.mark.parametrize(
    ("header", "request_id"),
    [
        ("3f2b9c1e-7d4a-4e21-8000-000000000003", "3f2b9c1e-7d4a-4e21-8000-000000000003"),
        ("  rid-\x1b[2J-0001\r\n", "rid-[2J-0001"),
        ("r" * 300, "r" * 199 + "…"),
    ],
    ids=["uuid", "control-characters", "too-long"],
)
def test_the_router_request_id_reaches_events_and_logs_as_relay_keeps_it(sdk_client, header, request_id):
    def view(request):
        sentry_sdk.capture_message("from the view")
        sentry_sdk.logger.warning("a log record from the view")
        return HttpResponse()

    SentryHerokuMiddleware(view)(RequestFactory().get("/", HTTP_X_REQUEST_ID=header))

    [event] = sent_items(sdk_client, "event")
    [record] = sent_items(sdk_client, "log")
    assert event["tags"]["request_id"] == request_id
    assert record["attributes"]["request_id"] == {"value": request_id, "type": "string"}


def test_a_request_without_a_request_id_has_no_request_id(sdk_client):
    def view(request):
        sentry_sdk.capture_message("from the view")
        return HttpResponse()

    SentryHerokuMiddleware(view)(RequestFactory().get("/", HTTP_X_REQUEST_ID="\x00\x01"))
    [event] = sent_items(sdk_client, "event")
    assert "request_id" not in event.get("tags", {})


def test_the_router_queue_time_is_recorded_on_the_transaction(sdk_client):
    started = int((time.time() - 0.250) * 1000)  # the router received it 250 ms ago

    with sentry_sdk.start_transaction(name="/api/participants/", op="http.server"):
        SentryHerokuMiddleware(lambda request: HttpResponse())(
            RequestFactory().get("/api/participants/", HTTP_X_REQUEST_START=str(started))
        )

    [transaction] = sent_items(sdk_client, "transaction")
    queued = transaction["contexts"]["trace"]["data"]["http.server.request.time_in_queue"]
    assert 250 <= queued < 5000


TRACE_ID = "771a43a4192642f0b136d5159a501700"


def test_with_tracing_off_an_error_continues_the_callers_trace(sdk_client, configured):
    configured(traces_sample_rate=0.0, keep_slow_ms=None)

    def view(request):
        sentry_sdk.capture_message("from the view")
        return HttpResponse()

    SentryHerokuMiddleware(view)(RequestFactory().get("/", HTTP_SENTRY_TRACE=f"{TRACE_ID}-b7ad6b7169203331-0"))
    [event] = sent_items(sdk_client, "event")
    assert event["contexts"]["trace"]["trace_id"] == TRACE_ID


def test_with_tracing_off_a_request_without_a_caller_starts_a_trace_of_its_own(sdk_client, configured):
    configured(traces_sample_rate=0.0, keep_slow_ms=None)

    def view(request):
        sentry_sdk.capture_message("from the view")
        return HttpResponse()

    middleware = SentryHerokuMiddleware(view)
    middleware(RequestFactory().get("/"))
    middleware(RequestFactory().get("/"))
    first, second = sent_items(sdk_client, "event")
    assert first["contexts"]["trace"]["trace_id"] != second["contexts"]["trace"]["trace_id"]


def watchdog_reports(client) -> list[dict]:
    return [event for event in sent_items(client, "event") if event.get("logger") == "sentry_heroku.watchdog"]


def stuck_until_reported(request):
    """A view stuck on one line until the watchdog's report has been sent (5 s at most)."""
    deadline = time.monotonic() + 5
    while not RecordingTransport.sent and time.monotonic() < deadline:
        time.sleep(0.01)  # the line the report points at
    return HttpResponse()


def test_a_slow_request_is_reported_once_with_the_line_it_is_on_and_its_tags(sdk_client, configured):
    configured(enabled=True, slow_request_seconds=0.2)

    response = SentryHerokuMiddleware(stuck_until_reported)(
        RequestFactory().get("/api/participants/map/", HTTP_X_REQUEST_ID="slow-5c1e8f1a")
    )
    assert response.status_code == 200

    [event] = watchdog_reports(sdk_client)
    assert event["level"] == "warning"
    assert event["message"].startswith("Slow request: GET /api/participants/map/ still running after ")
    assert event["fingerprint"] == ["slow-request", "GET", "/api/participants/map/"]
    assert event["tags"]["request_id"] == "slow-5c1e8f1a"
    assert event["tags"]["slow_request"] == "yes"
    assert event["contexts"]["slow_request"]["threshold_seconds"] == 0.2
    frames = event["threads"]["values"][0]["stacktrace"]["frames"]
    assert frames[-1]["function"] == "stuck_until_reported"
    assert frames[-1]["context_line"].strip().startswith("time.sleep(0.01)")
    assert "vars" not in frames[-1]  # the serving thread's locals are not read while it runs


def test_a_fast_request_is_not_reported(sdk_client, configured):
    configured(enabled=True, slow_request_seconds=0.2)
    middleware = SentryHerokuMiddleware(lambda request: HttpResponse())
    for _ in range(3):
        middleware(RequestFactory().get("/health/"))
    time.sleep(0.3)  # past the threshold and two of the watchdog's rounds
    assert watchdog_reports(sdk_client) == []


@pytest.mark.parametrize(("enabled", "threshold"), [(True, 0.0), (False, 0.2)], ids=["threshold-0", "sentry-off"])
def test_the_watchdog_is_off_with_a_threshold_of_zero_or_with_sentry_off(sdk_client, configured, enabled, threshold):
    configured(enabled=enabled, slow_request_seconds=threshold)

    def view(request):
        time.sleep(0.3)  # past the threshold, long enough for two of the watchdog's rounds
        return HttpResponse()

    SentryHerokuMiddleware(view)(RequestFactory().get("/api/participants/map/"))
    assert watchdog_reports(sdk_client) == []
