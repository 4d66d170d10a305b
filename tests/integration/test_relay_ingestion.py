"""The project's real envelopes, as Sentry's own ingestion (Relay's StoreNormalizer) would store them.

One web process (with the drain and the slow-request watchdog on) and one
worker, started with the Procfile's commands, send to the loopback sink; each
test takes the events one kind of work produced and runs them through
sentry_relay's normalizer: no processing errors, nothing removed or trimmed,
and every Heroku tag stored byte for byte as the dyno sent it. The request
ids end in a run of digits that passes the Luhn check, as about 1 in 23,000
of the router's UUIDs do: the card-number filter must leave them alone.
"""

import itertools
import subprocess

import pytest

from tests.support import logplex_lines as lines
from tests.support.calls import send
from tests.support.drain_client import SECRET, fresh_dyno, platform_events, post_lines
from tests.support.processes import (
    HOST,
    ROOT,
    heroku_env,
    http_get,
    migrate,
    procfile_command,
    run_command,
)
from tests.support.relay import changed_heroku_values, relay_findings
from tests.support.sentry_sink import settle, tags_of
from tests.support.servers import free_port
from tests.support.staff import debug_action, session_cookie

DEBUG_ERROR = "division by zero"
TASK_ERROR = "sentry-debug: a task failed on purpose"
_suffixes = itertools.count(1)


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, digit in enumerate(int(c) for c in reversed(digits)):
        doubled = digit * 2 if position % 2 else digit
        total += doubled - 9 if doubled > 9 else doubled
    return total % 10 == 0


def card_shaped_request_id() -> str:
    """A UUID whose last two groups read as a 16-digit number that passes the Luhn check."""
    while not luhn_valid("8000" + (tail := f"{next(_suffixes):012d}")):
        pass
    return f"3f2b9c1e-7d4a-4e21-8000-{tail}"


@pytest.fixture(scope="module")
def dynos(sentry_sink, redis_server, module_dynos):
    """web.1 and worker.1 sharing one database and Redis; yields (web's base URL, the dyno environment by name)."""
    redis_server.client().flushall()
    folder = module_dynos.folder

    def env(dyno: str) -> dict[str, str]:
        return heroku_env(
            dyno,
            DATABASE_URL=f"sqlite:///{folder / 'db.sqlite3'}",
            REDIS_URL=redis_server.url,
            SENTRY_DSN=sentry_sink.dsn,
            SENTRY_TRACES_SAMPLE_RATE="1.0",
            HEROKU_DRAIN_SECRET=SECRET,
            # The watchdog's sleeping view (tests/support/slow_request_urls.py) and a threshold it passes.
            DJANGO_SETTINGS_MODULE="tests.support.slow_request_settings",
            SENTRY_SLOW_REQUEST_SECONDS="1",
        )

    migrate(env("release.1"))
    web, base_url = module_dynos.web(env("web.1"))
    module_dynos.worker(env("worker.1"))
    return base_url, env, web


def get(base_url: str, path: str, **headers: str):
    return http_get(base_url + path, headers={"Host": HOST, **headers}, timeout=15)


def assert_relay_keeps(event: dict, request_id: str | None = None) -> None:
    assert relay_findings(event) == []
    assert changed_heroku_values(event) == {}
    if request_id is not None:
        assert tags_of(event).get("request_id") == request_id


def exception_value(event: dict) -> str:
    values = (event.get("exception") or {}).get("values") or [{}]
    return values[-1].get("value") or ""


@pytest.fixture(scope="module")
def staff(dynos) -> str:
    """A staff member's session cookie, made once by a one-off dyno (manage.py) for the module's requests."""
    return session_cookie(dynos[1]("run.1"))


@pytest.fixture
def web_error(dynos, staff, sentry_sink):
    """A staff request to /api/sentry-debug/ with a session, a CSRF and an ordinary cookie: its request id.

    One per test: the sink forgets what arrived after each test (tests/conftest.py)."""
    base_url = dynos[0]
    request_id = card_shaped_request_id()
    cookies = f"{staff}; csrftoken=Qm7kZ2xW9vN4pL8rT1yU6iO3aS5dF0gH; theme=dark"
    assert send(base_url, debug_action(cookies, headers={"X-Request-ID": request_id})) == 500
    return request_id


def test_a_web_error_with_cookies_passes_relay_unchanged(web_error, sentry_sink):
    # Each wait matches the test's own request id: an earlier test's events may still arrive after the sink's reset.
    event = sentry_sink.wait_for(
        lambda s: next(
            (e for e in s.events() if exception_value(e) == DEBUG_ERROR and tags_of(e).get("request_id") == web_error),
            None,
        ),
        what="the web error, tagged with its request id",
    )
    assert_relay_keeps(event, web_error)
    cookies = event["request"]["cookies"]
    assert set(cookies) == {"sessionid", "csrftoken", "theme"}
    assert set(cookies.values()) == {"[Filtered]"}


def test_a_web_transaction_passes_relay_unchanged(web_error, sentry_sink):
    transaction = sentry_sink.wait_for(
        lambda s: next(
            (
                t
                for t in s.transactions()
                if t["transaction"] == "/api/sentry-debug/" and tags_of(t).get("request_id") == web_error
            ),
            None,
        ),
        what="the request's transaction, tagged with its request id",
    )
    assert_relay_keeps(transaction, web_error)


