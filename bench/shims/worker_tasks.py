"""The trivial task of bench/worker.py: what a task costs with nothing in it but Celery and Sentry.

Imported by the worker only through bench.shims.sentry_settings (CELERY_IMPORTS), so production never registers it.
"""

from celery import shared_task


@shared_task(ignore_result=True)
def nothing() -> None:
    """The floor of a task: received, run, acknowledged."""
