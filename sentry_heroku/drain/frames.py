"""Logplex's HTTPS drain body: octet-counted RFC 5424 frames, read without ever raising.

A POST body is frames back to back, each "<length> <frame>", where the frame is
``<PRI>1 TIMESTAMP HOST APP PROCID MSGID MESSAGE`` and APP is ``heroku`` (the
platform: router, dyno manager, Logplex) or ``app`` (what a dyno printed):

    83 <40>1 2012-11-30T06:45:29+00:00 host heroku web.3 - State changed from starting to up

https://devcenter.heroku.com/articles/log-drains#https-drains
https://datatracker.ietf.org/doc/html/rfc6587#section-3.4.1

Whatever arrives, parse() returns the frames it could read and the number of
stretches it had to skip: a frame whose length is wrong, cut short or absurd
costs only itself, never the frames after it. Its work is linear in the size
of the body, whatever the body holds: every byte is looked at a bounded number
of times (one newline search per body, headers and boundaries of bounded size).
"""

import re
from dataclasses import dataclass

# Logplex caps a message at 10 KB; seven digits is far more than any real frame needs.
_MAX_LENGTH_DIGITS = 7
# Where a frame may start: a length, a space, a syslog priority and the year ("74 <190>1 2026-"), as
# _read_header() requires them. Searched for in C, this skips junk without a Python call per candidate.
_FRAME_START = re.compile(rb"(\d{1,%d}) <\d{1,3}>\d{1,2} \d{4}-" % _MAX_LENGTH_DIGITS)
# "<0>1 2026-11-26T14:02:03Z h a p -": no frame is shorter.
_MIN_FRAME_BYTES = 32
# A header (PRI, timestamp, host, app, procid, msgid) is well under this on any real line.
_MAX_HEADER_BYTES = 512
_HEADER = re.compile(rb"<\d{1,3}>\d{1,2}")
# What follows a frame that ends where its length says: the end of the body or the next frame. The
# whitespace before it is bounded: every candidate length asks this, and an unbounded run would be rescanned.
_MAX_GAP_BYTES = 64
_BOUNDARY = re.compile(rb"[ \t\r\n]{0,%d}(?:\d{1,%d} <\d{1,3}>\d|\Z)" % (_MAX_GAP_BYTES, _MAX_LENGTH_DIGITS))
_WHITESPACE = b" \r\n\t"


@dataclass(frozen=True, slots=True)
class LogLine:
    timestamp: str
    app: str  # "heroku" or "app"
    process: str  # "router", "logplex", "web.1", "worker.2", "run.1234" …
    message: str


@dataclass(frozen=True, slots=True)
class _Batch:
    lines: list[LogLine]
    skipped: int  # stretches of the body that were not readable frames


def parse(body: bytes) -> _Batch:
    lines: list[LogLine] = []
    skipped = 0
    position, end = 0, len(body)
    newline = _NextNewline(body)
    resynchronised = False  # a stray digit right after skipped junk is part of the same junk
    while position < end:
        if body[position] in _WHITESPACE:
            position += 1
            continue
        frame_end, line, stray = _read_frame(body, position, newline)
        if line is not None:
            lines.append(line)
            skipped += stray and not resynchronised
            resynchronised = False
            position = frame_end
            continue
        skipped += 1
        resynchronised = True
        position = _resynchronise(body, position + 1, newline)
    return _Batch(lines, skipped)


class _NextNewline:
    """Where the next newline at or after a position is, each stretch of the body searched once.

    Every candidate frame asks whether a newline falls inside it. Asked of
    the body each time, a batch of frame starts whose lengths reach far ahead
    would rescan the same megabyte at every start: quadratic. Positions only
    move forward while a body is read, so the last answer holds until a
    position passes it.
    """

    def __init__(self, body: bytes):
        self.body = body
        self.searched_from = len(body) + 1  # nothing searched yet
        self.found = -1

    def __call__(self, position: int) -> int:
        """The index of the first newline at or after position; len(body) when there is none."""
        if not self.searched_from <= position <= self.found:
            found = self.body.find(b"\n", position)
            self.searched_from, self.found = position, len(self.body) if found == -1 else found
        return self.found


def _resynchronise(body: bytes, position: int, newline: _NextNewline) -> int:
    """The next place a readable frame starts, or the end of the body."""
    # Candidates may overlap ("12 <13>" + "97 <172>1 …"): search again after each miss's length. Not from
    # inside it: a start within the digits is one of the readings _read_frame already tried.
    while match := _FRAME_START.search(body, position):
        if _read_frame(body, match.start(), newline)[1] is not None:
            return match.start()
        position = match.end(1)
    return len(body)


def _read_frame(body: bytes, position: int, newline: _NextNewline) -> tuple[int, LogLine | None, bool]:
    """(end, line, stray) for the frame at position; line is None when there is none.

    A frame holds one line: Logplex splits a dyno's output at newlines and ends
    each frame with one. Junk can put digits in front of a length ("5" + "74
    <190>1 …"): of the readings of the digits, from all of them down to the
    last, the first that ends where the next frame or the body starts wins;
    failing that, the longest, as a frame followed by junk is still a frame.
    stray says digits were dropped.
    """
    space = body.find(b" ", position, position + _MAX_LENGTH_DIGITS + 1)
    digits = body[position:space] if space > position else b""
    if not digits.isdigit():
        return position, None, False
    best: tuple[int, _Header | None, bool] = (position, None, False)
    for start in range(len(digits)):
        length = int(digits[start:])
        frame_end = space + 1 + length
        if length < _MIN_FRAME_BYTES or frame_end > len(body):
            continue
        if newline(space + 1) < frame_end - 1:  # a frame holds one line, its newline last
            continue
        header = _read_header(body, space + 1, frame_end)
        if header is None:
            continue
        if _BOUNDARY.match(body, frame_end):
            return frame_end, _log_line(body, header, frame_end), start > 0
        if best[1] is None:
            best = (frame_end, header, start > 0)
    frame_end, header, stray = best
    return frame_end, _log_line(body, header, frame_end) if header is not None else None, stray


@dataclass(frozen=True, slots=True)
class _Header:
    timestamp: bytes
    app: bytes
    process: bytes
    message_start: int


def _read_header(body: bytes, start: int, end: int) -> _Header | None:
    """The header of the frame body[start:end]: PRI and version, timestamp, host, app, procid and msgid.

    Only its first bytes are looked at, so a length that spans the whole
    body costs no more than a real one.
    """
    head = body[start : min(end, start + _MAX_HEADER_BYTES)]
    fields = head.split(b" ", 6)
    if len(fields) < 6 or (len(fields) == 6 and len(head) < end - start) or not _HEADER.fullmatch(fields[0]):
        return None
    timestamp, app, process = fields[1], fields[3], fields[4]
    # RFC 3339, as Logplex writes it: "2026-11-26T14:02:03.123456+00:00".
    if not (timestamp[4:5] == b"-" and timestamp[10:11] == b"T" and timestamp[:4].isdigit() and app and process):
        return None
    return _Header(timestamp, app, process, min(end, start + sum(map(len, fields[:6])) + 6))


def _log_line(body: bytes, header: _Header, end: int) -> LogLine:
    message = body[header.message_start : end]
    # Some senders add RFC 5424's empty structured data ("- -" before the message).
    if message.startswith(b"- "):
        message = message[2:]
    return LogLine(
        timestamp=header.timestamp.decode("ascii", "replace"),
        app=header.app.decode("ascii", "replace"),
        process=header.process.decode("ascii", "replace"),
        message=message.rstrip(b"\r\n").decode("utf-8", "replace"),
    )
