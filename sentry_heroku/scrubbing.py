"""Remove secrets from a Sentry event before it leaves the dyno.

Three passes, all in one walk over the event, all derived from SECRET_WORDS:
1. by key: the value under any key that names a secret (password, token,
   cookie, authorization, …) becomes "[Filtered]", at any depth: request
   data, headers, cookies, extra, contexts, breadcrumbs, span data and
   stack-frame locals; a dict or list under such a key keeps its shape with
   every value inside filtered (request.cookies stays a dict of cookies);
2. by value: a string that was found under such a key anywhere (or that the
   request carried under one) is filtered wherever else it shows up, e.g.
   in an exception message or a local variable with an innocent name;
3. by pattern: "password=…", "Bearer …", credentials in URLs and card
   numbers inside free text.
Passes 2 and 3 skip the fields with a known format (KNOWN_FORMAT_KEYS and
below: ids, timestamps, tag values), which they could only corrupt.
"""

import functools
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl

FILTERED = "[Filtered]"

# The secret words. To add one, add a row: how it is spelled in a key (a
# regular expression over the key, lower-cased with "-" as "_"), whether it
# counts ANYWHERE in a key ("x_api_key") or only as a WHOLE_WORD of it
# ("card_pin", where as a part it would hit "shipping"), and how it is
# spelled in free text as "word=value" or "word: value" (None: keys only).
ANYWHERE, WHOLE_WORD = "anywhere", "whole word"
SECRET_WORDS = (
    ("pass(?:word|wd)",   ANYWHERE,   "pass(?:word|wd)?"),
    ("secret",            ANYWHERE,   "secret"),
    ("token",             ANYWHERE,   "(?:access_|refresh_|auth_|id_)?token"),
    ("api_?key",          ANYWHERE,   "api[_-]?key"),
    ("private_?key",      ANYWHERE,   "private[_-]?key"),
    ("authorization",     ANYWHERE,   "authorization"),
    ("cookie",            ANYWHERE,   "cookie"),
    ("session",           ANYWHERE,   "session(?:id|_id)?"),
    ("csrf",              ANYWHERE,   "csrf(?:token|_token)?"),
    ("xsrf",              ANYWHERE,   None),
    ("credit_?card",      ANYWHERE,   "credit[_-]?card"),
    ("card_?number",      ANYWHERE,   "card[_-]?number"),
    ("credentials",       ANYWHERE,   None),
    ("dsn",               ANYWHERE,   None),
    ("pin",               WHOLE_WORD, "pin"),
    ("ssn",               WHOLE_WORD, "ssn"),
    ("cvv",               WHOLE_WORD, "cvv"),
    ("cvc",               WHOLE_WORD, "cvc"),
    ("auth",              WHOLE_WORD, None),
    ("jwt",               WHOLE_WORD, None),
    ("sid",               WHOLE_WORD, None),
    ("otp",               WHOLE_WORD, None),
)  # fmt: skip
_SECRET_KEY_PART = re.compile("|".join(key for key, where, _ in SECRET_WORDS if where == ANYWHERE))
_SECRET_KEY_WORD = re.compile("|".join(key for key, where, _ in SECRET_WORDS if where == WHOLE_WORD))
_KEY_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|[^A-Za-z0-9]+")

_TEXT_WORD_PATTERNS = [text for _, _, text in SECRET_WORDS if text]
_KEY_WORDS = "|".join(_TEXT_WORD_PATTERNS)
# key=value, key: value, "key": "value" inside free text.
_SECRET_ASSIGNMENT = re.compile(
    rf"""(?ix)\b(?P<key>{_KEY_WORDS})(?P<sep>["']?\s*[=:]\s*)(?!\[Filtered\])(?P<value>"[^"]*"|'[^']*'|[^\s&,;'"}}\]]+)"""
)
# A credential has digits; "token provided" in a message is not one.
_BEARER = re.compile(r"(?i)\b(?P<scheme>bearer|basic|token)\s+(?=[^\s]*\d)(?P<token>[A-Za-z0-9._~+/=-]{8,})")
URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/\s:@]+:(?P<password>[^/\s@]+)@", re.IGNORECASE)
_CARD_NUMBER = re.compile(r"\b\d(?:[ -]?\d){12,18}\b")
# Every pattern above needs one of these: the letters each key word cannot do
# without ("api[_-]?key" → "api"), a scheme word, "@" (URL credentials), or 13
# digits (card numbers). Timestamps, URLs and versions, most of a transaction, have none.
_OPTIONAL_PART = re.compile(r"\(\?:[^)]*\)\?|\[[^\]]*\]\?")
_SECRET_STEMS = (
    *(_OPTIONAL_PART.sub(" ", pattern).split()[0] for pattern in _TEXT_WORD_PATTERNS),
    "bearer",
    "basic",
    "@",
)
# One search for any stem or a run of digits. Case-sensitive on a lowered copy it is about 3x faster than
# IGNORECASE, whose alternation the regex engine cannot skip through; only ASCII lowers exactly as it
# matches (the long s, U+017F, matches "s" under IGNORECASE), so other text keeps the IGNORECASE search.
_MIGHT_HOLD_SECRET_PATTERN = "|".join([*map(re.escape, _SECRET_STEMS), r"[0-9][0-9 -]{12}"])
_MIGHT_HOLD_SECRET_LOWERED = re.compile(_MIGHT_HOLD_SECRET_PATTERN)
_MIGHT_HOLD_SECRET = re.compile(_MIGHT_HOLD_SECRET_PATTERN, re.IGNORECASE)
_EMBEDDED_QUERY = re.compile(r"\?([^\s'\"#<>]+=[^\s'\"#<>]*)")
# Values shorter than this are too common to replace wherever they appear.
MIN_SECRET_LENGTH = 4


