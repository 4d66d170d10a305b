"""hub.redis_tracking's rules for the local copy, as a table of event sequences, and the listener's connections.

The listener on a real Redis is tested in tests/integration/test_redis_tracking.py.
"""

import ssl

import pytest
import redis
from django.core.cache.backends.redis import RedisCache as DjangosRedisCache

from bahk import backing_services
from bahk.redis_cache import RedisCache
from hub.redis_tracking import MISSING, LocalCopy, apply, listener_pool

KEY = b":1:k"
SUBSCRIBED = {"type": "subscribe", "channel": b"__redis__:invalidate", "data": 1}
PONG = {"type": "pong", "channel": None, "data": b""}


def invalidated(*keys: bytes) -> dict:
    return {"type": "message", "channel": b"__redis__:invalidate", "data": list(keys)}


FLUSHED = {"type": "message", "channel": b"__redis__:invalidate", "data": None}

# Each step: (time, event); events are ("read", value) for a read that asks
# Redis and keeps what it got, ("begin",) / ("end", value) for one that is
# interleaved with other events, a listener message, or "lost". The copy is
# then read at the last step's time plus `later`. To add a rule: one row.
CASES = [
    ("kept after the subscription is served", [(0, SUBSCRIBED), (0, ("read", "v1"))], 0, "v1"),
    ("nothing is kept before the subscription", [(0, ("read", "v1")), (0, SUBSCRIBED)], 0, MISSING),
    ("a message drops the key it names", [(0, SUBSCRIBED), (0, ("read", "v1")), (0, invalidated(KEY))], 0, MISSING),
    ("a message about other keys leaves it", [(0, SUBSCRIBED), (0, ("read", "v1")), (0, invalidated(b"x"))], 0, "v1"),
    ("a flush drops everything", [(0, SUBSCRIBED), (0, ("read", "v1")), (0, FLUSHED)], 0, MISSING),
    ("a read begun before a message is not kept", [(0, SUBSCRIBED), (0, ("begin",)), (0, invalidated(KEY)), (0, ("end", "v1"))], 0, MISSING),  # noqa: E501
    ("a read begun before the subscription is not kept", [(0, ("begin",)), (0, SUBSCRIBED), (0, ("end", "v1"))], 0, MISSING),  # noqa: E501
    ("a read begun before a loss is not kept", [(0, SUBSCRIBED), (0, ("begin",)), (0, "lost"), (0, SUBSCRIBED), (0, ("end", "v1"))], 0, MISSING),  # noqa: E501
    ("a loss drops everything", [(0, SUBSCRIBED), (0, ("read", "v1")), (0, "lost")], 0, MISSING),
    ("after a loss, nothing is served until subscribed again", [(0, SUBSCRIBED), (0, "lost"), (0, ("read", "v1"))], 0, MISSING),  # noqa: E501
    ("subscribed again, reads are kept again", [(0, SUBSCRIBED), (0, "lost"), (0, SUBSCRIBED), (0, ("read", "v2"))], 0, "v2"),  # noqa: E501
    ("silence beyond the trust period serves nothing", [(0, SUBSCRIBED), (0, ("read", "v1"))], 3, MISSING),
    ("a pong extends the trust period", [(0, SUBSCRIBED), (0, ("read", "v1")), (2, PONG)], 2, "v1"),
    ("hearing Redis again after silence serves the copy again", [(0, SUBSCRIBED), (0, ("read", "v1")), (5, PONG)], 0, "v1"),  # noqa: E501
    ("a pong on a lost connection trusts nothing", [(0, SUBSCRIBED), (0, "lost"), (0, PONG), (0, ("read", "v1"))], 0, MISSING),  # noqa: E501
]  # fmt: skip


@pytest.mark.parametrize(("steps", "later", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_local_copy_rules(steps, later, expected):
    copy = LocalCopy(trust_seconds=3)
    started = None
    for now, event in steps:
        if event == "lost":
            copy.lost()
        elif isinstance(event, dict):
            apply(copy, event, now)
        elif event[0] == "read":
            copy.keep(KEY, event[1], copy.read_started(), now)
        elif event[0] == "begin":
            started = copy.read_started()
        else:
            copy.keep(KEY, event[1], started, now)
    assert copy.get(KEY, steps[-1][0] + later) == expected


@pytest.mark.parametrize("backend", [RedisCache, DjangosRedisCache], ids=["project's backend", "Django's backend"])
def test_the_listener_reaches_redis_as_the_cache_does_on_resp2(backend):
    """Heroku's rediss:// with its self-signed certificate, and the cache's timeouts, on the listener's connections."""
    settings = backing_services.redis_cache("rediss://:password@redis.example.com:6380/2")
    cache = backend(settings["LOCATION"], {"OPTIONS": settings["OPTIONS"]})

    def connect(connection):
        pass

    pool = listener_pool(cache, connect)
    options = pool.connection_kwargs

    assert pool.connection_class is redis.SSLConnection
    assert (options["host"], options["port"], options["db"]) == ("redis.example.com", 6380, 2)
    assert options["ssl_cert_reqs"] == ssl.CERT_NONE
    assert (options["socket_timeout"], options["socket_connect_timeout"]) == (1, 1)
    assert (options["protocol"], options["redis_connect_func"]) == (2, connect)
    assert options["retry"].get_retries() == 0
    assert pool.max_connections == 1


def test_no_listener_with_replicas():
    cache = RedisCache("redis://primary:6379/0,redis://replica:6379/0", {})

    assert listener_pool(cache, lambda connection: None) is None
