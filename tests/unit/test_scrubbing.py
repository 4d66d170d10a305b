"""What scrub_event removes from an event before it leaves the dyno, and what it leaves alone."""

import copy
import json

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sentry_heroku import scrubbing
from sentry_heroku.scrubbing import (
    FILTERED,
    MIN_SECRET_LENGTH,
    PLAIN_TEXT_REMEMBERED,
    filter_patterns,
    is_secret_key,
    might_hold_secret,
    scrub_event,
    scrub_text,
)

SECRET = "s3cr3t-Value-9f8e7d"


def sent(event: dict, *extra_secrets: str, scrub_ip_address: bool = True) -> str:
    """Everything that would leave the dyno, as text."""
    return json.dumps(scrub_event(event, extra_secrets, scrub_ip_address=scrub_ip_address))


# The list the issue names, in the spellings frameworks and clients use.
@pytest.mark.parametrize(
    "key",
    [
        "password", "PASSWORD", "new_password1", "passwd", "secret", "client_secret", "token", "api_key", "apiKey",
        "X-Api-Key", "access_token", "refresh_token", "private_key", "ssn", "credit_card", "creditCardNumber", "cvv",
        "pin", "authorization", "Authorization", "Proxy-Authorization", "cookie", "Cookie", "Set-Cookie", "cookies",
        "sessionid", "session_id", "SESSION", "csrftoken", "csrfmiddlewaretoken", "X-CSRFToken", "x-xsrf-token",
        # Named fields of the kinds, inside a longer key.
        "customer_ssn", "card_cvv", "pin_code", "userPin", "cardCvc",
    ],
)  # fmt: skip
def test_secret_key_is_recognised(key):
    assert is_secret_key(key)


@pytest.mark.parametrize(
    "key",
    ["shipping", "lesson", "mapping", "spinner", "author", "authority", "opinion", "pinned", "compass", "passenger",
     "username", "description", "keyboard", "typing", "city", "latitude", 42, None],
)  # fmt: skip
def test_innocent_key_is_not_recognised(key):
    assert not is_secret_key(key)


def test_innocent_keys_arrive_intact():
    event = {"extra": {"shipping": "express", "lesson": "one", "mapping": "leaflet", "spinner": "on", "author": "ann"}}
    assert scrub_event(event)["extra"] == event["extra"]


def frame_vars(event: dict) -> dict:
    return event["exception"]["values"][0]["stacktrace"]["frames"][0]["vars"]


# (where in an event the secret sits under a secret key, how to find that place in the scrubbed event)
SECRET_PLACES = [
    ("form body", {"request": {"data": {"user": "ann", "password": SECRET}}}, lambda e: e["request"]["data"]),
    ("JSON body, nested", {"request": {"data": {"account": {"auth": {"api_key": SECRET}}}}},
     lambda e: e["request"]["data"]["account"]),
    ("headers as a dict", {"request": {"headers": {"Authorization": f"Bearer {SECRET}", "Accept": "*/*"}}},
     lambda e: e["request"]["headers"]),
    ("headers as [key, value] pairs", {"request": {"headers": [["X-Api-Key", SECRET], ["Accept", "*/*"]]}},
     lambda e: e["request"]["headers"]),
    ("cookies", {"request": {"cookies": {"sessionid": SECRET}}}, lambda e: e["request"]),
    ("extra", {"extra": {"payload": {"refresh_token": SECRET}}}, lambda e: e["extra"]["payload"]),
    ("contexts", {"contexts": {"payment": {"credit_card": SECRET, "currency": "EUR"}}},
     lambda e: e["contexts"]["payment"]),
    ("breadcrumb data", {"breadcrumbs": {"values": [{"category": "http", "data": {"private_key": SECRET}}]}},
     lambda e: e["breadcrumbs"]["values"][0]["data"]),
    ("span data", {"type": "transaction", "spans": [{"op": "http.client", "data": {"access_token": SECRET}}]},
     lambda e: e["spans"][0]["data"]),
    ("stack-frame locals", {"exception": {"values": [{"stacktrace": {"frames": [{"vars": {"pin": f"'{SECRET}'"}}]}}]}},
     frame_vars),
]  # fmt: skip