def is_secret_key(key: object) -> bool:
    return isinstance(key, str) and _is_secret_name(key)


# An event repeats the same few hundred keys (span data, headers, contexts):
# remembering the answers makes scrubbing a transaction several times cheaper.
@functools.lru_cache(maxsize=4096)
def _is_secret_name(key: str) -> bool:
    words = _KEY_WORD_BOUNDARY.split(key)
    return _SECRET_KEY_PART.search(key.lower().replace("-", "_")) is not None or any(
        _SECRET_KEY_WORD.fullmatch(word.lower()) for word in words
    )


def _secrets_in_query_string(query: str) -> set[str]:
    """Values under secret names, and secrets the patterns find inside the others once percent-decoded
    (?next=https%3A%2F%2Fu%3Apass%40host hides its password from the patterns until decoded)."""
    found = set()
    for key, value in parse_qsl(query, keep_blank_values=False):
        if is_secret_key(key):
            found.add(value)
        else:
            found.update(secrets_in_text(value))
    return found


def secrets_in_text(text: str) -> set[str]:
    found = {match["value"].strip("'\"") for match in _SECRET_ASSIGNMENT.finditer(text)}
    found.update(match["token"] for match in _BEARER.finditer(text))
    found.update(match["password"] for match in URL_CREDENTIALS.finditer(text))
    return {secret for secret in found if len(secret) >= MIN_SECRET_LENGTH}


def scrub_text(text: str, known_secrets: Iterable[str] = ()) -> str:
    for secret in known_secrets:
        if secret in text:
            text = text.replace(secret, FILTERED)
    # Most strings in a transaction (timestamps, URLs, span names) cannot match a pattern.
    return filter_patterns(text) if might_hold_secret(text) else text


# Short strings known to hold nothing the patterns could match. A task's or a request's transactions repeat
# most of their strings (span ops and descriptions, tags, contexts): remembering them halves scrubbing one.
# Only strings that are sent as they are get kept; emptied when full, so it stays under 1 MB.
_PLAIN_TEXT: dict[str, None] = {}
PLAIN_TEXT_REMEMBERED = 4096
_PLAIN_TEXT_MAX_LENGTH = 200


def might_hold_secret(text: str) -> bool:
    """A quick test that lets most strings skip the four patterns."""
    short = len(text) <= _PLAIN_TEXT_MAX_LENGTH
    if short and text in _PLAIN_TEXT:
        return False
    if text.isascii():
        found = _MIGHT_HOLD_SECRET_LOWERED.search(text.lower()) is not None
    else:
        found = _MIGHT_HOLD_SECRET.search(text) is not None
    if short and not found:
        if len(_PLAIN_TEXT) >= PLAIN_TEXT_REMEMBERED:
            _PLAIN_TEXT.clear()
        _PLAIN_TEXT[text] = None
    return found


def filter_patterns(text: str) -> str:
    text = _BEARER.sub(lambda m: f"{m['scheme']} {FILTERED}", text)
    text = _SECRET_ASSIGNMENT.sub(_filter_assignment, text)
    text = URL_CREDENTIALS.sub(lambda m: f"{m['scheme']}{FILTERED}@", text)
    return _CARD_NUMBER.sub(_filter_card_number, text)


def _filter_assignment(match: re.Match) -> str:
    value = match["value"]
    quote = value[0] if value[:1] in "\"'" else ""
    return f"{match['key']}{match['sep']}{quote}{FILTERED}{quote}"


