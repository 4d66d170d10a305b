import logging
import time

from celery import shared_task
from django.conf import settings

from hub.models import Participant, TaskRun


@shared_task
def count_public_participants() -> int:
    """A small real task: the worker answers from the same database as the web."""
    return Participant.objects.filter(is_public=True).count()


logger = logging.getLogger(__name__)


@shared_task
def report_public_participants() -> None:
    """The example periodic task (CELERY_BEAT_SCHEDULE): one line a run; Sentry Crons says when a run is missed."""
    logger.info("%d public participants on the map", Participant.objects.filter(is_public=True).count())


@shared_task
def record_work(token: str, seconds: float = 0) -> None:
    """Work for `seconds`, then record one TaskRun: the shape of a job a dyno restart must not lose.

    It runs to the end or not at all (nothing is written before the last
    line), and recording is idempotent by token, so a run that Celery
    re-queues on a restart and runs again is counted once.
    """
    # float() takes what JSON or a form may carry ("2.5") and refuses anything else, naming it.
    deadline = time.monotonic() + float(seconds)
    while (left := deadline - time.monotonic()) > 0:
        time.sleep(min(left, 0.1))
    # Nothing is returned: Celery logs a task's return value ("succeeded in 0.03s: …") at INFO.
    TaskRun.objects.get_or_create(token=token, defaults={"dyno": settings.DYNO.name})