@pytest.mark.parametrize(("place", "event", "container"), SECRET_PLACES, ids=[p[0] for p in SECRET_PLACES])
def test_secret_under_a_secret_key_arrives_filtered(place, event, container):
    scrubbed = scrub_event(event)
    assert SECRET not in json.dumps(scrubbed)
    assert FILTERED in json.dumps(container(scrubbed))


def test_value_under_a_secret_key_is_filtered_wherever_else_it_appears():
    event = {
        "request": {"data": {"password": SECRET}},
        "exception": {
            "values": [
                {
                    "type": "ValueError",
                    "value": f"could not log in with {SECRET}",
                    "stacktrace": {"frames": [{"vars": {"candidate": f"'{SECRET}'", "attempts": "3"}}]},
                }
            ]
        },
        "breadcrumbs": {"values": [{"message": f"retrying with {SECRET}"}]},
    }
    scrubbed = scrub_event(event)
    assert SECRET not in json.dumps(scrubbed)
    exception = scrubbed["exception"]["values"][0]
    assert exception["value"] == f"could not log in with {FILTERED}"
    assert frame_vars(scrubbed) == {"candidate": f"'{FILTERED}'", "attempts": "3"}
    assert scrubbed["breadcrumbs"]["values"][0]["message"] == f"retrying with {FILTERED}"


def test_secret_in_a_single_parameter_query_string_is_filtered_elsewhere():
    event = {
        "request": {"query_string": f"api_key={SECRET}"},
        "breadcrumbs": {"values": [{"category": "httplib", "data": {"http.query": f"token={SECRET}"}}]},
        "exception": {"values": [{"value": f"rejected key {SECRET}"}]},
    }
    assert SECRET not in sent(event)


def test_sql_in_span_descriptions_arrives_intact():
    # Queries are what a trace is read for; their column names are not secrets.
    queries = [
        'SELECT "auth_user"."id", "auth_user"."password" FROM "auth_user" WHERE "auth_user"."id" = 1 LIMIT 21',
        'UPDATE "django_session" SET "session_data" = %s WHERE "django_session"."session_key" = %s',
    ]
    event = {"type": "transaction", "spans": [{"op": "db", "description": query} for query in queries]}
    assert scrub_event(event) == event


def test_secret_the_request_carried_is_filtered_in_the_event():
    # What middleware.request_secrets() hands over: values the event itself never shows under a key.
    event = {"message": f"upstream said no to {SECRET}", "extra": {"note": SECRET}}
    assert SECRET not in sent(event, SECRET)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("login?password=hunter22&next=/", f"login?password={FILTERED}&next=/"),
        ('{"api_key": "abc123def456"}', f'{{"api_key": "{FILTERED}"}}'),
        ("api-key: abc123def456, retry", f"api-key: {FILTERED}, retry"),
        ("csrftoken=Zx9Yw8Vu7Ts6", f"csrftoken={FILTERED}"),
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig", None),
        ("sent Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig upstream", f"sent Bearer {FILTERED} upstream"),
        ("postgres://bahk:pa55word@db.example.com:5432/bahk", f"postgres://{FILTERED}@db.example.com:5432/bahk"),
        ("redis://h:p4ssw0rd@ec2.compute.amazonaws.com:6379", f"redis://{FILTERED}@ec2.compute.amazonaws.com:6379"),
        ("charged 4111 1111 1111 1111 today", f"charged {FILTERED} today"),
        ("charged 5500-0055-5555-5559 today", f"charged {FILTERED} today"),
        # Luhn-invalid: an order number, not a card.
        ("order 4111111111111112 shipped", "order 4111111111111112 shipped"),
        ("order 1234567812345678 shipped", "order 1234567812345678 shipped"),
        ("a plain sentence about spinning passengers", "a plain sentence about spinning passengers"),
        ("https://example.com/path?page=2", "https://example.com/path?page=2"),
    ],
)
def test_secret_patterns_in_free_text_are_filtered(text, expected):
    scrubbed = scrub_text(text)
    if expected is None:
        assert "eyJhbGciOiJIUzI1NiJ9" not in scrubbed
    else:
        assert scrubbed == expected


def test_password_in_a_query_string_arrives_filtered():
    event = {"request": {"url": "https://bahk.example/login", "query_string": "user=ann&password=hunter22"}}
    assert scrub_event(event)["request"]["query_string"] == f"user=ann&password={FILTERED}"


