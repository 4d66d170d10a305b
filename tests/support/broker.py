"""Celery messages straight into Redis, as the web dyno would send them."""


def enqueue(redis_url: str, task: str, *args) -> None:
    """Send a task as the web dyno would, by name, to the Redis broker."""
    from celery import Celery

    with Celery(broker=redis_url) as app:
        app.send_task(task, args=args)


def queue_length(redis_url: str, queue: str = "celery") -> int:
    """Messages waiting in a Celery queue on Redis (a list under the queue's name)."""
    import redis

    with redis.Redis.from_url(redis_url) as client:
        return client.llen(queue)
