"""The map endpoint as Sentry sees it, from the Procfile's web process: the span tree, the context, the error."""

import json
import sqlite3

import pytest

from tests.support.participants import public_in
from tests.support.processes import HOST, http_get, run_command

STEPS_ON_A_MISS = ["map.cache_lookup", "map.query", "map.serialize", "map.compress", "map.cache_store"]


@pytest.fixture
def traces_rate() -> str:
    return "1.0"


@pytest.fixture
def dyno_values(redis_url, traces_rate):
    return {"REDIS_URL": redis_url, "SENTRY_TRACES_SAMPLE_RATE": traces_rate}


@pytest.fixture
def dyno_env(dyno_env):
    """The same dynos, with 300 participants in their database before the web starts."""
    seeded = run_command(
        ["python", "manage.py", "seed_participants", "--count", "300", "--seed", "5"], dyno_env("web.1")
    )
    assert seeded.returncode == 0, seeded.stderr
    return dyno_env


def get(base_url, query):
    return http_get(f"{base_url}/api/participants/map/?{query}", headers={"Host": HOST, "Accept-Encoding": "gzip"})


def map_transactions(sink, count):
    found = [t for t in sink.transactions() if t["transaction"] == "/api/participants/map/"]
    return found if len(found) >= count else None


def children_of_root(transaction) -> list[dict]:
    root = transaction["contexts"]["trace"]["span_id"]
    return [span for span in transaction["spans"] if span.get("parent_span_id") == root]


def test_map_request_is_one_transaction_with_a_span_per_step_and_the_map_context(web, database, sentry_sink):
    assert get(web, "bbox=-30,-60,60,70")[0] == 200  # a miss: every step
    assert get(web, "bbox=-30,-60,60,70")[0] == 200  # a hit: the lookup only

    miss, hit = sentry_sink.wait_for(lambda s: map_transactions(s, 2), what="two map transactions")
    expected = public_in(database, -30, -60, 60, 70)
    assert expected > 0

    steps = {span["op"]: span for span in children_of_root(miss) if span["op"].startswith("map.")}
    assert list(steps) == STEPS_ON_A_MISS
    assert steps["map.cache_lookup"]["data"]["cache.hit"] is False
    assert steps["map.query"]["data"]["row_count"] == expected
    raw_bytes = steps["map.serialize"]["data"]["bytes"]
    assert 0 < steps["map.compress"]["data"]["bytes"] < raw_bytes / 4
    # The Django integration's own database span sits inside the query step.
    query_span = steps["map.query"]["span_id"]
    assert any(span["op"] == "db" and span.get("parent_span_id") == query_span for span in miss["spans"])
    assert miss["contexts"]["participants_map"] == {
        "bbox": [-30, -60, 60, 70],
        "limit": 10000,
        "count": expected,
        "cache_hit": False,
        "cache": "miss",
    }

    hit_steps = [span for span in children_of_root(hit) if span["op"].startswith("map.")]
    assert [span["op"] for span in hit_steps] == ["map.cache_lookup"]
    assert hit_steps[0]["data"]["cache.hit"] is True
    # Either gunicorn worker may answer: the one that built the body has it in memory, the other in Redis.
    assert hit_steps[0]["data"]["cache.tier"] in ("process", "redis")
    assert hit["contexts"]["participants_map"]["cache_hit"] is True
    assert hit["contexts"]["participants_map"]["count"] == expected


# At rate 0 no span is built (hub/views/fast.py's step()); the error still carries the steps' breadcrumbs.
@pytest.mark.parametrize("traces_rate", ["1.0", "0"])
def test_unexpected_failure_is_captured_with_the_map_context_and_answered_as_json(web, database, sentry_sink):
    with sqlite3.connect(database) as db:
        db.execute("ALTER TABLE hub_participant RENAME TO hub_participant_away")

    status, headers, body = get(web, "bbox=0,0,10,10&limit=5")

    assert status == 500
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"error": "The map could not be loaded; the error has been reported."}
    event = sentry_sink.wait_for(lambda s: next(iter(s.events()), None), what="the error event")
    assert event["exception"]["values"][-1]["type"] == "OperationalError"
    assert event["contexts"]["participants_map"] == {"bbox": [0, 0, 10, 10], "limit": 5}
    crumbs = event["breadcrumbs"]["values"]
    assert [crumb["message"] for crumb in crumbs if crumb.get("category") == "participants_map"] == ["cache miss"]
    assert event["transaction"] == "/api/participants/map/"
