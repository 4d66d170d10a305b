"""A server's connection limit, reached, is one Sentry issue per service, carrying the connection budget."""

import django.db
import psycopg
import pytest
import redis.exceptions

from sentry_heroku import connection_limits
from sentry_heroku.config import SentryConfig
from sentry_heroku.sdk import before_send

POSTGRES_FULL = (
    'connection failed: connection to server at "127.0.0.1", port 5432 failed: FATAL:  sorry, too many clients already'
)
POSTGRES_RESERVED = (
    'connection failed: connection to server at "127.0.0.1", port 5432 failed: FATAL:  remaining connection slots '
    "are reserved for roles with the SUPERUSER attribute"
)


def wrapped(error: BaseException, outer: type[BaseException]) -> BaseException:
    """outer raised from error, as Django wraps the driver's errors."""
    try:
        try:
            raise error
        except BaseException as inner:
            raise outer("wrapped") from inner
    except BaseException as caught:
        return caught


@pytest.mark.parametrize(
    ("error", "service"),
    [
        (redis.exceptions.ConnectionError("max number of clients reached"), "redis"),
        (redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused."), None),
        (psycopg.OperationalError(POSTGRES_FULL), "postgres"),
        (psycopg.OperationalError(POSTGRES_RESERVED), "postgres"),
        (psycopg.OperationalError('FATAL:  too many connections for role "app"'), "postgres"),
        (psycopg.OperationalError('FATAL:  too many connections for database "d1"'), "postgres"),
        (psycopg.OperationalError("FATAL:  password authentication failed"), None),
        (wrapped(psycopg.OperationalError(POSTGRES_FULL), django.db.OperationalError), "postgres"),
        (wrapped(redis.exceptions.ConnectionError("max number of clients reached"), RuntimeError), "redis"),
        (ValueError("too many values to unpack"), None),
    ],
)
def test_the_service_at_its_limit_is_read_from_the_error_or_what_it_came_from(error, service):
    assert connection_limits.error_service(error) == service


def event_for(error: BaseException) -> dict:
    return before_send(SentryConfig())(
        {"exception": {"values": []}, "tags": {"dyno": "web.2"}}, {"exc_info": (type(error), error, None)}
    )


def test_limit_errors_from_different_places_share_one_issue_per_service():
    redis_full = event_for(redis.exceptions.ConnectionError("max number of clients reached"))
    postgres_full = event_for(psycopg.OperationalError(POSTGRES_FULL))
    postgres_reserved = event_for(wrapped(psycopg.OperationalError(POSTGRES_RESERVED), django.db.OperationalError))

    assert redis_full["fingerprint"] == ["connection-limit", "redis"]
    assert postgres_full["fingerprint"] == postgres_reserved["fingerprint"] == ["connection-limit", "postgres"]
    assert (redis_full["tags"]["connection_limit"], postgres_full["tags"]["connection_limit"]) == ("redis", "postgres")
    assert redis_full["tags"]["dyno"] == "web.2"


def test_a_logged_limit_message_without_an_exception_is_grouped_too():
    event = {"logentry": {"message": "cache unavailable: %s", "formatted": "cache unavailable: max number of clients "
                          "reached"}}  # fmt: skip
    assert connection_limits.group_limit_error(event, None)["fingerprint"] == ["connection-limit", "redis"]


def test_other_errors_keep_their_own_grouping():
    event = event_for(redis.exceptions.ConnectionError("Connection refused"))
    assert "fingerprint" not in event
    assert "connection_limit" not in event["tags"]


def test_the_event_carries_the_projects_connection_budget():
    # bahk/apps.py registered the project's description at start-up.
    event = event_for(psycopg.OperationalError(POSTGRES_FULL))

    capacity = event["contexts"]["capacity"]
    assert capacity["web_dyno"] == {"redis": 0, "postgres": 0}  # the in-process tests run on SQLite and local memory
    assert capacity["sizes"] == {"web_concurrency": 2, "gunicorn_threads": 4, "worker_concurrency": 2}
    assert capacity["plan_limits"] == {"redis": 20, "postgres": 20}  # the Deploy button's, REDIS_PLAN unset
    assert capacity["command"] == "heroku run python manage.py capacity"


def test_a_failing_description_does_not_lose_the_event(monkeypatch):
    def broken() -> dict:
        raise RuntimeError("no settings")

    monkeypatch.setattr(connection_limits, "_describe_capacity", broken)
    event = event_for(psycopg.OperationalError(POSTGRES_FULL))
    assert event["fingerprint"] == ["connection-limit", "postgres"]
    assert event["contexts"]["capacity"] == {"error": "the capacity report failed"}
