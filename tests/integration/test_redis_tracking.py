"""hub.redis_tracking: a value kept in memory is served until Redis says it changed, and never when the process
may have missed that.

The copy's rules are a table in tests/unit/test_redis_tracking.py; the listener is tested on
a real Redis (plain and TLS), killed, restarted and flushed; the fork test
runs the way gunicorn does: load, fork, read in the child.
"""

import pickle
import subprocess
import sys
import threading

import pytest
from django.core.cache import caches

from bahk import backing_services
from hub.redis_tracking import KeptValues
from tests.support.processes import ROOT, clean_env
from tests.support.servers import RedisServer, wait_until


class CountingReads:
    """A load() for KeptValues that reads the cache and counts how often it had to."""

    def __init__(self, key: str):
        self.key = key
        self.count = 0

    def __call__(self):
        self.count += 1
        return caches["default"].get(self.key)


@pytest.fixture
def redis_settings(settings):
    def use(url: str):
        settings.CACHES = {"default": backing_services.redis_cache(url)}

    return use


def kept(key: str = "k") -> tuple[KeptValues, CountingReads]:
    values = KeptValues([key])
    values.get(key, lambda: None)  # the first read starts the listener
    wait_until(values.listening, 10, "the listener to subscribe")
    return values, CountingReads(key)


def test_a_kept_value_is_served_from_memory_until_another_client_changes_it(redis_server, redis_url, redis_settings):
    redis_settings(redis_url)
    caches["default"].set("k", "v1")
    values, reads = kept()

    assert [values.get("k", reads) for _ in range(50)] == ["v1"] * 50
    assert reads.count == 1

    redis_server.client().set(":1:k", pickle.dumps("v2"))  # as Django's Redis cache stores it
    wait_until(lambda: values.get("k", reads) == "v2", 10, "the change to reach the copy")
    assert reads.count == 2


def test_a_flushed_redis_empties_the_copy(redis_server, redis_url, redis_settings):
    redis_settings(redis_url)
    caches["default"].set("k", "v1")
    values, reads = kept()
    assert values.get("k", reads) == "v1"

    redis_server.client().flushall()

    wait_until(lambda: values.get("k", reads) is None, 10, "the flush to reach the copy")


def test_threads_never_read_a_value_older_than_the_last_completed_write(redis_url, redis_settings):
    """gunicorn's threads read while this process writes: a read that began before a write may not keep its
    older answer for the reads after it."""
    redis_settings(redis_url)
    caches["default"].set("k", 0)
    values, _ = kept()
    completed = 0
    stale = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            floor = completed
            value = values.get("k", lambda: caches["default"].get("k"))
            if value < floor:
                stale.append((floor, value))

    readers = [threading.Thread(target=read) for _ in range(4)]
    for reader in readers:
        reader.start()
    for number in range(1, 301):
        caches["default"].set("k", number)
        values.forget("k")
        completed = number
    stop.set()
    for reader in readers:
        reader.join()
    assert stale == []
    assert values.get("k", lambda: caches["default"].get("k")) == 300


def test_a_killed_listener_connection_stops_the_copy_until_it_listens_again(redis_server, redis_url, redis_settings):
    redis_settings(redis_url)
    caches["default"].set("k", "v1")
    values, reads = kept()
    assert values.get("k", reads) == "v1"

    redis_server.client().client_kill_filter(_type="pubsub")
    wait_until(lambda: not values.listening(), 10, "the listener to notice")
    # Changed while nobody listened: no message will ever say so.
    caches["default"].set("k", "v2")
    assert values.get("k", reads) == "v2"

    wait_until(values.listening, 10, "the listener to subscribe again")
    before = reads.count
    assert [values.get("k", reads) for _ in range(10)] == ["v2"] * 10
    assert reads.count <= before + 1  # at most the read that keeps it


@pytest.mark.own_servers
def test_after_a_redis_restart_the_copy_serves_only_what_the_new_redis_holds(redis_settings):
    redis = RedisServer().start()
    try:
        redis_settings(redis.url)
        caches["default"].set("k", "v1")
        values, reads = kept()
        assert values.get("k", reads) == "v1"

        redis.stop()
        wait_until(lambda: not values.listening(), 10, "the listener to notice")
        redis.start()  # the same port, empty
        assert values.get("k", reads) is None

        caches["default"].set("k", "v2")
        wait_until(values.listening, 10, "the listener to subscribe again")
        assert values.get("k", reads) == "v2"
    finally:
        redis.stop()