def _filter_card_number(match: re.Match) -> str:
    digits = [int(c) for c in match.group() if c.isdigit()]
    return FILTERED if 13 <= len(digits) <= 19 and luhn_valid(digits) else match.group()


def luhn_valid(digits: list[int]) -> bool:
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def _collect_secrets(value: object, found: set[str]) -> None:
    """Add every string stored under a secret key in value to found.

    A loop over a stack rather than recursion: it visits every node of every event the dyno sends.
    """
    pending = [value]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if "=" in value:
                found.update(_secrets_in_query_strings(value))
        elif isinstance(value, dict):
            for key, item in value.items():
                if is_secret_key(key):
                    _add_strings(item, found)
                else:
                    pending.append(item)
        elif isinstance(value, (list, tuple)):
            # [key, value] pairs: how the SDK sends headers in some events.
            if len(value) == 2 and is_secret_key(value[0]):
                _add_strings(value[1], found)
            else:
                pending.extend(value)


def _secrets_in_query_strings(text: str) -> set[str]:
    found = set()
    if "&" in text or " " not in text:
        # A query string, even of one parameter ("api_key=…"); not SQL or a sentence with an "=" in it.
        found.update(_secrets_in_query_string(text))
    # A URL's query inside text: a request's repr, an access log line.
    for query in _EMBEDDED_QUERY.findall(text):
        found.update(_secrets_in_query_string(query))
    return found


def _add_strings(value: object, found: set[str]) -> None:
    if isinstance(value, str):
        # A repr()'d local ('hunter2') carries quotes the raw value does not.
        value = value.strip("'\"")
        if len(value) >= MIN_SECRET_LENGTH and value != FILTERED:
            found.add(value)
    elif isinstance(value, dict):
        for item in value.values():
            _add_strings(item, found)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _add_strings(item, found)


# Fields with a known format: ids, timestamps and the names Sentry indexes. The free-text filters (pass 3) and
# the replacement of known secrets inside a longer string (pass 2) never run over them: a UUID's last 16 digits
# pass the card-number check about once in 23,000 request ids, and a 4-character secret (a PIN) can be part of
# any id. A value that *is* a known secret is still filtered whole, and a secret name still filters its value
# (pass 1). To add a field, add it to the list where it sits, with its reason.
# By name, at any depth (an id means the same wherever it is), compared lower-cased with "-" as "_" (headers),
# and only while the value is shaped like an id (_ID_SHAPED): a local that happens to be called "commit" and holds
# "password=…" is free text again.
KNOWN_FORMAT_KEYS = frozenset(
    {
        # Hex ids the SDK makes; the sentry-trace and traceparent headers are "<trace id>-<span id>-<flag>".
        "event_id", "trace_id", "span_id", "parent_span_id", "profile_id", "replay_id", "segment_id",
        "sentry_trace", "traceparent", "sentry.trace.parent_span_id",
        # The router's id (the request_id tag and the X-Request-ID header), and the UUIDs of the heroku context.
        "request_id", "x_request_id", "app_id", "dyno_id",
        # Timestamps, and the thread's id (15 digits, which the card-number filter would check).
        "timestamp", "start_timestamp", "time_unix_nano", "release_created_at", "thread.id",
        # The SDK's own name and version; what Sentry Logs carry as attributes of the release and the dyno.
        "sdk", "sentry.sdk.name", "sentry.sdk.version", "sentry.release", "sentry.environment", "server.address",
        "dyno", "dyno_type", "heroku_app", "heroku_release", "commit",
    }
)  # fmt: skip
# No spaces, "@" or "=" (but base64's padding): what ids, timestamps, dyno names and versions are made of.
_ID_SHAPED = re.compile(r"[A-Za-z0-9._:+/-]{1,200}={0,2}")
_THREE_LETTERS = re.compile(r"[A-Za-z]{3}")
# Fields of the event (or of a Sentry log item) itself, only there: config.py checks the release and the
# environment at boot, the server name is the dyno's. Deeper down "environment" could be a local holding os.environ.
_KNOWN_FORMAT_FIELDS = frozenset({"release", "environment", "dist", "server_name", "level", "platform", "type"})
# The event's tags, by value: labels Sentry indexes and limits.py caps, set by code rather than typed by a user.
_TAGS = "tags"
PLAIN, SECRET, KNOWN_FORMAT = "plain", "secret", "known format"


def _key_kind(key: object) -> str:
    return _str_key_kind(key) if isinstance(key, str) else PLAIN


@functools.lru_cache(maxsize=4096)
def _str_key_kind(key: str) -> str:
    if _is_secret_name(key):
        return SECRET
    return KNOWN_FORMAT if key.lower().replace("-", "_") in KNOWN_FORMAT_KEYS else PLAIN


