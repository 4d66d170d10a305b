"""Small decorators for application code that runs outside a request or a task.

Requests (Django integration) and tasks (Celery integration) are already
traced and their errors reported; use these for the rest: a management
command, a thread, a script run by Heroku Scheduler.
"""

import functools

import sentry_sdk

from . import limits
from .middleware import user_details


def capture_errors(name: str, *, reraise: bool = True):
    """Report any exception the function raises, tagged job=name; re-raise it unless reraise=False."""

    def decorate(function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with sentry_sdk.isolation_scope() as scope:
                scope.set_tag("job", limits.tag_value(name))
                try:
                    return function(*args, **kwargs)
                except Exception as error:
                    sentry_sdk.capture_exception(error)
                    if reraise:
                        raise
                    return None

        return wrapper

    return decorate


def with_sentry_context(name: str, op: str = "function"):
    """Trace the function: as a span of the running transaction, or as its own transaction when none runs.

    Tags and context set inside stay inside: each call gets its own isolation scope.
    """

    def decorate(function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with sentry_sdk.isolation_scope() as scope:
                scope.set_tag("job", limits.tag_value(name))
                if sentry_sdk.get_current_span() is None:
                    with sentry_sdk.start_transaction(op=op, name=name):
                        return function(*args, **kwargs)
                with sentry_sdk.start_span(op=op, name=name):
                    return function(*args, **kwargs)

        return wrapper

    return decorate


def set_user_context(user, *, send_pii: bool = False) -> None:
    """Name the user on the events of this task or block of code (requests get it from the middleware)."""
    sentry_sdk.set_user(user_details(user, send_pii=send_pii))