def test_a_request_log_carries_the_request_id_and_the_dyno_as_attributes(web_error, sentry_sink):
    def attributes(record: dict) -> dict:
        return {name: attribute["value"] for name, attribute in record["attributes"].items()}

    record = sentry_sink.wait_for(
        lambda s: next(
            (
                r
                for r in s.logs()
                if r["body"].startswith("Internal Server Error: /api/sentry-debug/")
                and attributes(r).get("request_id") == web_error
            ),
            None,
        ),
        what="Django's log record of the 500, carrying the request's id",
    )
    values = attributes(record)
    assert (values["dyno"], values["dyno_type"], values["heroku_release"]) == ("web.1", "web", "v42")


def test_a_404_is_logged_to_stdout_but_not_sent_as_a_sentry_log(dynos, staff, sentry_sink):
    base_url, _, web = dynos
    request_id = card_shaped_request_id()
    assert get(base_url, "/no-such-page/", **{"X-Request-ID": request_id})[0] == 404
    assert get(base_url, "/api/sentry-debug/")[0] == 404  # anonymous: a 404 too, then a 500 to wait for
    assert send(base_url, debug_action(staff, headers={"X-Request-ID": "after-the-404s-0001"})) == 500
    sentry_sink.wait_for(
        lambda s: any(r["attributes"].get("request_id", {}).get("value") == "after-the-404s-0001" for r in s.logs()),
        what="the 500's log record, sent after the 404s'",
    )
    settle()
    assert [r["body"] for r in sentry_sink.logs() if "Not Found" in r["body"]] == []
    assert "WARNING django.request: Not Found: /no-such-page/" in web.output()


def test_a_hostile_request_id_reaches_sentry_without_control_characters_and_capped(dynos, staff, sentry_sink):
    base_url = dynos[0]
    hostile = "rid-\x9b2J\x85-" + "9" * 300  # C1 controls: gunicorn refuses C0 ones with a 400
    assert send(base_url, debug_action(staff, headers={"X-Request-ID": hostile})) == 500
    event = sentry_sink.wait_for(
        lambda s: next((e for e in s.events() if tags_of(e).get("request_id", "").startswith("rid-")), None),
        what="the error of the request with a hostile id",
    )
    assert tags_of(event)["request_id"] == "rid-2J-" + "9" * 192 + "…"
    assert_relay_keeps(event)


def test_a_task_error_and_its_transaction_pass_relay_unchanged(dynos, sentry_sink):
    _, env, _ = dynos
    enqueue = "from sentry_heroku.tasks import fail_for_sentry_debug; fail_for_sentry_debug.delay()"
    result = run_command(["python", "manage.py", "shell", "-c", enqueue], env("run.2"))
    assert result.returncode == 0, result.stderr
    event = sentry_sink.wait_for(
        lambda s: next((e for e in s.events() if exception_value(e) == TASK_ERROR), None), what="the task's error"
    )
    transaction = sentry_sink.wait_for(
        lambda s: next((t for t in s.transactions() if t["transaction"].endswith("fail_for_sentry_debug")), None),
        what="the task's transaction",
    )
    assert tags_of(event)["dyno"] == "worker.1"
    assert_relay_keeps(event)
    assert_relay_keeps(transaction)


def test_a_drain_event_passes_relay_unchanged(dynos, sentry_sink):
    base_url, _, _ = dynos
    dyno, request_id = fresh_dyno(), card_shaped_request_id()
    line = lines.router("H12", "Request timeout", dyno=dyno, request_id=request_id)
    assert post_lines(base_url, [("heroku", "router", line)]) == 204
    [event] = sentry_sink.wait_for(lambda s: platform_events(s, dyno=dyno), what="the H12's event")
    assert_relay_keeps(event, request_id)


def test_the_watchdogs_warning_passes_relay_unchanged(dynos, sentry_sink):
    base_url, _, _ = dynos
    request_id = card_shaped_request_id()
    assert get(base_url, "/test/sleep/2/", **{"X-Request-ID": request_id})[0] == 200
    event = sentry_sink.wait_for(
        lambda s: next((e for e in s.events() if e.get("logger") == "sentry_heroku.watchdog"), None),
        what="the watchdog's warning",
    )
    assert_relay_keeps(event, request_id)


def test_sentry_checks_events_pass_relay_unchanged(dynos, sentry_sink):
    _, env, _ = dynos
    result = run_command(["python", "manage.py", "sentry_check"], env("run.3"), timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr

    def sent(s):
        found = [e for e in s.events() if tags_of(e).get("dyno") == "run.3"]
        return len(found) >= 2 and found

    events = sentry_sink.wait_for(sent, what="sentry_check's message and exception")
    for event in events:
        assert_relay_keeps(event)


@pytest.mark.parametrize(
    ("variable", "value", "rule"),
    [("SENTRY_ENVIRONMENT", "staging/eu", "'/'"), ("SENTRY_RELEASE", "latest", "Sentry reserves them")],
)
@pytest.mark.parametrize("process_type", ["release", "web", "worker"])
def test_a_name_sentry_would_drop_stops_every_process_with_one_line_naming_it(process_type, variable, value, rule):
    port = free_port()
    env = heroku_env(
        f"{process_type}.1", **{variable: value}, PORT=str(port), GUNICORN_CMD_ARGS=f"--bind=127.0.0.1:{port}"
    )
    result = subprocess.run(
        ["bash", "-c", procfile_command(process_type)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )

    assert result.returncode != 0
    output = (result.stdout + result.stderr).strip()
    [error] = [line for line in output.splitlines() if variable in line]
    assert rule in error
    assert "Traceback" not in output
