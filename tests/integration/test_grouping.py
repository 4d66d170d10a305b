"""A real PostgreSQL unique violation groups by the constraint it broke, not by the values in its message."""

import psycopg
from django.db import IntegrityError

from sentry_heroku import grouping


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
