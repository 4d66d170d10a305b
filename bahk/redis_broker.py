"""Kombu's Redis transport, with channels that hold one Redis connection for publishing, not two.

A kombu channel keeps two redis-py pools: one for commands (LPUSH when a task
is published, the worker's acknowledgements) and one for what its event loop
waits on (BRPOP for tasks, SUBSCRIBE for broadcasts). A new channel checks the
server with a PING from the second pool and keeps that connection open, so a
process that only publishes (a web dyno's gunicorn worker, a one-off, a
release phase) held a connection it never used again: on a 20-connection
plan, one per such process (bench/connections.py). This channel closes it
after the check; the worker's consumer opens its BRPOP connection when it
starts listening, as it did.

settings.py names this transport (CELERY_BROKER_TRANSPORT) only with a Redis broker.
"""

from kombu.transport import redis


class Channel(redis.Channel):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The PING's connection was never handed to the event loop, so it leaves without telling it:
        # kombu's connections report a disconnect to their channel's poller once it is registered.
        registered, self._registered = self._registered, False
        try:
            self.async_pool.disconnect(inuse_connections=False)
        finally:
            self._registered = registered


class Transport(redis.Transport):
    Channel = Channel
