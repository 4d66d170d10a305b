from celery import shared_task


@shared_task
def fail_for_sentry_debug() -> None:
    """Fails on purpose, for /api/sentry-debug/?celery=true: the error should reach Sentry from the worker."""
    raise ZeroDivisionError("sentry-debug: a task failed on purpose")
