"""sentry_heroku/limits.py against Relay itself: what it cleans, Relay stores as it is; what it refuses, Relay drops."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentry_heroku import limits
from tests.support.relay import normalized, relay_findings

EVENT_ID = "5f0e4a1b2c3d4e5f6a7b8c9d0e1f2a3b"
# Text from outside: any character, control characters and whitespace overrepresented, long enough to be cut.
hostile_text = st.text(
    st.one_of(st.characters(codec="utf-8"), st.sampled_from("\x00\x1b\x7f\x85\x9f\r\n\t \u00e9")), max_size=400
)


def stored_as_sent(event: dict) -> bool:
    return relay_findings(event) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("web.1", "web.1"),
        ("  web.1\r\n", "web.1"),
        ("web\x00.1\x1b[31m", "web.1[31m"),
        ("run\x7f.\x9b1", "run.1"),
        ("é" * 250, "é" * 199 + "…"),
        ("\x00\x01", ""),
    ],
    ids=["plain", "whitespace", "nul-and-escape", "del-and-c1", "long", "nothing-left"],
)
def test_tag_values_lose_control_characters_and_are_capped_at_200(value, expected):
    assert limits.tag_value(value) == expected


@settings(max_examples=300, deadline=None)
@given(text=hostile_text)
def test_relay_stores_a_cleaned_tag_value_and_transaction_name_as_they_were_sent(text):
    tag, transaction = limits.tag_value(text), limits.transaction_name(text)
    event = {"event_id": EVENT_ID, "message": "m", "transaction": transaction or "/"}
    if tag:
        event["tags"] = {"dyno": tag}
    assert stored_as_sent(event)
    result = normalized(event)
    assert result["transaction"] == (transaction or "/")
    if tag:
        assert dict(result["tags"])["dyno"] == tag


@settings(max_examples=300, deadline=None)
@given(
    name=st.one_of(
        hostile_text, st.sampled_from([".", "..", "latest", "LATEST", "none", "None", "x" * 64, "x" * 65, "é" * 33])
    )
)
def test_limits_refuse_exactly_the_releases_and_environments_relay_drops(name):
    for field, problem in (("release", limits.release_problem), ("environment", limits.environment_problem)):
        result = normalized({"event_id": EVENT_ID, "message": "m", field: name})
        assert (problem(name) is None) == (result.get(field) is not None), (field, name, problem(name))
