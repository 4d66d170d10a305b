"""Which publish errors mean "the task was not sent", and the cause each names: from the errors Celery really raises."""

import pytest
import redis.exceptions
from kombu.exceptions import OperationalError

from bahk.task_not_sent import TaskNotSent


def raised(error: BaseException, *, wrapped_in: BaseException | None = None) -> BaseException:
    """`error`, raised from inside the library and re-raised as `wrapped_in`, as kombu and Celery do."""
    try:
        try:
            raise error
        except BaseException as inner:
            if wrapped_in is None:
                raise
            raise wrapped_in from inner
    except BaseException as outer:
        return outer


CASES = [
    # kombu's wrapper around redis-py, as the broker publish raises it.
    (
        raised(redis.exceptions.ConnectionError("max number of clients reached"), wrapped_in=OperationalError("x")),
        'its connection limit is reached (Redis answered "max number of clients reached")',
    ),
    (
        raised(redis.exceptions.TimeoutError("Timeout reading from socket"), wrapped_in=OperationalError("x")),
        "it accepted the connection but did not answer in time",
    ),
    (
        raised(ConnectionRefusedError(111, "Connection refused"), wrapped_in=OperationalError("x")),
        "it refused the connection",
    ),
    # The result backend's subscription gives up with a RuntimeError raised from redis-py's error.
    (
        raised(redis.exceptions.ConnectionError("Error 111. Connection refused."), wrapped_in=RuntimeError()),
        "it refused the connection",
    ),
    (raised(redis.exceptions.ConnectionError("Connection reset by peer")), "the connection failed"),
]


@pytest.mark.parametrize(("error", "cause"), CASES)
def test_a_broker_out_of_reach_is_named_with_its_likely_cause(error, cause):
    not_sent = TaskNotSent.unless_sent("hub.tasks.record_work", error, queue="at REDIS_URL")

    assert str(not_sent).startswith(
        "The task hub.tasks.record_work was not sent: the task queue at REDIS_URL could not be reached; " + cause
    )


def raised_while_handling(handled: BaseException, error: BaseException) -> BaseException:
    try:
        try:
            raise handled
        except BaseException:
            raise error  # noqa: B904 - the caller's own error, raised while it handled another
    except BaseException as outer:
        return outer


@pytest.mark.parametrize(
    "error",
    [
        raised(TypeError("not JSON serializable")),
        raised(RuntimeError("other")),
        raised_while_handling(ConnectionRefusedError(111, "Connection refused"), TypeError("not JSON serializable")),
    ],
)
def test_other_errors_are_not_taken_for_an_unreachable_broker(error):
    assert TaskNotSent.unless_sent("hub.tasks.record_work", error, queue="at REDIS_URL") is None


def test_the_message_never_repeats_the_errors_text_which_may_name_the_host():
    error = raised(redis.exceptions.ConnectionError("Error 111 connecting to redis-secret-host:6379. Refused."))
    assert "redis-secret-host" not in str(TaskNotSent.unless_sent("t", error, queue="at REDIS_URL"))