@pytest.mark.own_servers
def test_on_rediss_with_a_self_signed_certificate_the_listener_hears_changes(redis_settings):
    redis = RedisServer(tls=True).start()
    try:
        redis_settings(redis.url)  # rediss://: the cache's options skip verifying Heroku's certificate
        caches["default"].set("k", "v1")
        values, reads = kept()
        assert values.get("k", reads) == "v1"
        caches["default"].set("k", "v2")
        wait_until(lambda: values.get("k", reads) == "v2", 10, "the change to reach the copy")
    finally:
        redis.stop()


def test_where_redis_refuses_client_tracking_every_read_goes_to_redis(redis_server, redis_url, redis_settings):
    # A user that may do everything but CLIENT, as a provider that disables it would leave us.
    redis_server.client().acl_setuser(
        "noclient", enabled=True, passwords=["+pw"], keys=["*"], commands=["+@all", "-client"]
    )
    try:
        redis_settings(redis_url.replace("redis://", "redis://noclient:pw@"))
        caches["default"].set("k", "v1")
        values, reads = KeptValues(["k"]), CountingReads("k")
        assert values.get("k", reads) == "v1"
        wait_until(lambda: not values.tracking.listener.is_alive(), 10, "the listener to give up")
        assert [values.get("k", reads) for _ in range(3)] == ["v1"] * 3
        assert reads.count == 4
    finally:
        redis_server.client().acl_deluser("noclient")


def test_without_redis_every_read_goes_to_the_cache(settings):
    settings.CACHES = {"default": backing_services.local_cache()}
    caches["default"].set("k", "v1")
    values, reads = KeptValues(["k"]), CountingReads("k")
    assert [values.get("k", reads) for _ in range(3)] == ["v1"] * 3
    assert reads.count == 3
    assert not values.listening()


def test_a_process_that_writes_reads_its_own_write_at_once(redis_url, redis_settings):
    redis_settings(redis_url)
    caches["default"].set("k", "v1")
    values, reads = kept()
    assert values.get("k", reads) == "v1"
    caches["default"].set("k", "v2")
    values.forget("k")
    assert values.get("k", reads) == "v2"


# gunicorn's order in a fresh, single-threaded interpreter: load the app, read (as a preloaded app might), fork,
# then read in the child after another client changed the value.
FORK_AFTER_READ = """
import os, sys, threading
import django
django.setup()
from django.core.cache import caches
from hub.redis_tracking import KeptValues
from hub import map_cache  # keeps the map's data version: must start nothing at import
from tests.support.servers import wait_until

def listeners():
    return sum(thread.name == "redis-invalidation-listener" for thread in threading.enumerate())

values = KeptValues(["k"])
print("at import:", listeners())
caches["default"].set("k", "parent")
values.get("k", lambda: None)
wait_until(values.listening, 10, "the parent's listener")
values.get("k", lambda: caches["default"].get("k"))
print("parent:", values.get("k", lambda: "asked Redis"))
read_end, write_end = os.pipe()
pid = os.fork()
if pid == 0:
    answer = f"{listeners()} {values.get('k', lambda: 'asked Redis')} {listeners()}"
    os.write(write_end, answer.encode())
    os._exit(0)
os.close(write_end)
with os.fdopen(read_end) as child:
    print("child:", child.read())
os.waitpid(pid, 0)
"""


def test_a_forked_worker_starts_its_own_listener_on_its_first_read(redis_url):
    result = subprocess.run(
        [sys.executable, "-c", FORK_AFTER_READ],
        cwd=ROOT,
        env=clean_env(DJANGO_SETTINGS_MODULE="bahk.settings", REDIS_URL=redis_url, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    # The child inherits no thread and no trust: its first read asks Redis and starts its listener.
    assert result.stdout.splitlines() == ["at import: 0", "parent: parent", "child: 0 asked Redis 1"]
