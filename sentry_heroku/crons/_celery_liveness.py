"""The worker's and beat's liveness check-ins (_liveness.py has the why and the shared parts).

A worker proves that it consumes tasks: the process that takes the interval publishes a heartbeat
task, and whichever worker process runs it checks in. A stuck pool or a dead consumer sends nothing.
The task expires after an interval, so a backlog never releases a burst of stale check-ins.
"""

import sentry_sdk
from celery import shared_task
from celery.signals import beat_init, worker_ready

from ._liveness import IntervalClaim, check_in, start_heartbeat


@shared_task(name="sentry_heroku.crons.liveness", ignore_result=True)
def _liveness_check_in(slug: str) -> None:
    check_in(slug)


def watch_worker_and_beat(claim: IntervalClaim, slug: str) -> None:
    def worker_beat() -> None:
        if claim.take():
            # A trace decided "not sampled", which the task continues: no transaction a minute in Sentry.
            with sentry_sdk.start_transaction(op="queue.publish", name="sentry_heroku liveness", sampled=False):
                _liveness_check_in.apply_async(args=[slug], expires=claim.seconds)

    def beat_beat() -> None:
        if claim.take():
            check_in(slug)

    # Each fires in its own kind of process only: worker_ready in a worker's main process, beat_init in beat.
    worker_ready.connect(lambda **kwargs: start_heartbeat(claim.seconds, worker_beat), weak=False)
    beat_init.connect(lambda **kwargs: start_heartbeat(claim.seconds, beat_beat), weak=False)
