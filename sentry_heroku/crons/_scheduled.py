"""Check-ins for the management command a Heroku Scheduler dyno runs, with no code in the command.

On a scheduler.N dyno, apps.py wraps BaseCommand.run_from_argv, the method manage.py calls, once,
for the command on its command line (call_command() inside it goes through execute(), not here).
The log drain sends the error check-in of a run that died where no Python could (capture_failed_run).
"""

import signal
import sys
import time

import sentry_sdk
from django.core.management.base import BaseCommand
from sentry_sdk.crons import MonitorStatus, capture_checkin

from ._jobs import ScheduledJob
from ._report import remember_undeclared
from ._slug import job_slug

# The in-progress check-in must have left before the job starts: a SIGKILL (R15, exit 137) loses
# whatever the SDK still queues, and Sentry then marks the run failed only once max_runtime passes.
SEND_SECONDS = 2


def watch_management_commands(jobs: dict[str, ScheduledJob]) -> None:
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
        return run_as_job(lambda: original(command, argv), job_slug(argv[1], list(argv[2:])), jobs)

    run_from_argv._sentry_heroku_job = True
    BaseCommand.run_from_argv = run_from_argv


def run_as_job(run, slug: str, jobs: dict[str, ScheduledJob]):
    """Run the command between an in_progress and an ok or error check-in for its monitor."""
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
    started = time.monotonic()
    status = MonitorStatus.ERROR
    try:
        check_in_id = capture_checkin(
            monitor_slug=slug, status=MonitorStatus.IN_PROGRESS, monitor_config=monitor_config
        )
        sentry_sdk.flush(timeout=SEND_SECONDS)
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
        sentry_sdk.flush(timeout=SEND_SECONDS)


def capture_failed_run(slug: str, jobs: dict[str, ScheduledJob]) -> None:
    """The error check-in the log drain sends for a scheduler.N dyno that failed (drain/scheduler.py).

    A check-in of its own (a new check_in_id): the drain cannot know the run's. So a job killed by R15 after its
    in_progress check-in also times out at max_runtime, and one that failed in Python (exit status 1) has two
    error check-ins, its own and this one; one that never reached Python has this one only.
    """
    job = jobs.get(slug)
    capture_checkin(monitor_slug=slug, status=MonitorStatus.ERROR, monitor_config=job.monitor_config() if job else None)


def _stop_on_sigterm() -> None:
    """heroku ps:stop and a dyno's shutdown send SIGTERM: end as a failed run, with its check-in, not silently."""
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _exit_on_signal)


def _exit_on_signal(signum, frame):
    raise SystemExit(128 + signum)
