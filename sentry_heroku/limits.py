"""What Sentry's ingestion (Relay) keeps of a tag value, a transaction name, a release and an environment, in one place.

Relay's rules, as sentry-relay 0.10.1's StoreNormalizer applies them
(tests/integration/test_relay_ingestion.py runs the project's events through it):
- a tag value over 200 characters is cut to 197 and "..."; one with a newline,
  or empty, is dropped with an invalid_data error; whitespace around it is trimmed;
- a transaction name over 200 characters is cut the same way;
- a release or an environment it refuses is dropped from every event
  (getsentry/sentry-release-parser's validate_release and validate_environment).

Every value that becomes a tag, a transaction name or a fingerprint part goes
through clean() before it is set, so Relay stores it as it was sent: control
characters (C0, DEL, C1) removed, so a value read from outside (a router line,
a header) cannot carry escape sequences into Sentry's UI; whitespace around it
trimmed; at most the limit, the cut marked with an ellipsis. The release and
the environment are checked once, at boot (config.py), and refused there.
"""

import re

_TAG_VALUE_MAX = 200
_TRANSACTION_MAX = 200
_TRUNCATED = "…"
# Relay counts a release's and an environment's length in UTF-8 bytes, a tag's in characters.
_RELEASE_MAX_BYTES = 200
_ENVIRONMENT_MAX_BYTES = 64
# Names Sentry reserves, compared case-insensitively: "latest" means the newest release in its API,
# "none" an event without an environment.
_RESERVED_RELEASES = (".", "..", "latest")
_RESERVED_ENVIRONMENTS = (".", "..", "none")

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# What Relay trims (Rust's Unicode White_Space): str.strip() would also take U+001C..U+001F, which Relay keeps.
_WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000"
)
# What a release or an environment may not hold: the path separators of Sentry's API, and control characters.
_NOT_IN_A_NAME = re.compile(r"[/\\\x00-\x1f\x7f]")


def clean(value: str, limit: int) -> str:
    """value without control characters or surrounding whitespace, at most limit characters (the cut marked)."""
    text = _CONTROL_CHARACTERS.sub("", value).strip(_WHITESPACE)
    if len(text) > limit:
        text = text[: limit - len(_TRUNCATED)] + _TRUNCATED
    return text


def tag_value(value: str) -> str:
    """A tag's value as Relay keeps it; "" when nothing is left, and then the tag is better not set (Relay drops it)."""
    return clean(value, _TAG_VALUE_MAX)


def transaction_name(value: str) -> str:
    return clean(value, _TRANSACTION_MAX)


def release_problem(release: str) -> str | None:
    """Why Relay would drop this release from every event; None when it keeps it."""
    return _name_problem(release, _RELEASE_MAX_BYTES, _RESERVED_RELEASES)


def environment_problem(environment: str) -> str | None:
    """Why Relay would drop this environment from every event; None when it keeps it."""
    return _name_problem(environment, _ENVIRONMENT_MAX_BYTES, _RESERVED_ENVIRONMENTS)


def _name_problem(name: str, max_bytes: int, reserved: tuple[str, ...]) -> str | None:
    name = name.strip(_WHITESPACE)  # as Relay reads it
    if not name:
        return "must not be blank"
    if len(name.encode()) > max_bytes:
        return f"must be at most {max_bytes} bytes (UTF-8), not {len(name.encode())}"
    if name.lower() in reserved:
        return "must not be " + ", ".join(repr(word) for word in reserved) + " (Sentry reserves them)"
    if _NOT_IN_A_NAME.search(name):
        return "must not contain '/', '\\', a line break, a tab or another control character"
    return None
