"""An IntegrityError groups by the constraint it broke, not by the values in its message."""

import sys

import psycopg
import pytest
from django.contrib.auth.models import User
from django.db import DatabaseError, IntegrityError, transaction

from hub.models import Participant
from sentry_heroku import grouping
from sentry_heroku.config import SentryConfig
from sentry_heroku.sdk import before_send


def violation(action) -> IntegrityError:
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        action()
    return caught.value


def participant(**values) -> None:
    Participant.objects.create(**{"name": "Ann", "city": "Oslo", "country": "NO", "latitude": 59.9, "longitude": 10.7,
                                  **values})  # fmt: skip


@pytest.mark.django_db
def test_two_duplicate_usernames_on_sqlite_share_a_fingerprint():
    User.objects.create(username="ann")
    User.objects.create(username="bob")
    first = violation(lambda: User.objects.create(username="ann"))
    second = violation(lambda: User.objects.create(username="bob"))

    assert grouping.fingerprint(first) == ["database-integrity-error", "unique auth_user.username"]
    assert grouping.fingerprint(second) == grouping.fingerprint(first)


@pytest.mark.django_db
def test_check_constraint_on_sqlite_is_named_in_the_fingerprint():
    too_far_north = violation(lambda: participant(latitude=91.5))
    too_far_south = violation(lambda: participant(latitude=-123.0))
    off_the_map = violation(lambda: participant(longitude=200))

    assert grouping.fingerprint(too_far_north) == ["database-integrity-error", "check participant_latitude_range"]
    assert grouping.fingerprint(too_far_south) == grouping.fingerprint(too_far_north)
    assert grouping.fingerprint(off_the_map) == ["database-integrity-error", "check participant_longitude_range"]


def postgres_violation(url: str, email: str) -> IntegrityError:
    """A real psycopg UniqueViolation, wrapped the way Django's database layer wraps it."""
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS member (email text CONSTRAINT member_email_key UNIQUE)")
        connection.execute("INSERT INTO member VALUES (%s) ON CONFLICT DO NOTHING", [email])
        try:
            connection.execute("INSERT INTO member VALUES (%s)", [email])
        except psycopg.errors.UniqueViolation as error:
            try:
                raise IntegrityError(*error.args) from error
            except IntegrityError as wrapped:
                return wrapped
    raise AssertionError("PostgreSQL accepted a duplicate")


def test_two_duplicate_emails_on_postgresql_share_a_fingerprint(postgres_url):
    first = postgres_violation(postgres_url, "ann@example.com")
    second = postgres_violation(postgres_url, "bob@example.com")

    assert "ann@example.com" in str(first.__cause__.diag.message_detail)
    assert grouping.fingerprint(first) == ["database-integrity-error", "member_email_key"]
    assert grouping.fingerprint(second) == grouping.fingerprint(first)


class Diagnostics:
    """Only what psycopg's Error.diag offers grouping: the constraint's name."""

    def __init__(self, constraint_name):
        self.constraint_name = constraint_name


class DriverError(Exception):
    def __init__(self, message, constraint_name=None):
        super().__init__(message)
        self.diag = Diagnostics(constraint_name)


def wrapped(message: str, cause: BaseException | None = None) -> IntegrityError:
    error = IntegrityError(message)
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (wrapped('duplicate key value violates unique constraint "hub_participant_email_key"\n'
                 "DETAIL:  Key (email)=(ann@example.com) already exists."), "hub_participant_email_key"),
        (wrapped('new row for relation "hub_participant" violates check constraint "participant_latitude_range"\n'
                 "DETAIL:  Failing row contains (1, Ann, Oslo, NO, 91.5, 10.7)."), "participant_latitude_range"),
        (wrapped('insert or update on table "hub_visit" violates foreign key constraint "hub_visit_person_fk"'),
         "hub_visit_person_fk"),
        (wrapped("whatever the driver said", DriverError("x", "from_diagnostics")), "from_diagnostics"),
        (wrapped('violates unique constraint "from_message"', DriverError("x", None)), "from_message"),
        (wrapped("UNIQUE constraint failed: hub_member.team_id, hub_member.user_id"),
         "unique hub_member.team_id, hub_member.user_id"),
        (wrapped("NOT NULL constraint failed: hub_participant.name"), "not null hub_participant.name"),
    ],
    ids=["pg-unique", "pg-check", "pg-foreign-key", "diag", "diag-empty", "sqlite-multi-column", "sqlite-not-null"],
)  # fmt: skip
def test_constraint_name_is_read_from_diagnostics_or_message(error, expected):
    assert grouping.fingerprint(error) == ["database-integrity-error", expected]


@pytest.mark.parametrize(
    "error",
    [
        ZeroDivisionError("division by zero"),
        DatabaseError('violates unique constraint "looks_like_one"'),
        ValueError('duplicate key value violates unique constraint "not_a_database_error"'),
        wrapped('null value in column "name" of relation "hub_participant" violates not-null constraint'),
    ],
    ids=["zero-division", "database-error", "value-error", "no-constraint-named"],
)
def test_other_errors_keep_sentrys_default_grouping(error):
    assert grouping.fingerprint(error) is None


def test_a_rule_added_to_rules_is_used(monkeypatch):
    def timeouts(error):
        return ["upstream-timeout"] if isinstance(error, TimeoutError) else None

    monkeypatch.setattr(grouping, "RULES", [*grouping.RULES, timeouts])
    assert grouping.fingerprint(TimeoutError("api.example.com after 30.2 s")) == ["upstream-timeout"]
    assert grouping.fingerprint(wrapped('violates unique constraint "k"')) == ["database-integrity-error", "k"]


def test_the_first_rule_that_answers_wins(monkeypatch):
    monkeypatch.setattr(grouping, "RULES", [lambda error: None, lambda error: ["second"], lambda error: ["third"]])
    assert grouping.fingerprint(ValueError()) == ["second"]


def exc_info(error: BaseException):
    try:
        raise error
    except BaseException:
        return sys.exc_info()


def test_before_send_puts_the_fingerprint_on_the_event():
    error = wrapped('duplicate key value violates unique constraint "auth_user_username_key"')
    event = before_send(SentryConfig())({"exception": {"values": []}}, {"exc_info": exc_info(error)})
    assert event["fingerprint"] == ["database-integrity-error", "auth_user_username_key"]


def test_before_send_leaves_other_errors_to_default_grouping():
    event = before_send(SentryConfig())({"exception": {"values": []}}, {"exc_info": exc_info(KeyError("x"))})
    assert "fingerprint" not in event
