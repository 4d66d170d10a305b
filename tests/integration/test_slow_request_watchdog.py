"""The slow-request watchdog on the Procfile's web process: a request still running past the threshold is
reported once, with the line it is on, its request_id, its trace and the dyno's tags; fast ones never are."""

import threading

import pytest

from tests.support.processes import heroku_env, http_get
from tests.support.sentry_sink import settle, tags_of

HOST = "bahk-test-1a2b3c4d5e6f.herokuapp.com"


def watchdog_env(tmp_path, sentry_sink, threshold: str) -> dict[str, str]:
    return heroku_env(
        "web.1",
        DJANGO_SETTINGS_MODULE="tests.support.slow_request_settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        SENTRY_DSN=sentry_sink.dsn,
        SENTRY_TRACES_SAMPLE_RATE="1.0",
        SENTRY_SLOW_REQUEST_SECONDS=threshold,
    )


@pytest.fixture
def slow_web(tmp_path, sentry_sink, start_web) -> str:
    """A web dyno whose watchdog reports requests past 2 s; its base URL."""
    return start_web(watchdog_env(tmp_path, sentry_sink, "2"))[1]


def watchdog_events(sink) -> list[dict]:
    return [event for event in sink.events() if event.get("logger") == "sentry_heroku.watchdog"]


def get(base_url, path, **headers):
    return http_get(base_url + path, headers={"Host": HOST, **headers}, timeout=15)


def test_a_request_past_the_threshold_is_reported_with_the_line_it_is_on(slow_web, sentry_sink):
    status, _, _ = get(slow_web, "/test/sleep/4/", **{"X-Request-ID": "slow-5c1e8f1a"})
    assert status == 200

    [event] = sentry_sink.wait_for(watchdog_events, what="the watchdog's event")
    tags = tags_of(event)
    assert (tags["dyno"], tags["dyno_type"], event["server_name"]) == ("web.1", "web", "web.1")
    assert tags["request_id"] == "slow-5c1e8f1a"
    assert event["level"] == "warning"
    assert event["message"].startswith("Slow request: GET /test/sleep/{seconds}/ still running after ")
    assert event["fingerprint"] == ["slow-request", "GET", "/test/sleep/{seconds}/"]
    frames = event["threads"]["values"][0]["stacktrace"]["frames"]
    sleeping = frames[-1] if frames[-1]["function"] == "sleep" else None
    assert sleeping is not None, [frame["function"] for frame in frames[-5:]]
    assert "time.sleep(seconds)" in sleeping["context_line"]
    assert "vars" not in sleeping  # the serving thread's locals are not read while it runs

    transaction = sentry_sink.wait_for(
        lambda s: next((t for t in s.transactions() if t["transaction"] == "/test/sleep/{seconds}/"), None),
        what="the slow request's transaction",
    )
    assert event["contexts"]["trace"]["trace_id"] == transaction["contexts"]["trace"]["trace_id"]


def test_fast_requests_are_never_reported(slow_web, sentry_sink):
    threads = [threading.Thread(target=get, args=(slow_web, path)) for path in ["/test/sleep/1/", "/health/"] * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    get(slow_web, "/admin/login/")
    settle(3)  # past the 2 s threshold for every request above
    assert watchdog_events(sentry_sink) == []


def test_a_threshold_of_zero_turns_the_watchdog_off(tmp_path, sentry_sink, start_web):
    _, base_url = start_web(watchdog_env(tmp_path, sentry_sink, "0"))
    assert get(base_url, "/test/sleep/3/")[0] == 200
    sentry_sink.wait_for(lambda s: s.transactions(), what="the slow request's transaction")
    settle(1)
    assert watchdog_events(sentry_sink) == []
