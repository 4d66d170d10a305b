"""What sentry_heroku/sdk.py hands the SDK: data collection options, dyno tags and context, before_send."""

import sys

import pytest
from django.db import IntegrityError
from sentry_sdk.envelope import Envelope, Item, PayloadRef

from sentry_heroku.config import SentryConfig
from sentry_heroku.dyno import Dyno, read_dyno
from sentry_heroku.sdk import before_send, before_send_log, data_collection, dyno_tags, heroku_context, is_urgent


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, {"user_info": False, "http_bodies": ["incoming_request"], "stack_frame_variables": True}),
        ({"SENTRY_SEND_DEFAULT_PII": "1"}, {"user_info": True}),
        ({"SENTRY_REQUEST_BODIES": "never"}, {"http_bodies": []}),
        ({"SENTRY_REQUEST_BODIES": "always"}, {"http_bodies": ["incoming_request"]}),
        ({"SENTRY_WITH_LOCALS": "0"}, {"stack_frame_variables": False}),
    ],
    ids=["defaults", "pii", "bodies-never", "bodies-always", "no-locals"],
)
def test_data_collection_follows_the_variables(environ, expected, sentry_config):
    collected = data_collection(sentry_config(**environ))
    assert {key: collected[key] for key in expected} == expected


@pytest.mark.parametrize(
    ("environ", "address_headers_sent"),
    [
        ({}, False),
        ({"SENTRY_SEND_DEFAULT_PII": "1"}, False),
        ({"SENTRY_SEND_DEFAULT_PII": "1", "SENTRY_SCRUB_IP_ADDRESS": "0"}, True),
    ],
)
def test_address_headers_are_denied_unless_pii_is_on_and_ip_scrubbing_off(environ, address_headers_sent, sentry_config):
    terms = data_collection(sentry_config(**environ))["http_headers"]["request"]["terms"]
    assert ("forwarded" not in terms) is address_headers_sent


@pytest.mark.parametrize(
    ("dyno", "expected"),
    [
        (Dyno(name="web.2", process_type="web", app_name="bahk", release_version="v42"),
         {"dyno": "web.2", "dyno_type": "web", "heroku_app": "bahk", "heroku_release": "v42"}),
        (Dyno(name="worker.1", process_type="worker"), {"dyno": "worker.1", "dyno_type": "worker"}),
        (Dyno(name="web.1", process_type="web", pr_number="123", branch="fix-map\x1b[2J"),
         {"dyno": "web.1", "dyno_type": "web", "heroku_pr": "123", "heroku_branch": "fix-map[2J"}),
        (Dyno(), {}),
    ],
    ids=["metadata-on", "metadata-off", "review-app", "not-a-dyno"],
)  # fmt: skip
def test_dyno_tags_omit_empty_values(dyno, expected):
    assert dyno_tags(dyno) == expected


def test_heroku_context_says_how_to_turn_metadata_on():
    context = heroku_context(Dyno(name="web.1", process_type="web"))
    assert context == {"metadata": "off (heroku labs:enable runtime-dyno-metadata)"}


def test_heroku_context_carries_the_rest_of_the_metadata():
    dyno = read_dyno(
        {
            "DYNO": "web.1",
            "HEROKU_APP_NAME": "bahk",
            "HEROKU_APP_ID": "app-id",
            "HEROKU_DYNO_ID": "dyno-id",
            "HEROKU_RELEASE_VERSION": "v42",
            "HEROKU_RELEASE_CREATED_AT": "2026-11-20T10:15:42Z",
            "HEROKU_SLUG_COMMIT": "2c3a0b2",
            "HEROKU_SLUG_DESCRIPTION": "Deploy 2c3a0b2",
        }
    )
    assert heroku_context(dyno) == {
        "app_id": "app-id",
        "dyno_id": "dyno-id",
        "release_created_at": "2026-11-20T10:15:42Z",
        "commit": "2c3a0b2",
        "slug_description": "Deploy 2c3a0b2",
        "metadata": "on",
    }


def exc_info(error: BaseException):
    try:
        raise error
    except BaseException:
        return sys.exc_info()


def test_before_send_puts_the_fingerprint_on_the_event():
    error = IntegrityError('duplicate key value violates unique constraint "auth_user_username_key"')
    event = before_send(SentryConfig())({"exception": {"values": []}}, {"exc_info": exc_info(error)})
    assert event["fingerprint"] == ["database-integrity-error", "auth_user_username_key"]


def test_before_send_leaves_other_errors_to_default_grouping():
    event = before_send(SentryConfig())({"exception": {"values": []}}, {"exc_info": exc_info(KeyError("x"))})
    assert "fingerprint" not in event


def envelope_of(*item_types: str) -> Envelope:
    return Envelope(items=[Item(payload=PayloadRef(json={}), type=item_type) for item_type in item_types])


@pytest.mark.parametrize(
    ("item_types", "urgent"),
    [
        (("event",), True),
        (("event", "attachment"), True),
        (("check_in",), True),
        (("transaction",), False),
        (("transaction", "profile"), False),
        (("log",), False),
        (("session",), False),
        (("client_report",), False),
    ],
)
def test_errors_and_check_ins_take_the_queue_transactions_cannot_fill(item_types, urgent):
    assert is_urgent(envelope_of(*item_types)) is urgent


def django_request_record(status: int, level: str) -> dict:
    """A Sentry log item of Django's django.request logger before before_send_log, as the SDK hands it over."""
    return {
        "severity_text": level,
        "body": f"Not Found: /wp-login.php ({status})",
        "attributes": {"logger.name": "django.request", "status_code": status, "request": object()},
    }


@pytest.mark.parametrize("status", [400, 401, 403, 404, 405, 413, 499])
def test_client_errors_django_logs_are_not_sent_as_sentry_logs(status):
    assert before_send_log(django_request_record(status, "warn"), {}) is None


@pytest.mark.parametrize(
    ("record", "logger"),
    [
        (django_request_record(500, "error"), "django.request"),
        (django_request_record(503, "error"), "django.request"),
        ({"body": "Not Found", "attributes": {"logger.name": "hub.views", "status_code": 404}}, "hub.views"),
    ],
    ids=["500", "503", "another-logger"],
)
def test_server_errors_and_other_loggers_are_still_sent(record, logger):
    assert before_send_log(record, {})["attributes"]["logger.name"] == logger


def test_dyno_tags_are_what_relay_stores():
    dyno = Dyno(name="web.1\x1b[2J\x00", process_type="web", app_name=" bahk ", release_version="v" * 300)
    assert dyno_tags(dyno) == {"dyno": "web.1[2J", "dyno_type": "web", "heroku_app": "bahk",
                               "heroku_release": "v" * 199 + "…"}  # fmt: skip