def event_with_addresses() -> dict:
    return {
        "user": {"id": "7", "ip_address": "203.0.113.9"},
        "request": {
            "env": {"REMOTE_ADDR": "10.1.2.3", "SERVER_NAME": "web.1"},
            "headers": {"X-Forwarded-For": "203.0.113.9, 10.1.2.3", "X-Real-Ip": "203.0.113.9", "Accept": "*/*"},
        },
    }


@pytest.mark.parametrize(
    ("scrub_ip_address", "headers_kept"),
    [(True, {"Accept"}), (False, {"Accept", "X-Forwarded-For", "X-Real-Ip"})],
)
def test_ip_addresses_follow_sentry_scrub_ip_address(scrub_ip_address, headers_kept):
    scrubbed = scrub_event(event_with_addresses(), scrub_ip_address=scrub_ip_address)
    assert ("203.0.113.9" in json.dumps(scrubbed)) is not scrub_ip_address
    assert ("REMOTE_ADDR" in scrubbed["request"]["env"]) is not scrub_ip_address
    assert set(scrubbed["request"]["headers"]) == headers_kept
    assert scrubbed["user"]["id"] == "7"


def test_ip_headers_as_pairs_are_dropped():
    event = {"request": {"headers": [["X-Forwarded-For", "203.0.113.9"], ["Accept", "*/*"]]}}
    assert scrub_event(event)["request"]["headers"] == [["Accept", "*/*"]]


def test_input_event_is_not_modified():
    event = {
        "request": {"data": {"password": SECRET}, "headers": [["Cookie", f"sessionid={SECRET}"]]},
        "message": f"saw {SECRET}",
        **event_with_addresses(),
    }
    before = copy.deepcopy(event)
    scrub_event(event)
    assert event == before


def test_non_text_values_survive():
    event = {"extra": {"count": 3, "ratio": 0.5, "ok": True, "nothing": None, "pair": ("a", 1)}}
    assert scrub_event(event)["extra"] == event["extra"]


SECRET_KEYS_FOR_PROPERTY = ["password", "api_key", "sessionid", "Authorization", "csrftoken", "cvv", "private_key"]
# Characters a token is made of; brackets excluded so a secret cannot be spelt with "[Filtered]".
TOKEN_ALPHABET = st.characters(codec="ascii", categories=["L", "N"], include_characters="-_.~+/=!@#$%^*:")
# Where the secret hides under its key: (path of containers, form of the value).
HIDING_PLACES = st.sampled_from(
    [("request", "data"), ("request", "headers"), ("request", "cookies"), ("extra",), ("contexts", "app"), ("vars",)]
)


def place(event: dict, path: tuple[str, ...], key: str, value: str) -> None:
    if path == ("vars",):
        event["exception"]["values"][0]["stacktrace"]["frames"][0]["vars"][key] = repr(value)
        return
    container = event
    for name in path:
        container = container.setdefault(name, {})
    container[key] = value


@given(
    secret=st.text(TOKEN_ALPHABET, min_size=MIN_SECRET_LENGTH, max_size=40),
    key=st.sampled_from(SECRET_KEYS_FOR_PROPERTY),
    path=HIDING_PLACES,
    before=st.text(TOKEN_ALPHABET | st.just(" "), max_size=20),
    after=st.text(TOKEN_ALPHABET | st.just(" "), max_size=20),
)
def test_secret_under_a_secret_key_never_leaves_anywhere(secret, key, path, before, after):
    def event_around(value: str) -> dict:
        return {
            "message": before + value + after,
            "exception": {"values": [{"type": "KeyError", "value": f"{before}{value}", "stacktrace": {"frames": [
                {"function": "login", "vars": {"attempt": repr(value)}}]}}]},
            "breadcrumbs": {"values": [{"message": f"{value}{after}"}]},
        }  # fmt: skip

    # A secret that is also ordinary text of the event ("values", "login", a key name) cannot be told apart.
    assume(secret not in json.dumps(event_around("")) + key + " ".join(path) and secret not in FILTERED)
    event = event_around(secret)
    place(event, path, key, secret)

    out = sent(event)
    assert secret not in out
    assert json.dumps(secret)[1:-1] not in out


def test_text_seen_before_is_still_scrubbed_by_what_the_next_event_knows():
    """Strings remembered as plain skip the patterns, never the secrets an event carries elsewhere."""
    message = f"could not log in with {SECRET}"
    assert scrub_event({"message": message}) == {"message": message}  # nothing here says it is a secret
    assert SECRET not in sent({"message": message, "request": {"data": {"password": SECRET}}})
    assert SECRET not in sent({"message": message}, SECRET)


