from celery import shared_task

from hub.models import Participant


@shared_task
def count_public_participants() -> int:
    """A small real task: the worker answers from the same database as the web."""
    return Participant.objects.filter(is_public=True).count()


@shared_task
def fail_for_sentry_debug() -> None:
    """Fails on purpose, for /api/sentry-debug/?celery=true: the error should reach Sentry from the worker."""
    raise ZeroDivisionError("sentry-debug: a task failed on purpose")
