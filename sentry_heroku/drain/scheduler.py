"""A scheduler.N dyno that failed, as one error check-in for its job's Sentry Crons monitor: no Python needed.

A Scheduler run, as Heroku logs it (https://devcenter.heroku.com/articles/scheduler):

    app api                Starting process with command `python manage.py clearsessions` by user scheduler@…
    heroku scheduler.2049  Starting process with command `python manage.py clearsessions`
    heroku scheduler.2049  State changed from starting to up
    heroku scheduler.2049  Error R15 (Memory quota vastly exceeded)
    heroku scheduler.2049  Stopping process with SIGKILL
    heroku scheduler.2049  Process exited with status 137
    heroku scheduler.2049  State changed from up to complete

The dyno's own Starting line names the job; the api's line carries the same command but names no dyno, so
it is not read. The job is its monitor slug (sentry_heroku/crons: the management command and its option
names, never a value: Heroku has expanded config vars into the command), remembered for the dyno between
batches; the command itself is never kept or sent. A command that runs no management command is no job.
Then a non-zero exit status, or a crash with none, is one error check-in; exit status 0 sends nothing (the
dyno's own check-in says ok). Which web process receives which batch is Logplex's choice, so the runs are
remembered in the shared cache (this process's memory while it fails), and of two processes that read
the same end, one reports it.

The dyno notes its own run in that cache under its name and job (crons/_scheduled.py), which
capture_failed_run reads and deletes, once per failed run: where the dyno sent its own error check-in
(exit status 1) the drain sends none, and where the dyno was killed after its in_progress one the drain's
carries that check_in_id.

Whoever holds the drain's secret can write these lines, so everything is bounded: a run is remembered in
one of _SLOTS slots (a dyno's number picks it; two dynos at once in one slot lose the older one's drain
check-in, never send a wrong one), for at most a one-off dyno's day; a batch's Starting lines are read
up to _STARTS_PER_BATCH, each command up to _COMMAND_MAX characters; and the app sends at most
_CHECKINS_PER_MINUTE of these check-ins a minute.
"""

import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from ..crons import command_slug
from .frames import LogLine
from .lines import CRASHED, EXITED

logger = logging.getLogger(__package__)

_SCHEDULER_DYNO = re.compile(r"scheduler\.([0-9]{1,9})")
_STARTING = re.compile(r"Starting process with command `(.*)`", re.DOTALL)
# A Scheduler command is a line in a dashboard field; shlex reads about 4 characters a microsecond.
_COMMAND_MAX = 1000
# A real batch starts a few scheduler dynos; this bounds what a forged batch costs to read (~5 ms).
_STARTS_PER_BATCH = 20
_SLOTS = 256
# A one-off dyno runs 24 hours at most.
_RUN_SECONDS = 24 * 3600
# Scheduler runs a job every 10 minutes at most: ten failed runs a minute is more than a real app's
# schedule gives, and all a forged stream of runs can cost.
_CHECKINS_PER_MINUTE = 10
_BUDGET_KEY = "scheduler-checkins"

STARTED, ENDED, FAILED = "started", "ended", "failed"


@dataclass(frozen=True, slots=True)
class RunLine:
    dyno: str  # scheduler.2049
    kind: str  # STARTED, ENDED (exit status 0) or FAILED (another exit status, or crashed)
    slug: str = ""  # STARTED: the job's monitor slug; "" when its command runs no management command

    @property
    def slot(self) -> str:
        return f"scheduler-run:{int(self.dyno.partition('.')[2]) % _SLOTS}"


def run_lines(lines: Iterable[LogLine]) -> Iterator[RunLine]:
    """The lines of a batch that start or end a scheduler.N dyno's run, in order."""
    starts = 0
    for line in lines:
        if line.app != "heroku" or not _SCHEDULER_DYNO.fullmatch(line.process):
            continue
        if match := _STARTING.match(line.message):
            starts += 1
            if starts > _STARTS_PER_BATCH:
                continue
            command = match[1]
            slug = (command_slug(command) or "") if len(command) <= _COMMAND_MAX else ""
            yield RunLine(line.process, STARTED, slug)
        elif match := EXITED.match(line.message):
            yield RunLine(line.process, ENDED if int(match[1]) == 0 else FAILED)
        elif CRASHED.match(line.message):
            yield RunLine(line.process, FAILED)


class SchedulerRuns:
    """The runs a drain has seen start, and the jobs of those it sees fail."""

    def __init__(self, store: Callable):
        """store: calls a function with the store to use (the receiver's shared_or_local)."""
        self.store = store

    def failed_jobs(self, lines: Iterable[LogLine]) -> list[tuple[str, str]]:
        """(slug, dyno) of each run in these lines that failed, once per run and within the minute's budget."""
        failed = []
        for run in run_lines(lines):
            if run.kind == STARTED:
                self._remember(run)
            elif (slug := self._forget(run)) and run.kind == FAILED and self._within_budget():
                failed.append((slug, run.dyno))
        return failed

    def _remember(self, run: RunLine) -> None:
        self.store(lambda store: store.set(run.slot, (run.dyno, run.slug), _RUN_SECONDS))

    def _forget(self, run: RunLine) -> str | None:
        """The run's slug, to the one caller that removed it."""
        remembered = self.store(lambda store: store.get(run.slot))
        if not isinstance(remembered, tuple) or remembered[0] != run.dyno:
            return None
        return remembered[1] if self.store(lambda store: store.delete(run.slot)) else None

    def _within_budget(self) -> bool:
        sent = self.store(lambda store: store.increment(_BUDGET_KEY, 1, ttl=60))
        if sent == _CHECKINS_PER_MINUTE + 1:
            logger.warning(
                "Heroku log drain: over %d failed scheduler runs this minute; not reporting more",
                _CHECKINS_PER_MINUTE,
            )
        return sent <= _CHECKINS_PER_MINUTE
