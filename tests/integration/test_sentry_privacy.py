"""Nothing secret leaves a dyno: requests full of secrets, and not one secret in the bytes Sentry receives."""

import json
import re
import urllib.parse

import pytest

from tests.support.processes import HOST, http_get
from tests.support.staff import session_cookie

SECRETS = {
    "query_password": "qp-Hunter2-Zebra-7781",
    "query_token": "qt-9f8e7d6c5b4a39281706",
    "query_api_key": "qk-AKIAIOSFODNN7EXAMPLE",
    "bearer": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvcHMifQ.c2lnbmF0dXJl",
    "x_api_key": "xk-5b1f0c2d9e8a7b6c",
    "remember_cookie": "rc-0a1b2c3d4e5f6a7b8c9d",
    "form_password": "fp-Correct-Horse-42",
    "form_card": "4111111111111111",
    "form_cvv": "9137",
    "form_pin": "8264",
    "json_password": "jp-Tr0ub4dor-and-3",
    "json_refresh_token": "jr-77aa66bb55cc44dd",
    "json_private_key": "-----BEGIN PRIVATE KEY-----MIIEvQIBADANjk",
    "json_ssn": "078-05-1120",
}


@pytest.fixture
def dyno_values():
    return {
        "SENTRY_TRACES_SAMPLE_RATE": "1.0",
        # The most a team could turn on: bodies always, locals on.
        "SENTRY_REQUEST_BODIES": "always",
        "SENTRY_WITH_LOCALS": "1",
    }


def post(base_url, path, body: bytes, content_type: str, headers: dict):
    import urllib.request

    request = urllib.request.Request(
        base_url + path,
        data=body,
        method="POST",
        headers={"Content-Type": content_type, "X-Forwarded-Proto": "https", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def appears(secret: str, raw: str) -> bool:
    """The secret standing on its own: a 4-digit CVV or PIN also occurs inside the envelopes' many
    timestamps and durations (…7.91374…), which is no leak."""
    return re.search(rf"(?<![\d.]){re.escape(secret)}(?!\d)", raw) is not None


def csrf_token(base_url) -> str:
    _, headers, _ = http_get(base_url + "/admin/login/", {"Host": HOST})
    cookies = " ".join(headers.get_all("Set-Cookie") or [])
    return re.search(r"csrftoken=([^;]+)", cookies).group(1)


def test_no_secret_from_query_headers_cookies_bodies_or_locals_reaches_sentry(web, dyno_env, sentry_sink):
    env, base_url = dyno_env("web.1"), web
    session = session_cookie(env)
    csrf = csrf_token(base_url)
    cookies = f"{session}; csrftoken={csrf}; remember_token={SECRETS['remember_cookie']}"
    headers = {
        "Host": HOST,
        "Cookie": cookies,
        "Authorization": f"Bearer {SECRETS['bearer']}",
        "X-Api-Key": SECRETS["x_api_key"],
        "X-CSRFToken": csrf,
        "Referer": f"https://{HOST}/admin/",
    }
    query = urllib.parse.urlencode(
        {"password": SECRETS["query_password"], "token": SECRETS["query_token"], "api_key": SECRETS["query_api_key"]}
    )
    form = urllib.parse.urlencode(
        {
            "password": SECRETS["form_password"],
            "credit_card": SECRETS["form_card"],
            "cvv": SECRETS["form_cvv"],
            "pin": SECRETS["form_pin"],
            "comment": "hello",
        }
    ).encode()
    body = json.dumps(
        {
            "password": SECRETS["json_password"],
            "nested": {"refresh_token": SECRETS["json_refresh_token"], "private_key": SECRETS["json_private_key"]},
            "ssn": SECRETS["json_ssn"],
            "comment": "hello",
        }
    ).encode()

    assert (
        post(base_url, f"/api/sentry-debug/?{query}", b"action=error", "application/x-www-form-urlencoded", headers)
        == 500
    )
    assert post(base_url, "/api/sentry-debug/", form, "application/x-www-form-urlencoded", headers) == 500
    assert post(base_url, "/api/sentry-debug/", body, "application/json", headers) == 500

    sentry_sink.wait_for(lambda s: len(s.events()) >= 3, what="three error events")
    sentry_sink.wait_for(lambda s: len(s.transactions()) >= 3, what="three transactions")

    raw = sentry_sink.raw().decode("utf-8", "replace")
    leaked = {name: value for name, value in SECRETS.items() if appears(value, raw)}
    leaked |= {"session": session} if session.split("=")[1] in raw else {}
    leaked |= {"csrf": csrf} if csrf in raw else {}
    assert not leaked

    # The events did carry the request and the failing frame, filtered: the test is not vacuous.
    assert "[Filtered]" in raw
    frames = [
        frame
        for event in sentry_sink.events()
        for value in event["exception"]["values"]
        for frame in value["stacktrace"]["frames"]
        if frame.get("function") == "sentry_debug"
    ]
    assert any("submitted" in frame.get("vars", {}) for frame in frames)
    assert any("comment" in json.dumps(event["request"].get("data")) for event in sentry_sink.events())
