"""A Scheduler job whose scheduler.N dyno failed is one error check-in for its monitor, from the drain alone,
or the run's own where the dyno sent it (the job itself runs in this process, as run_as_job runs it there).

Logplex's bytes go through the view (tests/support/served_drain.py); the check-ins are the SDK's real
envelopes, received by the loopback sink. The dyno and the web process share the test's cache, as they share
Redis on Heroku.
"""

import contextlib
import logging
import signal

import pytest
import sentry_sdk
from django.core.cache import cache
from django.test import override_settings

from bahk import backing_services
from sentry_heroku import crons
from sentry_heroku.crons._scheduled import _run_key, run_as_job
from sentry_heroku.drain import view
from sentry_heroku.drain.frames import LogLine
from sentry_heroku.drain.scheduler import FAILED, STARTED, RunLine, run_lines
from sentry_heroku.drain.throttle import MemoryStore
from sentry_heroku.drain.view import _Receiver
from sentry_heroku.sdk import before_send
from tests.support import logplex_lines as lines
from tests.support.drain_client import fresh_dyno
from tests.support.sentry_sink import SentrySink

SEED = "python manage.py seed_participants --count 50"
SEED_SLUG = "seed-participants-count"
# Its values differ from the run's: the shape is the job.
DECLARED = [
    {"command": "python manage.py seed_participants --count 5", "schedule": "daily at 03:00", "max_runtime": 10}
]


class Sentry:
    """The app's SDK, sending to the module's loopback sink: the drain's check-ins as they arrive."""

    def __init__(self, config, sink: SentrySink):
        self.sink = sink
        self.checkins_before, self.bodies_before = len(sink.checkins()), len(sink.bodies)
        self.client = sentry_sdk.Client(
            dsn=sink.dsn,
            environment=config.environment,
            release=config.release,
            before_send=before_send(config),
            default_integrations=False,
            auto_enabling_integrations=False,
        )

    def checkins(self) -> list[dict]:
        """The check-ins this test sent: the SDK's queue is empty when flush returns."""
        self.client.flush(timeout=10)
        return self.sink.checkins()[self.checkins_before :]

    def slugs(self) -> list[str]:
        return [check_in["monitor_slug"] for check_in in self.checkins()]

    def raw(self) -> bytes:
        """Every byte this test sent."""
        self.client.flush(timeout=10)
        return b"\n".join(self.sink.bodies[self.bodies_before :])


@pytest.fixture
def sentry(served, sentry_sink):
    """The drain's check-ins leave through the global scope's client, as in a web process init() set up."""
    app = Sentry(view.current().config, sentry_sink)
    scope = sentry_sdk.get_global_scope()
    previous = scope.client
    scope.set_client(app.client)
    try:
        yield app
    finally:
        scope.set_client(previous)
        app.client.close()


def scheduler_dyno() -> str:
    return fresh_dyno("scheduler")


@pytest.fixture
def job():
    """Runs a job as a scheduler dyno's manage.py does (run_as_job); the SIGTERM handler it sets is undone."""
    handler = signal.getsignal(signal.SIGTERM)

    def run(dyno: str, work):
        return run_as_job(work, SEED_SLUG, crons.scheduled_jobs(), dyno)

    yield run
    signal.signal(signal.SIGTERM, handler)


def ended(dyno: str, status: int, *before: str) -> list[tuple[str, str, str]]:
    return [("heroku", dyno, message) for message in [*before, *lines.exited(status)]]


def broken():
    raise RuntimeError("the nightly job broke")


def done():
    return "done"


