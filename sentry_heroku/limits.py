"""What Sentry's ingestion (Relay) keeps of a tag value or a transaction name, in one place.

Every value that becomes a tag, a transaction name or a fingerprint part
passes through here before it is set: Relay drops a tag value that is longer
than 200 characters or holds a newline, and trims a transaction name to 200.
Control characters (C0, DEL, C1) are removed, so a value read from outside
(a router line, a header) cannot carry escape sequences into Sentry's UI.
"""

import re

TAG_VALUE_MAX = 200
TRANSACTION_MAX = 200
TRUNCATED = "…"

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def clean(value: str, limit: int) -> str:
    """value without control characters, at most limit characters (the cut marked with an ellipsis)."""
    text = _CONTROL_CHARACTERS.sub("", value)
    if len(text) > limit:
        text = text[: limit - len(TRUNCATED)] + TRUNCATED
    return text


def tag_value(value: str) -> str:
    return clean(value, TAG_VALUE_MAX)


def transaction_name(value: str) -> str:
    return clean(value, TRANSACTION_MAX)
