"""Sentry having a bad day never becomes the app's bad day.

The Procfile's web process serves a burst of concurrent requests (the map,
its page, health checks, and staff errors that Sentry should hear about)
while the sink accepts and never answers, rate-limits with 429 or fails
with 503. Only the deliberate errors answer 500; every request is answered.
Then the sink recovers and a new error arrives: what the SDK does meanwhile
is the SDK's own business, but it must not stay deaf.

What sentry-sdk 2.75 does, which bounds the recovery waited for below:
- its HttpTransport sends from one background thread per process (two here:
  sentry_heroku.sdk.ErrorsFirstTransport gives errors their own), through
  urllib3 with Timeout(total=30): a black-holed send holds that thread for
  30 s, and envelopes captured meanwhile wait in a queue of 100
  (transport_queue_size), beyond which they are dropped, so memory stays
  bounded;
- a 429 with Retry-After: N drops everything for N s (60 s without the
  header), then sends again;
- a 503 drops that envelope and sends the next one normally.
"""

import itertools

import pytest

from tests.support.calls import Call, burst, send, unexpected
from tests.support.processes import heroku_env, migrate, run_command
from tests.support.sentry_sink import SentrySink, tags_of
from tests.support.servers import wait_until
from tests.support.staff import debug_action, session_cookie

BURST = 200
CONCURRENCY = 8
# One request in ten fails on purpose; that many error events are at stake.
ERROR_EVERY = 10
# The longest the SDK can be deaf after the sink recovers: a black-holed send
# ends at urllib3's 30 s timeout; the rest is margin for a loaded machine.
RECOVERY_SECONDS = 60


@pytest.fixture(scope="module")
def faulty_sentry_web(module_dynos, sentry_sink, heroku_postgres, redis_server):
    """One web process for every case: a fault must not need a restart to get over."""
    redis_server.client().flushall()
    env = heroku_env(
        "web.1",
        DATABASE_URL=heroku_postgres.create_database("faults_sentry"),
        REDIS_URL=redis_server.url,
        SENTRY_DSN=sentry_sink.dsn,
        SENTRY_TRACES_SAMPLE_RATE="0.1",  # the production default
    )
    migrate(env)
    seed = run_command(["python", "manage.py", "seed_participants", "--count", "2000", "--seed", "6"], env)
    assert seed.returncode == 0, seed.stderr
    cookie = session_cookie(env)
    return module_dynos.web(env)[1], cookie


def mixed_calls(cookie: str, count: int) -> list[Call]:
    """Mostly the map (a few viewports, cached after the first), its page and health checks; some staff errors."""
    normal = itertools.cycle(
        [
            Call("/api/participants/map/"),
            Call("/api/participants/map/?bbox=-10,35,30,60", {"Accept-Encoding": "gzip"}),
            Call("/api/participants/map/?bbox=-130,20,-60,55&limit=500"),
            Call("/health/"),
            Call("/map/"),
        ]
    )
    error = debug_action(cookie)
    return [error if n % ERROR_EVERY == 0 else next(normal) for n in range(count)]


def is_debug_error(event: dict) -> bool:
    return any(value.get("type") == "ZeroDivisionError" for value in event.get("exception", {}).get("values", []))


def test_every_deliberate_error_arrives_when_sentry_is_healthy(faulty_sentry_web, sentry_sink):
    """The control for the faults below: the same burst into a healthy sink loses no error event."""
    base_url, cookie = faulty_sentry_web

    results = burst(base_url, mixed_calls(cookie, BURST), CONCURRENCY)

    assert not unexpected(results)
    expected = sum(1 for call, _ in results if call.expect == 500)
    sentry_sink.wait_for(lambda s: sum(map(is_debug_error, s.events())) >= expected, what=f"{expected} error events")
    assert sum(map(is_debug_error, sentry_sink.events())) == expected


@pytest.mark.parametrize("mode", ["blackhole", "429", "503"])
def test_requests_are_served_while_sentry_fails_and_errors_arrive_once_it_recovers(
    faulty_sentry_web, sentry_sink, mode
):
    base_url, cookie = faulty_sentry_web
    sentry_sink.set_mode(mode)
    tried, received = sentry_sink.requests, len(sentry_sink.events())

    results = burst(base_url, mixed_calls(cookie, BURST), CONCURRENCY)

    assert not unexpected(results)  # no 5xx but the deliberate ones, and every request answered
    wait_until(lambda: sentry_sink.requests > tried, 10, "the SDK to try the failing sink")
    assert len(sentry_sink.events()) == received  # nothing got through: the fault was real

    sentry_sink.set_mode("ok")
    # One error every few seconds until one arrives: after a 429 the SDK rightly
    # drops what it captures during Retry-After, and each gunicorn worker has its own sender.
    attempts = itertools.count()

    def recovered() -> bool:
        request_id = f"after-{mode}-{next(attempts)}"
        assert send(base_url, debug_action(cookie, headers={"X-Request-ID": request_id})) == 500
        return arrives(sentry_sink, lambda event: tags_of(event).get("request_id", "").startswith(f"after-{mode}-"))

    wait_until(recovered, RECOVERY_SECONDS, f"an error sent after the {mode} sink recovered to arrive", interval=0)


def arrives(sink: SentrySink, matches, within: float = 3) -> bool:
    try:
        sink.wait_for(lambda s: any(map(matches, s.events())), timeout=within)
    except AssertionError:
        return False
    return True