@override_settings(SENTRY_HEROKU_SCHEDULED_JOBS=DECLARED)
def test_a_job_killed_after_r14_and_r15_is_one_error_check_in_with_its_monitor_config(served, sentry):
    dyno = scheduler_dyno()
    served.post(lines.scheduler_run(dyno, SEED, *lines.KILLED_OVER_MEMORY))

    [check_in] = sentry.checkins()
    assert (check_in["monitor_slug"], check_in["status"]) == (SEED_SLUG, "error")
    assert check_in["monitor_config"] == {
        "schedule": {"type": "crontab", "value": "0 3 * * *"},
        "timezone": "UTC",
        "checkin_margin": 5,
        "max_runtime": 10,
    }
    assert (check_in["environment"], check_in["release"]) == (view.current().config.environment, "test-release")
    assert len(check_in["check_in_id"]) == 32  # its own: the dyno noted no run of its own in the cache
    # The dyno's R14 and R15 are still the platform events they always were.
    assert sorted(event["tags"]["heroku_error"] for event in served.events_about(dyno)) == ["R14", "R15"]


def test_a_job_that_exits_with_status_1_in_a_later_batch_to_another_web_process_is_one_error(served, sentry):
    dyno = scheduler_dyno()
    served.post(lines.scheduler_run(dyno, SEED))
    served.new_process()  # Logplex posts the next batch to any web process: the cache remembers the run
    served.post([("heroku", dyno, message) for message in lines.exited(1)])
    served.post([("heroku", dyno, "State changed from up to crashed")])  # whatever else it says of that run

    [check_in] = sentry.checkins()
    assert (check_in["monitor_slug"], check_in["status"]) == (SEED_SLUG, "error")
    assert "monitor_config" not in check_in  # not declared: Sentry cannot know of a run that never came


@override_settings(SENTRY_HEROKU_SCHEDULED_JOBS=DECLARED)
def test_a_job_that_raises_and_exits_1_is_its_own_error_check_in_only(served, sentry, job):
    dyno = scheduler_dyno()
    served.post(lines.scheduler_run(dyno, SEED))
    with pytest.raises(RuntimeError):
        job(dyno, broken)
    served.post(ended(dyno, 1))  # Python printed the traceback and exited 1

    started, finished = sentry.checkins()
    assert [check_in["status"] for check_in in (started, finished)] == ["in_progress", "error"]
    assert finished["check_in_id"] == started["check_in_id"]


@override_settings(SENTRY_HEROKU_SCHEDULED_JOBS=DECLARED)
@pytest.mark.parametrize(
    ("work", "exit_status", "outcome"), [(broken, 1, "error"), (done, 0, "ok")], ids=["after-an-error", "after-ok"]
)
def test_a_later_run_on_a_dyno_of_the_same_name_that_dies_before_python_is_the_drains_error(
    served, sentry, job, work, exit_status, outcome
):
    dyno = scheduler_dyno()
    served.post(lines.scheduler_run(dyno, SEED))
    with contextlib.suppress(RuntimeError):  # the job's own error: its traceback, exit status 1
        job(dyno, work)
    served.post(ended(dyno, exit_status))
    # Heroku hands the name out again; this run dies before Python (R10): nothing of the earlier run is left.
    served.post(lines.scheduler_run(dyno, SEED, *lines.exited(137)))

    first, first_outcome, drains = sentry.checkins()
    assert [check_in["status"] for check_in in (first, first_outcome, drains)] == ["in_progress", outcome, "error"]
    assert drains["check_in_id"] != first["check_in_id"]


@override_settings(SENTRY_HEROKU_SCHEDULED_JOBS=DECLARED)
def test_a_job_killed_after_its_in_progress_check_in_is_closed_by_the_drains_error_with_its_id(served, sentry, job):
    dyno = scheduler_dyno()
    served.post(lines.scheduler_run(dyno, SEED))

    def killed():
        # R15's SIGKILL now: no Python runs after it, so what Sentry has is what it has at this point.
        served.post(ended(dyno, 137, *lines.KILLED_OVER_MEMORY[:-2]))
        return sentry.checkins()

    started, drains = job(dyno, killed)
    assert (started["status"], drains["status"]) == ("in_progress", "error")
    assert drains["check_in_id"] == started["check_in_id"]  # the run's in_progress closed: no max_runtime timeout
    assert drains["monitor_config"]["max_runtime"] == 10


