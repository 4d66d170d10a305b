"""Sentry's ingestion in the test process: the sentry-relay package normalizes an event as Relay does on arrival.

StoreNormalizer is the normalizer Sentry runs on every event it stores. With
trimming on, as in Sentry's processing Relays, it cuts what is over Sentry's
limits and says so in the event's `_meta`; it reports what it rejected in
`errors` (and drops the value). A clean event comes back with neither.
"""

import json
import re

from sentry_relay.processing import StoreNormalizer

from tests.support.sentry_sink import tags_of

_NORMALIZER = StoreNormalizer(enable_trimming=True)
# The tags a user filters a dyno's events by (README's tag table).
HEROKU_TAGS = ("dyno", "dyno_type", "heroku_app", "heroku_release", "request_id")


def normalized(event: dict) -> dict:
    return _NORMALIZER.normalize_event(event)


def relay_findings(event: dict) -> list[str]:
    """What Relay would reject, remove or trim in the event: its processing errors and its own _meta notes.

    Notes the SDK already sent in the event's _meta (a request body it did not attach) are the SDK's, not
    Relay's. So is the cut of a stack frame's locals to Relay's budget of 2 KB per frame: the SDK sends a
    local's repr whole (max_value_length is unset), and Relay keeps 2 KB of a frame's locals, by design.
    """
    result = normalized(event)
    sdk_notes = set(_meta_notes(event.get("_meta") or {}))
    findings = [f"error: {json.dumps(error)}" for error in result.get("errors", [])]
    findings += [
        f"_meta {path}: {note}"
        for path, note in _meta_notes(result.get("_meta") or {})
        if (path, note) not in sdk_notes and not FRAME_LOCALS_CUT.fullmatch(f"{path} {note}")
    ]
    return findings


# "exception.values.0.stacktrace.frames.3.vars.setup" (or threads'), trimmed to the size limit and nothing else.
FRAME_LOCALS_CUT = re.compile(r'\S*\.stacktrace\.frames\.\d+\.vars\.\S+ \{"rem": \[\["!limit", "s", \d+, \d+\]\]\}')


def _meta_notes(meta: dict, path: str = "") -> list[tuple[str, str]]:
    """(path, note) for every removal ("rem") or error ("err") a _meta tree records."""
    notes = []
    for key, value in meta.items():
        if key == "" and isinstance(value, dict):
            notes += [(path, json.dumps({kind: value[kind]})) for kind in ("rem", "err") if value.get(kind)]
        elif isinstance(value, dict):
            notes += _meta_notes(value, f"{path}.{key}" if path else key)
    return notes


def changed_heroku_values(event: dict) -> dict[str, tuple]:
    """The Heroku tags, release and environment that Relay would not store exactly as sent: name → (sent, stored)."""
    result = normalized(event)
    sent, stored = tags_of(event), tags_of(result)
    changed = {
        name: (sent[name], stored.get(name)) for name in HEROKU_TAGS if name in sent and stored.get(name) != sent[name]
    }
    for field in ("release", "environment", "server_name"):
        # Relay files server_name under the tags.
        stored_value = (stored.get(field) or result.get(field)) if field == "server_name" else result.get(field)
        if field in event and stored_value != event[field]:
            changed[field] = (event[field], stored_value)
    return changed
