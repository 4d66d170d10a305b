"""Secrets in task arguments, exception messages, log records and many crafted requests: none reach Sentry.

Beyond tests/integration/test_sentry_privacy.py (three requests to the web): the
Procfile's worker runs tasks whose keyword and positional arguments carry
secrets, fails on them with the secret in the exception message, and logs
them (Celery logs every task it receives, with its arguments, and dumps the
whole message of a task it does not know); the web answers a burst of
requests with a different secret in each place a client can put one. With
everything a team could turn on (locals, request bodies, Sentry Logs at
INFO, tracing at 1.0), not one secret is in the bytes the sink receives.
"""

import itertools
import json

import pytest

from tests.support.calls import Call, burst
from tests.support.staff import debug_action, session_cookie

EVERYTHING_ON = {
    "SENTRY_TRACES_SAMPLE_RATE": "1.0",
    "SENTRY_WITH_LOCALS": "1",
    "SENTRY_REQUEST_BODIES": "always",
    "SENTRY_LOGS_LEVEL": "INFO",
    "SENTRY_BREADCRUMB_LEVEL": "INFO",
}
secrets = (f"s{n}-Zq7xW2vK9mN4pL8r" for n in itertools.count())


@pytest.fixture
def dyno_values(redis_url):
    return {"REDIS_URL": redis_url, **EVERYTHING_ON}


def leaked(sink, planted: list[str]) -> list[str]:
    raw = sink.raw().decode("utf-8", "replace")
    return [secret for secret in planted if secret in raw]


def test_no_secret_in_task_arguments_exception_messages_or_worker_logs_reaches_sentry(
    dyno_env, sentry_sink, start_worker
):
    from celery import Celery

    s = [next(secrets) for _ in range(9)]
    # (task, args, kwargs): each fails in the worker, or is logged by it, with its secrets.
    sends = [
        # float() refuses the value, and says it: the exception message carries the secret.
        ("hub.tasks.record_work", ["t1", f"password={s[0]}"], {}),
        ("hub.tasks.record_work", ["t2"], {"seconds": f"Bearer {s[1]}"}),
        ("hub.tasks.record_work", ["t3", f"postgres://admin:{s[2]}@db.example.com/prod"], {}),
        # An argument the task does not take, named as a secret.
        ("hub.tasks.record_work", ["t4"], {"seconds": 0, "api_key": s[3]}),
        # A task no worker knows: Celery logs the whole message at ERROR.
        ("hub.tasks.no_such_task", [f"token={s[4]}", f"Bearer {s[5]}"], {"password": s[6], "refresh_token": s[7]}),
        # A task that succeeds, with a secret-named keyword: logged on receipt.
        ("hub.tasks.record_work", ["t5"], {"seconds": 0, "access_token": s[8]}),
    ]
    with (
        start_worker(dyno_env("worker.1")),
        Celery(broker=dyno_env("run.1")["REDIS_URL"]) as app,
    ):
        for task, args, kwargs in sends:
            app.send_task(task, args=args, kwargs=kwargs)
        sentry_sink.wait_for(lambda sink: len(sink.events()) >= 5, what="the five failures' events")
        sentry_sink.wait_for(
            lambda sink: sum("record_work[" in r.get("body", "") and "received" in r["body"] for r in sink.logs()) >= 5,
            what="the worker's log of receiving each record_work task",
        )

    assert leaked(sentry_sink, s) == []
    # Not vacuous: the failures arrived with their messages, filtered, and Celery's logs with their arguments.
    messages = json.dumps([event.get("exception") for event in sentry_sink.events()])
    assert "could not convert string to float" in messages
    assert "[Filtered]" in messages
    assert "no_such_task" in json.dumps(sentry_sink.logs())


def test_a_bare_positional_secret_reaches_no_sink(dyno_env, sentry_sink, start_worker):
    from celery import Celery

    secret = next(secrets)
    with (
        start_worker(dyno_env("worker.1")),
        Celery(broker=dyno_env("run.1")["REDIS_URL"]) as app,
    ):
        app.send_task("hub.tasks.record_work", args=[secret, 0])
        sentry_sink.wait_for(lambda sink: any("received" in r.get("body", "") for r in sink.logs()), what="the log")

    assert leaked(sentry_sink, [secret]) == []


SECRET_QUERY_NAMES = ["password", "passwd", "token", "access_token", "api_key", "apiKey", "client_secret", "sessionid"]
SECRET_HEADERS = ["X-Api-Key", "X-Auth-Token", "Proxy-Authorization", "X-CSRFToken"]
SECRET_COOKIES = ["remember_token", "auth_session", "jwt", "sid"]


def planted(calls: list[tuple[str, dict[str, str]]]) -> tuple[list[Call], list[str]]:
    """Staff POSTs of the debug error (a 500, so an event), each with a fresh secret where {} is.

    Each pair is a query string and headers; the session's cookies are the "Cookie" header's.
    """
    made, secrets_used = [], []
    for query, headers in calls:
        secret = next(secrets)
        secrets_used.append(secret)
        filled = {name: value.format(secret) for name, value in headers.items()}
        made.append(debug_action(filled.pop("Cookie"), query=query.format(secret), headers=filled))
    return made, secrets_used


def named_secrets(cookie: str) -> list[tuple[str, dict[str, str]]]:
    """Secrets under names that say so, in the query string, headers and cookies."""
    return (
        [(f"{name}={{}}&q=x", {"Cookie": cookie}) for name in SECRET_QUERY_NAMES]
        + [("", {"Cookie": cookie, "Authorization": "Bearer {}"})]
        + [("", {"Cookie": cookie, name: "{}"}) for name in SECRET_HEADERS]
        + [("", {"Cookie": f"{cookie}; {name}={{}}"}) for name in SECRET_COOKIES]
    )


def free_text_secrets(cookie: str) -> list[tuple[str, dict[str, str]]]:
    """Secrets by their shape only, inside the percent-encoded value of an innocent parameter."""
    return [
        (query, {"Cookie": cookie})
        for query in ("note=password%3D{}", "next=https%3A%2F%2Fu%3A{}%40example.com%2F", "q=Bearer%20{}")
    ]


def burst_of_secrets(dyno_env, sentry_sink, crafted, start_web) -> list[str]:
    env = dyno_env("web.1")
    calls, secrets_used = planted(crafted(session_cookie(env)))
    web, base_url = start_web(env)
    with web:
        results = burst(base_url, calls * 3, concurrency=8)
        assert [status for _, status in results] == [500] * len(results)
        sentry_sink.wait_for(lambda sink: len(sink.events()) >= len(results), what="an event per request")
        sentry_sink.wait_for(lambda sink: len(sink.transactions()) >= len(results), what="a transaction per request")
    return secrets_used


def test_no_secret_from_a_burst_of_crafted_requests_reaches_sentry(dyno_env, sentry_sink, start_web):
    secrets_used = burst_of_secrets(dyno_env, sentry_sink, named_secrets, start_web)

    assert leaked(sentry_sink, secrets_used) == []
    assert "[Filtered]" in sentry_sink.raw().decode()


def test_no_secret_in_the_free_text_of_a_query_value_reaches_sentry(dyno_env, sentry_sink, start_web):
    secrets_used = burst_of_secrets(dyno_env, sentry_sink, free_text_secrets, start_web)

    assert leaked(sentry_sink, secrets_used) == []