@override_settings(SENTRY_HEROKU_SCHEDULED_JOBS=DECLARED)
def test_with_redis_down_the_job_still_runs_and_reports_and_the_drain_sends_an_error_of_its_own(
    served, sentry, job, dead_redis, caplog
):
    dyno = scheduler_dyno()
    with override_settings(CACHES={"default": backing_services.redis_cache(dead_redis)}):
        served.post(lines.scheduler_run(dyno, SEED))  # the drain remembers the run in this process
        with caplog.at_level(logging.WARNING, logger="sentry_heroku.crons"):
            assert job(dyno, done) == "done"
        served.post(ended(dyno, 1))
    # One try, not one per check-in: a Redis that never answers costs the job one cache timeout.
    notes = [record for record in caplog.records if record.name.startswith("sentry_heroku.crons")]
    assert [record.getMessage() for record in notes] == [
        f"sentry_heroku: could not note run of {dyno} in the cache for the log drain"
    ]

    started, finished, drains = sentry.checkins()
    assert [check_in["status"] for check_in in (started, finished, drains)] == ["in_progress", "ok", "error"]
    assert finished["check_in_id"] == started["check_in_id"]
    assert drains["check_in_id"] != started["check_in_id"]
    assert len(drains["check_in_id"]) == 32


@pytest.mark.parametrize(
    "noted", ["not-a-check-in-id", "ABCDEF0123456789ABCDEF0123456789", "0" * 33, b"0" * 32, ("0" * 32,), 7]
)
def test_anything_but_a_check_in_id_or_reported_under_the_dyno_gives_the_drain_an_id_of_its_own(served, sentry, noted):
    dyno = scheduler_dyno()
    cache.set(_run_key(dyno, SEED_SLUG), noted)
    served.post(lines.scheduler_run(dyno, SEED, *lines.exited(1)))

    [check_in] = sentry.checkins()
    assert check_in["status"] == "error"
    assert check_in["check_in_id"] != noted
    assert len(check_in["check_in_id"]) == 32


def test_a_job_that_exits_0_sends_nothing_from_the_drain(served, sentry):
    served.post(lines.scheduler_run(scheduler_dyno(), "python manage.py clearsessions", *lines.exited(0)))
    served.post(lines.scheduler_run(scheduler_dyno(), SEED, *lines.exited(1)))
    assert sentry.slugs() == [SEED_SLUG]


def test_a_one_off_run_dyno_that_crashes_sends_no_check_in(served, sentry):
    one_off = fresh_dyno("run")
    served.post(
        [
            ("app", "api", "Starting process with command `python manage.py seed_participants --count 50` by user "
                           "ann@example.com"),
            ("heroku", one_off, f"Starting process with command `{SEED}`"),
            ("heroku", one_off, "State changed from starting to up"),
            ("heroku", one_off, lines.R15),
            ("heroku", one_off, "Process exited with status 137"),
            ("heroku", one_off, "State changed from up to crashed"),
        ]
    )  # fmt: skip
    served.post(lines.scheduler_run(scheduler_dyno(), "python manage.py clearsessions", *lines.exited(1)))
    assert sentry.slugs() == ["clearsessions"]
    assert "crashed" in {event["tags"]["heroku_error"] for event in served.events_about(one_off)}


def test_a_scheduler_command_that_runs_no_management_command_sends_no_check_in(served, sentry):
    dyno = scheduler_dyno()
    served.post(lines.scheduler_run(dyno, "python manage.py clearsessions", *lines.exited(0)))
    # The same dyno name again, for a script: the earlier job must not be blamed for it.
    served.post(lines.scheduler_run(dyno, "bin/cleanup --force", *lines.exited(1)))
    served.post(lines.scheduler_run(scheduler_dyno(), SEED, *lines.exited(2)))
    assert sentry.slugs() == [SEED_SLUG]


def test_a_secret_in_the_command_is_neither_remembered_nor_sent(served, sentry):
    dyno = scheduler_dyno()
    command = "python manage.py send_report --token s3cr3t alice@example.com"
    served.post(lines.scheduler_run(dyno, command))
    # Between the batches the drain remembers the run: LocMemCache holds its values pickled.
    remembered = list(cache._cache.values())
    assert any(b"send-report-token" in value for value in remembered)
    assert not any(b"s3cr3t" in value or b"alice" in value for value in remembered)
    served.post([("heroku", dyno, message) for message in lines.exited(1)])

    [check_in] = sentry.checkins()
    assert check_in["monitor_slug"] == "send-report-token"
    sent = sentry.raw()
    assert b"send-report-token" in sent
    assert b"s3cr3t" not in sent
    assert b"alice" not in sent