def test_the_strings_remembered_as_plain_stay_bounded():
    for number in range(PLAIN_TEXT_REMEMBERED * 3):
        assert not might_hold_secret(f"task {number}")
    assert 0 < len(scrubbing._PLAIN_TEXT) <= PLAIN_TEXT_REMEMBERED
    assert not might_hold_secret("task 7")


def test_a_message_about_a_token_keeps_its_words():
    assert scrub_text("Invalid token provided") == "Invalid token provided"
    assert "abc123def456" not in scrub_text("Authorization: Token abc123def456")


def test_ids_that_look_like_card_numbers_are_kept():
    span_id = "4111111111111111"  # Luhn-valid, all digits
    event = {"contexts": {"trace": {"span_id": span_id, "trace_id": "4" * 32}}, "message": f"card {span_id}"}
    scrubbed = scrub_event(event)
    assert scrubbed["contexts"]["trace"]["span_id"] == span_id
    assert span_id not in scrubbed["message"]


# Text each of the four patterns changes: every key word and separator, every scheme, a URL, cards.
SECRET_SHAPES = [
    *(form.format(key)
      for key in ["password", "Passwd", "pass", "SECRET", "refresh_token", "api-key", "apikey", "private_key",
                  "authorization", "cookie", "session_id", "csrftoken", "ssn", "cvv", "CVC", "pin", "credit_card",
                  "cardnumber", "PA\u017fSWORD", "p\u0130n"]
      for form in ["{}=hunter22", "{}: hunter22", '"{}": "hunter22"']),
    "Bearer abc123defgh", "basic dXNlcjpwYXNz1234", "Token 0123456789ab",
    "redis://u:p4ss@host", "postgres://user:word@host:5432/db",
    "4111111111111111", "4111 1111 1111 1111", "5500-0055-5555-5559", "378282246310005",
]  # fmt: skip


@pytest.mark.parametrize("shaped", SECRET_SHAPES)
@settings(max_examples=25)
@given(
    # The long s and the Kelvin sign match "s" and "k" under IGNORECASE: the quick test must see them too.
    before=st.text(st.sampled_from("ab1 :=-@'\".\u017f\u212a"), max_size=6),
    after=st.text(st.sampled_from("ab1 :=-.\u017f\u212a"), max_size=6),
)
def test_text_the_quick_test_skips_has_nothing_to_filter(shaped, before, after):
    """might_hold_secret lets most strings skip the patterns; it must never skip one they would change."""
    text = before + shaped + after
    if filter_patterns(text) != text:
        assert might_hold_secret(text)


@settings(max_examples=300)
@given(text=st.text(max_size=40))
def test_the_quick_test_never_skips_text_the_patterns_change(text):
    if filter_patterns(text) != text:
        assert might_hold_secret(text)


def test_every_secret_shape_is_filtered():
    assert all(filter_patterns(shaped) != shaped for shaped in SECRET_SHAPES)


# A router request id whose last two groups read as a Luhn-valid 16-digit card number (issue 17).
CARD_SHAPED_REQUEST_ID = "3f2b9c1e-7d4a-4e21-8000-000000000003"


def test_cookies_keep_their_shape_with_every_value_filtered():
    event = {
        "request": {"cookies": {"sessionid": SECRET, "theme": "dark"}, "headers": {"Cookie": f"sessionid={SECRET}"}}
    }
    request = scrub_event(event)["request"]
    # A dict of cookies, not the string Relay rejects ("the cookie is missing a name/value pair").
    assert request["cookies"] == {"sessionid": FILTERED, "theme": FILTERED}
    assert request["headers"] == {"Cookie": FILTERED}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ([["sessionid", SECRET]], [[FILTERED, FILTERED]]),
        ({"nested": {"token": SECRET, "count": 3}}, {"nested": {"token": FILTERED, "count": FILTERED}}),
        ((SECRET, None, True), (FILTERED, None, True)),
    ],
    ids=["pairs", "nested-dict", "tuple"],
)
def test_structures_under_a_secret_key_keep_their_shape(value, expected):
    assert scrub_event({"extra": {"session": value}})["extra"]["session"] == expected


