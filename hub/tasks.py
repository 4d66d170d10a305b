from celery import shared_task

from hub.models import Participant


@shared_task
def count_public_participants() -> int:
    """A small real task: the worker answers from the same database as the web."""
    return Participant.objects.filter(is_public=True).count()
