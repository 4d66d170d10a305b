"""Reading Logplex's octet-counted frames: every readable frame is kept, whatever surrounds it."""

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentry_heroku.drain.frames import _FRAME_START, LogLine, parse
from tests.support import logplex_lines as lines

R14 = lines.frame("heroku", "worker.1", lines.R14)
ROUTER = lines.frame("heroku", "router", lines.router_ok())
APP = lines.frame("app", "web.1", "Starting gunicorn 27.0.1")


def test_a_logplex_batch_reads_as_its_lines():
    batch = parse(R14 + ROUTER + APP)
    assert batch.skipped == 0
    assert [(line.app, line.process) for line in batch.lines] == [
        ("heroku", "worker.1"),
        ("heroku", "router"),
        ("app", "web.1"),
    ]
    assert batch.lines[0] == LogLine(lines.TIMESTAMP, "heroku", "worker.1", "Error R14 (Memory quota exceeded)")


def test_the_logplex_readme_example_reads_as_ten_lines():
    # https://github.com/heroku/logplex/blob/master/doc/README.http_drains.md: 10 frames, Content-Length 730.
    body = b"70 <174>1 2012-07-22T00:06:26+00:00 host erlang console - Hi from erlang\n" * 10
    assert len(body) == 730
    batch = parse(body)
    assert (len(batch.lines), batch.skipped) == (10, 0)
    assert {line.message for line in batch.lines} == {"Hi from erlang"}


@pytest.mark.parametrize(
    ("body", "messages", "skipped"),
    [
        (b"", [], 0),
        (b"\n\n  ", [], 0),
        (b"garbage" + R14, [lines.R14], 1),
        (R14 + b"garbage", [lines.R14], 1),
        (b"9999999 <158>1 x" + R14, [lines.R14], 1),  # a length past the end of the body
        (b"99999999999999 " + R14, [lines.R14], 1),  # a length no frame has
        (b"5" + R14, [lines.R14], 1),  # a stray digit before the length
        (b"12 <158>1 2026" + R14, [lines.R14], 1),  # a length that cuts the header short
        (R14[:-20], [], 1),  # the batch cut off mid-frame
        (b"30 <158>1 " + b"\xff\xfe" * 10 + R14, [lines.R14], 1),  # not UTF-8, not a header
        (R14 + b"\r\n" + R14, [lines.R14, lines.R14], 0),
        (b"12 <13>" + R14, [lines.R14], 1),  # a frame start that overlaps the real one
    ],
    ids=["empty", "whitespace", "junk-before", "junk-after", "length-too-long", "length-absurd", "stray-digit",
         "length-too-short", "truncated", "not-utf8", "crlf-between", "overlapping-start"],
)  # fmt: skip
def test_unreadable_parts_are_skipped_and_counted_and_the_rest_is_kept(body, messages, skipped):
    batch = parse(body)
    assert [line.message for line in batch.lines] == messages
    assert batch.skipped == skipped


def test_a_message_with_invalid_utf8_is_kept_with_replacement_characters():
    data = b"<190>1 2026-11-26T14:02:03+00:00 host app web.1 - caf\xe9\n"
    batch = parse(b"%d %s" % (len(data), data))
    assert batch.lines[0].message == "caf\ufffd"


# Bytes that cannot themselves pass for a frame start: what "junk between frames" means.
junk = st.binary(max_size=60).filter(lambda data: not _FRAME_START.search(data))
valid_lines = st.lists(
    st.tuples(
        st.sampled_from(["heroku", "app"]),
        st.sampled_from(["router", "web.1", "worker.2", "logplex", "run.1234"]),
        # One line each: Logplex splits a dyno's output at newlines.
        st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\n"), max_size=80),
    ),
    max_size=8,
)


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "300")))
@given(st.binary(max_size=2000))
def test_any_bytes_parse_without_raising(body):
    batch = parse(body)
    assert batch.skipped >= 0


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "300")))
@given(valid_lines, st.lists(junk, min_size=9, max_size=9))
def test_junk_between_frames_never_costs_a_valid_frame(entries, junks):
    body = junks[0] + b"".join(lines.frame(*entry) + junks[index + 1] for index, entry in enumerate(entries))
    kept = [(line.app, line.process, line.message) for line in parse(body).lines]
    # A message starting "- " reads as RFC 5424's empty structured data and that message: the reader drops the "- ".
    expected = [(app, process, message.removeprefix("- ").rstrip("\r\n")) for app, process, message in entries]
    assert all(entry in kept for entry in expected)


class CountedBody(bytes):
    """A body that counts the bytes its searches look at: the parser's work, without a clock."""

    scanned = 0

    def find(self, sub, start=0, end=None):
        stop = len(self) if end is None else min(end, len(self))
        found = super().find(sub, start, stop)
        self.scanned += (found + len(sub) if found != -1 else stop) - start
        return found


def work(body: bytes) -> int:
    counted = CountedBody(body)
    parse(counted)
    return counted.scanned


def tiny_frames(size: int) -> bytes:
    """Valid frames as short as Logplex writes them, back to back."""
    frame = lines.frame("heroku", "web.1", "x")
    return frame * (size // len(frame))


def far_reaching_starts(size: int) -> bytes:
    """Frame starts without a newline, each length reaching 400 KB ahead: what cost 1.7 s of CPU per megabyte."""
    start = b"400000 <13>1 2026- "
    return start * (size // len(start))


@pytest.mark.parametrize("batch", [tiny_frames, far_reaching_starts], ids=["tiny-frames", "far-reaching-starts"])
def test_a_one_megabyte_batch_is_read_in_work_linear_in_its_size(batch):
    one, two = batch(1_000_000), batch(2_000_000)
    # Each position may start one search for the space after a length (8 bytes at most); the newline search
    # passes each byte once. Rescanning for the newline at every frame start costs far more than this.
    assert work(one) <= 10 * len(one)
    assert work(two) <= 2.2 * work(one)