def test_a_card_shaped_request_id_arrives_intact_everywhere_it_is_sent():
    event = {
        "tags": {"request_id": CARD_SHAPED_REQUEST_ID, "dyno": "web.1"},
        "request": {"headers": {"X-Request-Id": CARD_SHAPED_REQUEST_ID}},
        "contexts": {"heroku_log": {"request_id": CARD_SHAPED_REQUEST_ID}},
        "attributes": {"request_id": {"value": CARD_SHAPED_REQUEST_ID, "type": "string"}},
        "message": f"card 4111111111111111 in request {CARD_SHAPED_REQUEST_ID}",
    }
    scrubbed = scrub_event(event)
    assert scrubbed["tags"]["request_id"] == CARD_SHAPED_REQUEST_ID
    assert scrubbed["request"]["headers"]["X-Request-Id"] == CARD_SHAPED_REQUEST_ID
    assert scrubbed["contexts"]["heroku_log"]["request_id"] == CARD_SHAPED_REQUEST_ID
    assert scrubbed["attributes"]["request_id"]["value"] == CARD_SHAPED_REQUEST_ID
    # Free text is still free text: the card number goes, in the message.
    assert "4111111111111111" not in scrubbed["message"]


def test_tags_as_pairs_keep_their_values_and_lose_their_secrets():
    event = {"tags": [["request_id", CARD_SHAPED_REQUEST_ID], ["api_token", SECRET], ["release", "4111111111111111"]]}
    assert scrub_event(event)["tags"] == [
        ["request_id", CARD_SHAPED_REQUEST_ID],
        ["api_token", FILTERED],
        ["release", "4111111111111111"],
    ]


def test_a_known_format_field_that_is_a_secret_is_still_filtered_whole():
    event = {"tags": {"request_id": SECRET}, "request": {"cookies": {"sessionid": SECRET}}, "release": SECRET}
    scrubbed = scrub_event(event)
    assert scrubbed["tags"]["request_id"] == FILTERED
    assert scrubbed["release"] == FILTERED


def test_a_known_format_name_deep_in_the_event_is_exempt_only_where_it_names_an_id():
    # "environment" is the event's environment only at the top: a local of that name can hold os.environ.
    local = "{'DATABASE_URL': 'postgres://bahk:pg-Secret-77@db.example.com/bahk'}"
    event = {
        "environment": "production",
        "exception": {"values": [{"stacktrace": {"frames": [{"vars": {"environment": local}}]}}]},
    }
    scrubbed = scrub_event(event)
    assert scrubbed["environment"] == "production"
    sent_local = scrubbed["exception"]["values"][0]["stacktrace"]["frames"][0]["vars"]["environment"]
    assert "pg-Secret-77" not in sent_local


@given(request_id=st.uuids(), data=st.data())
def test_no_uuid_shaped_request_id_is_ever_altered(request_id, data):
    request_id = str(request_id)
    # Known secrets that are part of the id: a short one the request carried under a secret name, a PIN.
    start = data.draw(st.integers(0, len(request_id) - MIN_SECRET_LENGTH))
    part = request_id[start : data.draw(st.integers(start + MIN_SECRET_LENGTH, len(request_id)))]
    assume(part != request_id)
    event = {
        "tags": {"request_id": request_id},
        "request": {"headers": [["X-Request-Id", request_id]], "data": {"pin": part}},
        "contexts": {"heroku_log": {"request_id": request_id}},
        "attributes": {"request_id": {"value": request_id, "type": "string"}},
    }
    scrubbed = scrub_event(event, [part])
    assert scrubbed["tags"]["request_id"] == request_id
    assert scrubbed["request"]["headers"] == [["X-Request-Id", request_id]]
    assert scrubbed["contexts"]["heroku_log"]["request_id"] == request_id
    assert scrubbed["attributes"]["request_id"]["value"] == request_id


@pytest.mark.parametrize(
    "value",
    ["password=hunter2-9f8e", "token: 0123456789abcdef", "redis://u:p4ss-Secret@host", "Bearer abc123defgh456"],
)
def test_a_secret_under_an_id_name_that_is_not_shaped_like_an_id_is_still_filtered(value):
    # A frame's locals: a list that happens to start with an id's name, and a local called "commit".
    event = {"extra": {"pair": ["commit", value], "commit": value}}
    sent_text = sent(event)
    assert value not in sent_text
    assert "[Filtered]" in sent_text
