"""bahk.redis_cache on a real Redis: one kept client, shared by threads and carried across a fork."""

import subprocess
import sys
import threading

import pytest

from bahk import backing_services
from bahk.redis_cache import RedisCache
from tests.support.processes import ROOT, clean_env


@pytest.fixture
def cache(redis_url):
    settings = backing_services.redis_cache(redis_url)
    return RedisCache(settings["LOCATION"], {"OPTIONS": settings["OPTIONS"]})


def test_values_round_trip_and_expire_like_djangos_backend(cache):
    cache.set("participant", {"id": 7, "city": "Delft"}, 60)
    cache.set("gone", "soon", -1)

    assert cache.get("participant") == {"id": 7, "city": "Delft"}
    assert cache.get("gone") is None
    assert cache.get_many(["participant", "missing"]) == {"participant": {"id": 7, "city": "Delft"}}
    assert cache.add("counter", 1)
    assert cache.incr("counter") == 2


def test_threads_sharing_the_client_each_read_their_own_values(cache):
    mismatches = []

    def work(number: int) -> None:
        for round_ in range(200):
            key = f"thread-{number}"
            cache.set(key, (number, round_))
            if cache.get(key) != (number, round_):
                mismatches.append((number, round_))

    threads = [threading.Thread(target=work, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert mismatches == []
    assert cache.get_many([f"thread-{number}" for number in range(8)]) == {
        f"thread-{number}": (number, 199) for number in range(8)
    }


# Run in a fresh, single-threaded interpreter: forking pytest's process, which has threads, could deadlock.
FORK_AFTER_USE = """
import os, sys
from bahk import backing_services
from bahk.redis_cache import RedisCache
from tests.support.processes import ROOT, clean_env

settings = backing_services.redis_cache(sys.argv[1])
cache = RedisCache(settings["LOCATION"], {"OPTIONS": settings["OPTIONS"]})
cache.set("before-fork", "parent")
read_end, write_end = os.pipe()
pid = os.fork()
if pid == 0:  # the child answers what it reads through the client it inherited
    cache.set("from-child", "child")
    os.write(write_end, str(cache.get("before-fork")).encode())
    os._exit(0)
os.close(write_end)
with os.fdopen(read_end) as answer:
    child_read = answer.read()
os.waitpid(pid, 0)
print(child_read, cache.get("from-child"), cache.get("before-fork"))
"""


def test_a_forked_worker_uses_its_own_connections(redis_url):
    """gunicorn loads the app, then forks: a client made before the fork must not share a socket after it."""
    result = subprocess.run(
        [sys.executable, "-c", FORK_AFTER_USE, redis_url],
        cwd=ROOT,
        env=clean_env(DJANGO_SETTINGS_MODULE="bahk.settings"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["parent", "child", "parent"]
