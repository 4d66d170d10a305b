"""Check-ins for the management command a Heroku Scheduler dyno runs, with no code in the command.

On a scheduler.N dyno, apps.py wraps BaseCommand.run_from_argv, the method manage.py calls, once,
for the command on its command line (call_command() inside it goes through execute(), not here).
The log drain sends the error check-in of a run that died where no Python could (capture_failed_run).
So that it is the run's own, the dyno tells the drain how far it got, in the cache both share (Redis).
"""

import logging
import re
import signal
import sys
import time

import sentry_sdk
from django.core.cache import cache
from django.core.management.base import BaseCommand
from sentry_sdk.crons import MonitorStatus, capture_checkin

from ._jobs import ScheduledJob
from ._report import remember_undeclared
from ._slug import job_slug

# The in-progress check-in must have left before the job starts: a SIGKILL (R15, exit 137) loses
# whatever the SDK still queues, and Sentry then marks the run failed only once max_runtime passes.
_SEND_SECONDS = 2

logger = logging.getLogger(__name__)

# A run as the drain may read it, under its dyno's name and its job: its check_in_id once the in_progress
# check-in has left, then _REPORTED once its error check-in has (an ok one deletes the note). A one-off dyno runs
# 24 hours at most; the drain reads _REPORTED when the dyno's exit line arrives, seconds later (Logplex retries
# a batch within minutes), and deletes what it read, so a later run of the same job on a dyno of the same name
# never finds this one's.
_RUN_KEY = "sentry_heroku:crons:run:"
_REPORTED = "reported"
_RUNNING_SECONDS = 24 * 3600
_REPORTED_SECONDS = 3600
# The SDK's check_in_id (uuid4().hex): the drain sends nothing else from the cache as one.
_CHECK_IN_ID = re.compile(r"[0-9a-f]{32}")


def watch_management_commands(jobs: dict[str, ScheduledJob], dyno_name: str) -> None:
    original = BaseCommand.run_from_argv
    if getattr(original, "_sentry_heroku_job", False):
        return

    started = False

    def run_from_argv(command, argv):
        nonlocal started
        # Only the command manage.py was started with, and only once.
        if started or len(argv) < 2 or list(argv[1:]) != sys.argv[1:]:
            return original(command, argv)
        started = True
        return run_as_job(lambda: original(command, argv), job_slug(argv[1], list(argv[2:])), jobs, dyno_name)

    run_from_argv._sentry_heroku_job = True
    BaseCommand.run_from_argv = run_from_argv


def run_as_job(run, slug: str, jobs: dict[str, ScheduledJob], dyno_name: str):
    """Run the command between an in_progress and an ok or error check-in for its monitor, each then noted
    under the dyno's name for the drain (_RUN_KEY)."""
    job = jobs.get(slug)
    # An undeclared job still reports its runs; without a schedule Sentry cannot know of one it missed.
    monitor_config = job.monitor_config() if job else None
    if job is None:
        remember_undeclared(slug)
    # The job's errors and its check-ins share one trace, its own.
    sentry_sdk.get_isolation_scope().set_new_propagation_context()
    # Before the in_progress check-in: a SIGTERM as soon as it has left still ends the run as an error.
    _stop_on_sigterm()
    check_in_id = None
    noted = False
    started = time.monotonic()
    status = MonitorStatus.ERROR
    try:
        check_in_id = capture_checkin(
            monitor_slug=slug, status=MonitorStatus.IN_PROGRESS, monitor_config=monitor_config
        )
        sentry_sdk.flush(timeout=_SEND_SECONDS)
        noted = _note_run(dyno_name, slug, check_in_id, _RUNNING_SECONDS)
        started = time.monotonic()
        result = run()
        status = MonitorStatus.OK
        return result
    except SystemExit as stopped:
        # A CommandError leaves run_from_argv as sys.exit(its return code).
        status = MonitorStatus.OK if stopped.code in (None, 0) else MonitorStatus.ERROR
        raise
    finally:
        capture_checkin(
            monitor_slug=slug,
            check_in_id=check_in_id,
            status=status,
            duration=time.monotonic() - started,
            monitor_config=monitor_config,
        )
        sentry_sdk.flush(timeout=_SEND_SECONDS)
        # Not after a first note that failed: a Redis that is down costs the job one cache timeout, not two.
        # An ok run leaves no note: the drain reads one only for a run that exits non-zero, so one left behind
        # would stand for a later run on a dyno of the same name that dies before Python.
        if noted and status == MonitorStatus.OK:
            _forget_run(dyno_name, slug)
        elif noted:
            _note_run(dyno_name, slug, _REPORTED, _REPORTED_SECONDS)


def capture_failed_run(slug: str, jobs: dict[str, ScheduledJob], dyno_name: str) -> None:
    """The error check-in the log drain sends for a scheduler.N dyno that failed (drain/scheduler.py).

    What the dyno noted of its run (_RUN_KEY) decides:
    - _REPORTED: none, the run's own ok or error check-in stands (a job that failed in Python, exit status 1);
    - its check_in_id: the error with that id, closing the run's in_progress (a job killed by R15 after it),
      which so never also times out at max_runtime;
    - nothing, or anything else: a check-in of its own (a run that died before Python; a dyno that could not
      reach the cache, or a cache the web dynos do not share).
    """
    noted = _noted_run(dyno_name, slug)
    if noted == _REPORTED:
        return
    job = jobs.get(slug)
    capture_checkin(
        monitor_slug=slug,
        check_in_id=noted,
        status=MonitorStatus.ERROR,
        monitor_config=job.monitor_config() if job else None,
    )


def _run_key(dyno_name: str, slug: str) -> str:
    return f"{_RUN_KEY}{dyno_name}:{slug}"


def _note_run(dyno_name: str, slug: str, value: str, seconds: int) -> bool:
    """True when the cache took it. A cache that fails (the project's own timeouts bound it) costs the job only
    the drain's view of the run: the drain then sends a check-in of its own, as it would without a cache."""
    try:
        cache.set(_run_key(dyno_name, slug), value, seconds)
    except Exception:
        logger.warning("sentry_heroku: could not note run of %s in the cache for the log drain", dyno_name)
        return False
    return True


def _forget_run(dyno_name: str, slug: str) -> None:
    try:
        cache.delete(_run_key(dyno_name, slug))
    except Exception:
        logger.warning("sentry_heroku: could not clear run of %s in the cache for the log drain", dyno_name)


def _noted_run(dyno_name: str, slug: str) -> str | None:
    """_REPORTED, a check_in_id, or None for anything else: the cache is shared, so its value is not trusted.
    Read once: the drain reads it for one failed run (drain/scheduler.py), then it is gone."""
    key = _run_key(dyno_name, slug)
    try:
        noted = cache.get(key)
        cache.delete(key)
    except Exception:
        return None
    if noted == _REPORTED or (isinstance(noted, str) and _CHECK_IN_ID.fullmatch(noted)):
        return noted
    return None


def _stop_on_sigterm() -> None:
    """heroku ps:stop and a dyno's shutdown send SIGTERM: end as a failed run, with its check-in, not silently."""
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _exit_on_signal)


def _exit_on_signal(signum, frame):
    raise SystemExit(128 + signum)
