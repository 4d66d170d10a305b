"""The drain view in-process: its answers as Logplex meets them, the Frame-Id dedupe, the cache fallback, and the
budget (per dyno and code, never per value a stranger picks, and every line counted)."""

import logging
import time
import types
import uuid
from collections import Counter

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from bahk import backing_services
from sentry_heroku.drain import view
from sentry_heroku.drain.throttle import MemoryStore
from sentry_heroku.drain.view import _Receiver
from sentry_heroku.routes import UNROUTED
from tests.support import logplex_lines as lines
from tests.support.drain_client import SECRET, fresh_dyno, line_count
from tests.support.served_drain import basic, kept_event


class Clock:
    def __init__(self, now: float = 1_000_020.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


class Drain:
    """A Receiver as the web process has one, with the throttle on a clock the test moves and the events kept."""

    def __init__(self, config):
        self.clock = Clock()
        self.config = config
        self.events: list[dict] = []
        self.receiver = _Receiver(shared=MemoryStore(self.clock), clock=self.clock, send=self.keep)

    def keep(self, error, route, count, *, held_back):
        self.events.append(kept_event(error, route, count, held_back))

    def post(self, batch: list[tuple[str, str, str]]) -> None:
        self.receiver.handle(lines.body(batch), str(len(batch)), self.config)


@pytest.fixture
def drain(sentry_config):
    return Drain(sentry_config())


def counts(events: list[dict]) -> int:
    return sum(event["contexts"]["heroku_log"]["count"] for event in events)


def test_a_batch_with_the_drain_password_gets_204_and_its_events(served):
    dyno = fresh_dyno("worker")
    response = served.post([("heroku", dyno, lines.R14)])
    assert (response.status_code, response.content) == (204, b"")
    [r14] = served.events_about(dyno)
    assert (r14["tags"]["heroku_error"], line_count(r14)) == ("R14", 1)


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        basic("drain:wrong-secret-0000000000000000000000"),
        basic(f"drain:{SECRET[:-1]}"),
        basic(f"drain:{SECRET}x"),
        basic(f"{SECRET}:"),  # the secret as the user name, not the password
        basic(SECRET),
        f"Bearer {SECRET}",
        "Basic not-base64!",
    ],
    ids=["missing", "wrong", "prefix", "longer", "as-user-name", "as-user-name-no-colon", "bearer", "not-base64"],
)
def test_without_the_drain_password_a_batch_gets_401_and_sends_nothing(served, authorization):
    response = served.post([("heroku", fresh_dyno("worker"), lines.R14)], authorization=authorization)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="heroku-drain"'
    assert served.events == []


def test_without_heroku_drain_secret_the_drain_answers_404_even_to_the_right_password(served, sentry_config):
    served.configure(sentry_config())
    assert served.post([("heroku", fresh_dyno("worker"), lines.R14)]).status_code == 404
    assert served.client.get("/heroku/logs/", headers={"Host": lines.HOST}).status_code == 404
    assert served.events == []


def test_a_get_gets_405_naming_post(served):
    response = served.client.get("/heroku/logs/", headers={"Host": lines.HOST})
    assert (response.status_code, response["Allow"]) == (405, "POST")


def test_a_body_of_one_megabyte_is_read_and_one_byte_more_gets_413(served):
    dyno = fresh_dyno("worker")
    frame = lines.frame("heroku", dyno, lines.R14)
    count = 1_000_000 // len(frame)
    body = frame * count + b"\n" * (1_000_000 - count * len(frame))  # Logplex's frames, padded to the limit
    assert served.post(body=body).status_code == 204
    assert [line_count(event) for event in served.events_about(dyno)] == [count]

    other = fresh_dyno("worker")
    frame = lines.frame("heroku", other, lines.R14)
    assert served.post(body=frame * count + b"\n" * (1_000_001 - count * len(frame))).status_code == 413
    assert served.events_about(other) == []


def test_a_batch_logplex_sends_again_is_counted_once_by_any_web_process(served):
    dyno = fresh_dyno("worker")
    batch = [("heroku", dyno, lines.R14)]
    frame_id = uuid.uuid4().hex.upper()
    assert served.post(batch, frame_id=frame_id).status_code == 204
    assert served.post(batch, frame_id=frame_id).status_code == 204  # Logplex's retry, to this process
    served.new_process()
    assert served.post(batch, frame_id=frame_id).status_code == 204  # and to another one: the cache remembers
    assert [line_count(event) for event in served.events_about(dyno)] == [1]

    assert served.post(batch).status_code == 204  # a new batch with the same line is a new R14
    assert [line_count(event) for event in served.events_about(dyno)] == [1, 1]


def test_when_the_shared_cache_fails_the_drain_counts_in_its_own_process(served, dead_redis, caplog):
    with override_settings(CACHES={"default": backing_services.redis_cache(dead_redis)}):  # Redis dies under it
        dyno = fresh_dyno("worker")
        batch = [("heroku", dyno, lines.R14)]
        frame_id = uuid.uuid4().hex.upper()
        with caplog.at_level(logging.WARNING, logger="sentry_heroku.drain"):
            assert served.post(batch, frame_id=frame_id).status_code == 204
            assert served.post(batch, frame_id=frame_id).status_code == 204
        assert [line_count(event) for event in served.events_about(dyno)] == [1]
        warnings = [record.getMessage() for record in caplog.records if record.name == "sentry_heroku.drain"]
        assert warnings == ["Heroku log drain: the cache failed; counting in this process"]

        storm = fresh_dyno()
        for _ in range(5):
            served.post([("heroku", "router", lines.router("H12", "Request timeout", dyno=storm))] * 10)
        assert [line_count(event) for event in served.events_about(storm)] == [10, 10, 10]


