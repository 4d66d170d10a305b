"""A task publish that gave up on the broker, and the 503 a web request answers for it.

bahk.celery's task class raises TaskNotSent in place of kombu's and
redis-py's connection errors, within seconds (backing_services.PUBLISH_GIVES_UP),
so the caller always learns that the task was not sent: the middleware turns
it into a 503 and an ERROR log record (a Sentry event, tagged by dyno, through
the SDK's logging integration). It is a CommandError, so a management
command (a one-off's `manage.py shell -c`, a release phase's command) prints
it as one line and exits 1, as Django does for any CommandError.
"""

import logging

import redis.exceptions
from django.core.management import CommandError
from django.http import JsonResponse
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)

# What a publish raises when the broker is out of reach: kombu's wrapper, and
# redis-py's errors as they come out of the result backend (itself wrapped in
# a RuntimeError when Celery gives up reconnecting its subscription).
UNREACHABLE = (OperationalError, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)

# Redis's own answer when every one of its maxclients slots is taken.
LIMIT_REACHED = "max number of clients reached"


class TaskNotSent(CommandError):
    """The broker could not be reached: the task is not in the queue, and will not run unless sent again."""

    def __init__(self, task_name: str, queue: str, reason: str):
        super().__init__(f"The task {task_name} was not sent: the task queue {queue} could not be reached; {reason}.")
        self.queue, self.reason = queue, reason

    @classmethod
    def unless_sent(cls, task_name: str, error: BaseException, *, queue: str) -> "TaskNotSent | None":
        """The TaskNotSent for a publish that failed with `error`, or None when the broker is not what failed.

        `queue` says where the queue is, as the user set it: "at REDIS_URL".
        """
        chain = list(_causes(error))
        if not any(isinstance(link, UNREACHABLE) for link in chain):
            return None
        return cls(task_name, queue, _why(chain))


def _causes(error: BaseException):
    """The error and what it was raised from ("raise … from", as kombu and Celery wrap), each once.

    Not what it was raised during: an error the caller's own code was handling says nothing about the broker.
    """
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__


def _why(chain: list[BaseException]) -> str:
    """The likely cause, in words; never the error's own text, which may name hosts."""
    if any(LIMIT_REACHED in str(link) for link in chain):
        return (
            f'its connection limit is reached (Redis answered "{LIMIT_REACHED}"): '
            "open fewer connections per dyno, run fewer dynos, or move to a Redis plan with more"
        )
    if any(isinstance(link, (redis.exceptions.TimeoutError, TimeoutError)) for link in chain):
        return "it accepted the connection but did not answer in time"
    if any(isinstance(link, ConnectionRefusedError) or "Connection refused" in str(link) for link in chain):
        return "it refused the connection (nothing listens at that host and port)"
    return "the connection failed"


class TaskNotSentMiddleware:
    """Any view whose enqueue gave up answers 503 with the reason, instead of a 500 page or a hung request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, TaskNotSent):
            return None
        # Handled here, so Django does not report it: this record is the Sentry event.
        logger.error("%s", exception, exc_info=exception)
        return JsonResponse({"error": str(exception)}, status=503)
