"""Fingerprints for errors whose messages carry values.

Sentry groups an error by its stack trace and message. A database
IntegrityError's message holds the offending values ("Key (email)=(a@b.c)
already exists"), so each value would open a new issue. These rules group
by what is wrong instead.

To add a rule: write a function that takes the exception and returns a
fingerprint (a list of strings) or None, and add it to RULES. The first
rule that answers wins; with no answer Sentry's default grouping applies.
"""

import re
from collections.abc import Callable

from django.db import IntegrityError

# PostgreSQL: 'violates unique constraint "hub_participant_email_key"'
_POSTGRES_CONSTRAINT = re.compile(r'constraint "(?P<name>[^"]+)"')
# SQLite: 'UNIQUE constraint failed: hub_participant.email' or 'CHECK constraint failed: participant_latitude_range'
_SQLITE_CONSTRAINT = re.compile(r"(?P<kind>[A-Z ]+) constraint failed: (?P<name>[\w., ]+)")


def constraint_name(error: IntegrityError) -> str | None:
    diagnostics = getattr(error.__cause__, "diag", None)  # psycopg's parsed server error
    if getattr(diagnostics, "constraint_name", None):
        return diagnostics.constraint_name
    message = str(error)
    match = _POSTGRES_CONSTRAINT.search(message)
    if match:
        return match["name"]
    match = _SQLITE_CONSTRAINT.search(message)
    if match:
        return f"{match['kind'].strip().lower()} {match['name'].strip()}"
    return None


def _integrity_error(error: BaseException) -> list[str] | None:
    if isinstance(error, IntegrityError):
        name = constraint_name(error)
        if name:
            return ["database-integrity-error", name]
    return None


RULES: list[Callable[[BaseException], list[str] | None]] = [_integrity_error]


def fingerprint(error: BaseException) -> list[str] | None:
    for rule in RULES:
        result = rule(error)
        if result:
            return result
    return None