def test_once_the_pause_after_a_cache_failure_is_over_the_drain_counts_in_the_shared_cache_again(
    served, dead_redis, monkeypatch
):
    dyno = fresh_dyno("worker")
    with override_settings(CACHES={"default": backing_services.redis_cache(dead_redis)}):
        assert served.post([("heroku", dyno, lines.R14)]).status_code == 204  # counted in this process
    # Redis is back, and the pause after the failure is over: this process's clock, 31 s on.
    later = time.monotonic() + view._CACHE_PAUSE_SECONDS + 1
    monkeypatch.setattr(view, "time", types.SimpleNamespace(monotonic=lambda: later, time=time.time))
    batch, frame_id = [("heroku", dyno, lines.R14)], uuid.uuid4().hex.upper()
    assert served.post(batch, frame_id=frame_id).status_code == 204
    served.new_process()  # Logplex's retry reaches another web process: only the shared cache can know the batch
    assert served.post(batch, frame_id=frame_id).status_code == 204
    assert [line_count(event) for event in served.events_about(dyno)] == [1, 1]


def test_240_router_errors_for_240_chosen_paths_in_one_batch_are_one_event_per_code(drain):
    drain.post(lines.attacker_lines(240, "web.1"))
    assert sorted(event["tags"]["heroku_error"] for event in drain.events) == ["H13", "H18", "H26", "H27"]
    assert {tuple(event["fingerprint"][2:]) for event in drain.events} == {(UNROUTED,)}
    assert {event["transaction"] for event in drain.events} == {UNROUTED}
    assert counts(drain.events) == 240


def test_an_adversarial_storm_over_many_batches_costs_the_limit_per_code_and_dyno_and_counts_every_line(drain):
    for _ in range(24):
        drain.post(lines.attacker_lines(10, "web.1"))
    per_code = Counter(event["tags"]["heroku_error"] for event in drain.events)
    assert per_code == {"H27": 3, "H13": 3, "H18": 3, "H26": 3}  # HEROKU_DRAIN_EVENTS_PER_MINUTE, per code and dyno
    assert {event["tags"]["dyno"] for event in drain.events} == {"web.1"}
    sent_in_the_storm = counts(drain.events)

    drain.clock.now += 60
    drain.post([])  # the next batch, after the minute: what was held back leaves as one summary per code
    summaries = drain.events[12:]
    assert sorted(event["tags"]["heroku_error"] for event in summaries) == ["H13", "H18", "H26", "H27"]
    held_back = [event["contexts"]["heroku_log"]["held_back"] for event in summaries]
    assert held_back == [event["contexts"]["heroku_log"]["count"] for event in summaries]
    assert sent_in_the_storm + sum(held_back) == 240


def test_each_dyno_has_its_own_budget(drain):
    for dyno in ("web.1", "web.2"):
        for _ in range(5):
            drain.post(lines.attacker_lines(4, dyno))
    assert Counter(event["tags"]["dyno"] for event in drain.events) == {"web.1": 12, "web.2": 12}


def test_router_lines_naming_made_up_dynos_share_the_budget_of_dyno_unknown(drain):
    for number in range(40):
        drain.post(lines.attacker_lines(1, f"web.1\x1b[{number}m"))
    assert {event["tags"]["dyno"] for event in drain.events} == {"unknown"}
    assert len(drain.events) <= 3


@pytest.mark.parametrize(
    ("process", "sample", "limit"),
    [("heroku-redis", lines.redis_metrics, 200), ("heroku-postgres", lines.postgres_metrics, 400)],
    ids=["redis", "postgres"],
)
def test_an_addon_over_80_percent_warns_once_per_window(drain, process, sample, limit):
    drain.post([("app", process, sample(limit * 79 // 100, limit))])
    assert drain.events == []
    drain.post([("app", process, sample(limit * 81 // 100, limit))])
    drain.post([("app", process, sample(limit * 81 // 100, limit))])  # a minute later, Heroku's next sample
    [warning] = drain.events
    assert (warning["level"], warning["tags"]["dyno"]) == ("warning", process)
    assert warning["tags"]["heroku_error"] == "connections"
    assert "81%" in warning["message"]


def test_the_connections_threshold_is_read_from_heroku_drain_connections_percent(sentry_config):
    drain = Drain(sentry_config(HEROKU_DRAIN_CONNECTIONS_PERCENT="90"))
    drain.post([("app", "heroku-redis", lines.redis_metrics(170, 200))])
    assert drain.events == []
    drain.post([("app", "heroku-redis", lines.redis_metrics(180, 200))])
    assert [event["tags"]["heroku_error"] for event in drain.events] == ["connections"]


@pytest.mark.parametrize("value", ["0", "101", "eighty"])
def test_a_connections_threshold_out_of_range_is_refused_naming_the_variable(sentry_config, value):
    with pytest.raises(ImproperlyConfigured, match="HEROKU_DRAIN_CONNECTIONS_PERCENT"):
        sentry_config(HEROKU_DRAIN_CONNECTIONS_PERCENT=value)