def scrub(value: object, known_secrets: tuple[str, ...]) -> object:
    if isinstance(value, str):  # most of an event's nodes
        return scrub_text(value, known_secrets)
    if isinstance(value, dict):
        return {key: _scrub_entry(key, item, known_secrets) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        # [key, value] pairs: how the SDK sends headers in some events.
        if len(value) == 2 and _key_kind(value[0]) != PLAIN:
            return type(value)((value[0], _scrub_entry(value[0], value[1], known_secrets)))
        return type(value)(scrub(item, known_secrets) for item in value)
    return value


def _scrub_entry(key: object, item: object, known_secrets: tuple[str, ...]) -> object:
    kind = _key_kind(key)
    if kind is SECRET:
        return filtered(item)
    if kind is KNOWN_FORMAT and not (isinstance(item, str) and not _is_id_shaped(item)):
        return _unless_secret(item, known_secrets)
    return scrub(item, known_secrets)


def _is_id_shaped(text: str) -> bool:
    # Of the patterns only "word: value" fits the shape ("=" is only padding), and every secret word has three
    # letters in a row: hex ids have no ":", a timestamp ("2026-12-02T17:56:36Z") no three letters.
    return _ID_SHAPED.fullmatch(text) is not None and (
        ":" not in text or _THREE_LETTERS.search(text) is None or _SECRET_ASSIGNMENT.search(text) is None
    )


def filtered(value: object) -> object:
    """Every value inside replaced by "[Filtered]", the shape kept: request.cookies stays a dict of cookies
    (Relay drops a cookies field that is a string, with an error on the event)."""
    if isinstance(value, dict):
        return {key: filtered(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(filtered(item) for item in value)
    return value if value is None or isinstance(value, bool) else FILTERED


def _unless_secret(value: object, known_secrets: tuple[str, ...]) -> object:
    """A known-format value as it is, unless it is a known secret itself."""
    return FILTERED if isinstance(value, str) and value in known_secrets else value


def _scrub_tags(tags: object, known_secrets: tuple[str, ...]) -> object:
    """A dict of tags or the list of [name, value] pairs Sentry also accepts."""
    if isinstance(tags, dict):
        return {name: _scrub_tag(name, value, known_secrets) for name, value in tags.items()}
    if isinstance(tags, list):
        return [
            [pair[0], _scrub_tag(pair[0], pair[1], known_secrets)]
            if isinstance(pair, (list, tuple)) and len(pair) == 2
            else scrub(pair, known_secrets)
            for pair in tags
        ]
    return scrub(tags, known_secrets)


def _scrub_tag(name: object, value: object, known_secrets: tuple[str, ...]) -> object:
    return filtered(value) if is_secret_key(name) else _unless_secret(value, known_secrets)


def scrub_event(event: dict, extra_secrets: Iterable[str] = (), *, scrub_ip_address: bool = True) -> dict:
    """The event (or Sentry log item) with every secret replaced by "[Filtered]"; the input is not modified."""
    found: set[str] = set(s for s in extra_secrets if len(s) >= MIN_SECRET_LENGTH)
    _collect_secrets(event, found)
    # Longest first, so a secret that contains another is replaced whole.
    known = tuple(sorted(found, key=len, reverse=True))
    scrubbed = {
        key: _unless_secret(item, known) if key in _KNOWN_FORMAT_FIELDS
        else _scrub_tags(item, known) if key == _TAGS
        else _scrub_entry(key, item, known)
        for key, item in event.items()
    }  # fmt: skip
    if scrub_ip_address:
        _drop_ip_addresses(scrubbed)
    return scrubbed


# Request headers that carry the client's address, as parts of a header's name
# (the SDK's own list when PII is off): X-Forwarded-For, X-Real-IP, Via, ….
# sdk.py hands the same list to the SDK, so neither side keeps what the other drops.
CLIENT_ADDRESS_HEADER_TERMS = ("forwarded", "-ip", "remote-", "via", "-user")


def _is_client_address_header(name: object) -> bool:
    lowered = str(name).lower()
    return any(term in lowered for term in CLIENT_ADDRESS_HEADER_TERMS)


def _drop_ip_addresses(event: dict) -> None:
    user = event.get("user")
    if isinstance(user, dict):
        user.pop("ip_address", None)
    request = event.get("request")
    if not isinstance(request, dict):
        return
    if isinstance(request.get("env"), dict):
        request["env"].pop("REMOTE_ADDR", None)
    headers = request.get("headers")
    if isinstance(headers, dict):
        for name in [name for name in headers if _is_client_address_header(name)]:
            del headers[name]
    elif isinstance(headers, list):
        request["headers"] = [pair for pair in headers if not _is_client_address_header(pair[0])]
