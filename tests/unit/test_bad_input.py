"""Bad input, generated: no query string, path or header makes a public endpoint answer 500.

In process (Django's test client, hypothesis): every 4xx from the map API
is JSON with an "error" key, and /api/sentry-debug/ is a 404 to anyone
but staff whatever they send. What only a raw socket can send is in
integration/test_bad_input.py.
"""

import json

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.models import Participant

MAP = "/api/participants/map/"
PUBLIC = ["/health/", MAP, "/map/", "/", "/api/sentry-debug/"]
API = [MAP, "/api/sentry-debug/"]

# Anything a client can put in a header value (WSGI hands them over as latin-1).
header_values = st.text(st.characters(max_codepoint=255, exclude_characters="\r\n"), max_size=300)
HEADERS = [
    "Accept", "Accept-Encoding", "If-None-Match", "If-Modified-Since", "Range", "Cookie", "Authorization",
    "Referer", "Origin", "User-Agent", "X-Request-ID", "X-Request-Start", "X-Forwarded-For", "X-Forwarded-Proto",
    "Content-Type", "Content-Length",
]  # fmt: skip
headers = st.dictionaries(st.sampled_from(HEADERS), header_values, max_size=6)
# Parameter names the endpoints read, and some they do not.
names = st.sampled_from(["bbox", "limit", "celery", "log", "format", "callback"]) | st.text(max_size=20)
values = (
    st.text(st.characters(codec="utf-8"), max_size=300)
    | st.lists(st.floats(allow_nan=True, allow_infinity=True) | st.integers(), max_size=6).map(
        lambda numbers: ",".join(map(str, numbers))
    )
    | st.sampled_from(["-180,-90,180,90", "0,0,0,0", "1e308,1,2,3", "nan,nan,nan,nan", "0", "-1", "50001", "1_000"])
)
params = st.lists(st.tuples(names, values), max_size=6)
# Raw query strings as they arrive: broken percent-encoding, bytes that are not UTF-8, separators galore.
raw_queries = st.text(
    st.sampled_from(list("%=&;+,.-_09azAZ\x00 ?#[]")) | st.characters(min_codepoint=128, max_codepoint=255),
    max_size=200,
)
# Path suffixes as percent-encoded bytes: a path that is not UTF-8 at all.
path_suffixes = st.binary(max_size=40).map(lambda raw: "".join(f"%{byte:02X}" for byte in raw))

# One client for every example: a new one would load the middleware (and rescan static files) each time.
anonymous = Client()
EXAMPLES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(autouse=True)
def participants(db):
    Participant.objects.bulk_create(
        Participant(name=f"P{n}", city="Lyon", country="FR", latitude=45.7 + n / 100, longitude=4.8) for n in range(5)
    )


def assert_answered_well(response, path: str) -> None:
    assert response.status_code < 500, (path, response.status_code, response.content[:300])
    if path in API and 400 <= response.status_code < 500 and response.status_code != 404:
        assert response["Content-Type"].startswith("application/json"), (path, response.status_code)
        assert json.loads(response.content)["error"]


@EXAMPLES
@given(path=st.sampled_from(PUBLIC), query=params, request_headers=headers)
def test_no_query_or_header_makes_a_public_endpoint_fail(path, query, request_headers):
    response = anonymous.get(path, query, headers=request_headers)

    assert_answered_well(response, path)


@EXAMPLES
@given(path=st.sampled_from(PUBLIC), raw_query=raw_queries)
def test_no_raw_query_string_makes_a_public_endpoint_fail(path, raw_query):
    response = anonymous.get(path, QUERY_STRING=raw_query)

    assert_answered_well(response, path)


@EXAMPLES
@given(path=st.sampled_from(PUBLIC), suffix=path_suffixes)
def test_no_path_under_a_public_endpoint_fails(path, suffix):
    response = anonymous.get(path + suffix)

    assert_answered_well(response, path + suffix)


def test_the_map_says_what_is_wrong_with_a_query_in_json():
    response = anonymous.get(MAP, {"bbox": "10,10,0,0"})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "minLon" in json.loads(response.content)["error"]


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_the_map_refuses_other_methods_in_json(method):
    response = Client(enforce_csrf_checks=True).generic(method, MAP)

    assert response.status_code == 405
    assert json.loads(response.content)["error"]


@pytest.fixture
def non_staff_client(django_user_model):
    client = Client()
    client.force_login(django_user_model.objects.create_user("visitor", "visitor@example.com", "x-9-long-password"))
    return client


@EXAMPLES
@given(query=params, request_headers=headers)
def test_sentry_debug_is_a_404_to_anonymous_and_non_staff_users_whatever_they_send(
    non_staff_client, query, request_headers
):
    for client in (anonymous, non_staff_client):
        assert client.get("/api/sentry-debug/", query, headers=request_headers).status_code == 404
        assert client.get("/api/sentry-debug/", {"celery": "true"}).status_code == 404
