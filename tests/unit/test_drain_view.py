"""The drain's budget, in-process: per dyno and code, never per value a stranger picks, and every line counted."""

from collections import Counter

import pytest
from django.core.exceptions import ImproperlyConfigured

from sentry_heroku.drain.events import event, tags
from sentry_heroku.drain.throttle import MemoryStore
from sentry_heroku.drain.view import _Receiver
from sentry_heroku.routes import UNROUTED
from tests.support import logplex_lines as lines


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
        self.events.append({"tags": tags(error), **event(error, route=route, count=count, held_back=held_back)})

    def post(self, batch: list[tuple[str, str, str]]) -> None:
        self.receiver.handle(lines.body(batch), str(len(batch)), self.config)


@pytest.fixture
def drain(sentry_config):
    return Drain(sentry_config())


def counts(events: list[dict]) -> int:
    return sum(event["contexts"]["heroku_log"]["count"] for event in events)


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
