"""bahk.redis_cache on a real Redis: one kept client, shared by threads and carried across a fork."""

import os
import threading

import pytest

from bahk import backing_services
from bahk.redis_cache import RedisCache


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


def test_a_forked_worker_uses_its_own_connections(cache):
    """gunicorn loads the app, then forks: a client made before the fork must not share a socket after it."""
    cache.set("before-fork", "parent")
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: answer what it reads, through the client it inherited
        try:
            cache.set("from-child", "child")
            os.write(write_end, str(cache.get("before-fork")).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as answer:
        child_read = answer.read()
    os.waitpid(pid, 0)

    assert child_read == "parent"
    assert cache.get("from-child") == "child"
    assert cache.get("before-fork") == "parent"
