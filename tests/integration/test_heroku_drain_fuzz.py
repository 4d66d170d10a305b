"""Whatever Logplex (or anyone with the secret) posts, the drain never answers 5xx, never dies, and keeps every
valid frame of the batch: hypothesis against the Procfile's web process."""

import os
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sentry_heroku.drain.frames import _FRAME_START
from tests.support import logplex_lines as lines
from tests.support.drain_client import SECRET, fresh_dyno, platform_events, post
from tests.support.processes import heroku_env

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def fuzzed_drain_web(sentry_sink, module_dynos):
    env = heroku_env(
        "web.1",
        DATABASE_URL=f"sqlite:///{module_dynos.folder / 'db.sqlite3'}",
        SENTRY_DSN=sentry_sink.dsn,
        HEROKU_DRAIN_SECRET=SECRET,
    )
    process, base_url = module_dynos.web(env)
    return base_url, process


def truncated_length(frame: bytes) -> bytes:
    length, _, rest = frame.partition(b" ")
    return b"%d %s" % (max(int(length) // 2, 1), rest)


def huge_length(frame: bytes) -> bytes:
    return b"9" * 12 + b" " + frame.partition(b" ")[2]


def missing_fields(frame: bytes) -> bytes:
    data = frame.partition(b" ")[2].replace(b" host heroku ", b" heroku ", 1)
    return b"%d %s" % (len(data), data)


def not_utf8(frame: bytes) -> bytes:
    data = frame.partition(b" ")[2].rstrip(b"\n") + b"\xff\xfe\xc3\x28\n"
    return b"%d %s" % (len(data), data)


BREAKAGES = [truncated_length, huge_length, missing_fields, not_utf8]
# Junk that cannot itself pass for the start of a frame: bytes between frames, not a frame in disguise.
junk = st.binary(max_size=200).filter(lambda data: not _FRAME_START.search(data))
header_values = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40)


@st.composite
def batches(draw):
    """(body, headers, dynos whose R14 must arrive): valid R14 frames among broken frames and junk."""
    parts, expected = [], []
    for _ in range(draw(st.integers(0, 6))):
        dyno = fresh_dyno("fuzz")
        frame = lines.frame("heroku", dyno, lines.R14)
        kind = draw(st.sampled_from(["valid", "junk", "broken"]))
        if kind == "valid":
            parts.append(frame)
            expected.append(dyno)
        elif kind == "junk":
            parts.append(draw(junk))
        else:
            parts.append(draw(st.sampled_from(BREAKAGES))(frame))
    headers = lines.headers(draw(st.integers(0, 10)), secret=SECRET)
    for name in draw(st.sets(st.sampled_from(["Logplex-Msg-Count", "Logplex-Frame-Id", "Logplex-Drain-Token"]))):
        headers[name] = draw(header_values)
    # Whatever it looks like, each batch is a new one: the same Frame-Id twice is a retry, handled once.
    headers["Logplex-Frame-Id"] += uuid.uuid4().hex
    return b"".join(parts), headers, expected


@FUZZ
@given(st.binary(max_size=4000))
def test_random_bytes_get_204(fuzzed_drain_web, body):
    base_url, process = fuzzed_drain_web
    assert post(base_url, body, lines.headers(1, secret=SECRET))[0] == 204
    assert process.popen.poll() is None


@FUZZ
@given(batches())
def test_broken_frames_and_junk_never_cost_the_valid_frames_beside_them(fuzzed_drain_web, sentry_sink, batch):
    base_url, process = fuzzed_drain_web
    body, headers, expected = batch
    assert post(base_url, body, headers)[0] == 204
    for dyno in expected:
        sentry_sink.wait_for(
            lambda s, dyno=dyno: platform_events(s, heroku_error="R14", dyno=dyno), what=f"R14 on {dyno}"
        )
    assert process.popen.poll() is None
