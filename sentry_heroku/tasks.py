from celery import shared_task


# Nobody reads its result: no subscription to it, and nothing stored.
@shared_task(ignore_result=True)
def fail_for_sentry_debug() -> None:
    """Fails on purpose, for /api/sentry-debug/'s celery action: the error should reach Sentry from the worker."""
    raise ZeroDivisionError("sentry-debug: a task failed on purpose")
