"""Two web dynos and a worker on one Redis: one liveness check-in per process type per interval, and
none from a type once its dynos are gone. SENTRY_LIVENESS_SECONDS shortens the minute to 5 s."""

import itertools
import time
from datetime import datetime

import pytest

INTERVAL = 5
# The web dynos run gunicorn's default two workers each: four web processes and one worker process claim.
CLAIMING_PROCESSES = 2 * 2 + 1


@pytest.fixture
def dyno_values():
    return {"SENTRY_LIVENESS_SECONDS": str(INTERVAL), "SENTRY_TRACES_SAMPLE_RATE": "1"}


def moments(check_ins) -> list[float]:
    return [datetime.fromisoformat(check_in["timestamp"]).timestamp() for check_in in check_ins]


def command_calls(redis_server) -> dict[str, int]:
    stats = redis_server.client().info("commandstats")
    return {name.removeprefix("cmdstat_"): int(values["calls"]) for name, values in stats.items()}


def assert_one_per_interval(check_ins, window: float) -> None:
    times = moments(check_ins)
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    # The shared key lives one interval: no two processes of a type check in within it.
    assert all(gap > INTERVAL - 0.5 for gap in gaps), gaps
    # And the next process to wake after it expired takes the next one.
    assert len(times) >= window / (3 * INTERVAL), gaps


def test_each_process_type_checks_in_once_an_interval_until_its_dynos_are_gone(
    dyno_env, sentry_sink, redis_server, start_web, start_worker
):
    webs = [start_web(dyno_env(f"web.{n}"))[0] for n in (1, 2)]
    worker = start_worker(dyno_env("worker.1"))
    try:
        sentry_sink.wait_for(lambda sink: sink.checkins("heroku-worker"), timeout=30, what="the worker's check-in")
        calls_before, started = command_calls(redis_server), time.time()
        time.sleep(6 * INTERVAL)
        window, calls = time.time() - started, command_calls(redis_server)
        calls = {name: count - calls_before.get(name, 0) for name, count in calls.items()}
        calls = {name: count for name, count in calls.items() if count and name not in ("info", "flushall")}
        sets = calls.get("set", 0)

        for slug in ("heroku-web", "heroku-worker"):
            check_ins = [c for c in sentry_sink.checkins(slug) if moments([c])[0] >= started]
            assert {c["status"] for c in check_ins} == {"ok"}
            assert check_ins[0]["monitor_config"]["schedule"] == {"type": "interval", "value": 1, "unit": "minute"}
            assert check_ins[0]["environment"] == "production"
            assert_one_per_interval(check_ins, window)
        # At most one SET NX per claiming process per interval (each wakes every 1 to 1.2 intervals).
        assert sets <= CLAIMING_PROCESSES * (window / INTERVAL + 1), calls
        print(f"liveness: Redis commands in {window:.1f} s, {CLAIMING_PROCESSES} processes, {INTERVAL} s: {calls}")
        assert sentry_sink.checkins("heroku-beat") == []  # no beat dyno runs
        # Every request and task is traced here, but not the heartbeats: they would be a transaction a minute.
        assert not [t for t in sentry_sink.transactions() if "liveness" in t["transaction"]]

        worker.stop()
        time.sleep(2 * INTERVAL)  # a heartbeat task already queued may still have run
        worker_check_ins, web_check_ins = (
            len(sentry_sink.checkins("heroku-worker")),
            len(sentry_sink.checkins("heroku-web")),
        )
        time.sleep(4 * INTERVAL)
        assert len(sentry_sink.checkins("heroku-worker")) == worker_check_ins
        assert len(sentry_sink.checkins("heroku-web")) > web_check_ins
    finally:
        worker.stop()
        for web in webs:
            web.stop()