def test_two_dynos_in_one_slot_lose_the_older_run_never_blame_the_wrong_job(served, sentry):
    served.post(lines.scheduler_run("scheduler.5", "python manage.py clearsessions"))
    served.post(lines.scheduler_run("scheduler.261", SEED))  # 261 = 5 + 256: the same slot
    served.post([("heroku", "scheduler.5", message) for message in lines.exited(1)])
    served.post([("heroku", "scheduler.261", message) for message in lines.exited(1)])
    assert sentry.slugs() == [SEED_SLUG]


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_many_scheduler_dynos_are_remembered_in_a_bounded_store_and_cost_a_bounded_number_of_check_ins(served, sentry):
    clock = Clock()
    store = MemoryStore(clock)
    receiver = _Receiver(shared=store, clock=clock)
    config = view.current().config
    dynos = [f"scheduler.{number}" for number in range(1000, 3000)]

    for start in range(0, len(dynos), 20):
        batch = [line for dyno in dynos[start : start + 20] for line in lines.scheduler_run(dyno, SEED)]
        receiver.handle(lines.body(batch), str(len(batch)), config)
    remembered = [key for key in store.values if key.startswith("scheduler-run:")]
    assert len(remembered) == 256

    failed = [("heroku", dyno, "Process exited with status 1") for dyno in dynos]
    receiver.handle(lines.body(failed), str(len(failed)), config)
    assert len(sentry.checkins()) == 10  # the minute's budget, whatever the batch says
    assert [key for key in store.values if key.startswith("scheduler-run:")] == []


def test_a_batch_reads_at_most_20_starting_lines():
    starts = [LogLine(lines.TIMESTAMP, "heroku", f"scheduler.{n}", f"Starting process with command `{SEED}`")
              for n in range(1000)]  # fmt: skip
    assert len(list(run_lines(starts))) == 20


@pytest.mark.parametrize(
    ("process", "message", "found"),
    [
        ("scheduler.2049", "Starting process with command `python manage.py clearsessions`",
         RunLine("scheduler.2049", STARTED, "clearsessions")),
        ("scheduler.2049", "Starting process with command `python3 manage.py clearsessions`",
         RunLine("scheduler.2049", STARTED, "clearsessions")),
        ("scheduler.2049", "Starting process with command `./manage.py seed_participants --count=5 --if-empty`",
         RunLine("scheduler.2049", STARTED, "seed-participants-count-if-empty")),
        ("scheduler.2049", "Starting process with command `bin/cleanup`", RunLine("scheduler.2049", STARTED, "")),
        ("scheduler.2049", "Starting process with command `python manage.py " + "x" * 1000 + "`",
         RunLine("scheduler.2049", STARTED, "")),
        ("scheduler.2049", "Process exited with status 137", RunLine("scheduler.2049", FAILED)),
        ("scheduler.2049", "State changed from starting to crashed", RunLine("scheduler.2049", FAILED)),
        ("scheduler.2049", "State changed from up to complete", None),
        ("scheduler.2049", lines.R15, None),
        ("run.2049", "Process exited with status 1", None),
        ("scheduler.2049\x1b[2J", "Process exited with status 1", None),
        ("scheduler-2049", "Process exited with status 1", None),
    ],
    ids=["python", "python3", "dot-slash", "no-manage-py", "too-long", "exit-137", "crashed", "complete", "r15",
         "run-dyno", "escape-in-name", "not-a-scheduler-name"],
)  # fmt: skip
def test_the_lines_that_start_or_end_a_scheduler_run(process, message, found):
    assert list(run_lines([LogLine(lines.TIMESTAMP, "heroku", process, message)])) == ([found] if found else [])
