"""The connection budget on a real Redis: each pool's bound held by a real process, and the report that counts them."""

import threading

from django.core.cache import caches
from django.test import override_settings

from bahk import backing_services
from tests.support.formation import Formation
from tests.support.processes import heroku_env, run_command
from tests.support.servers import free_port

PUBLISH_THEN_WAIT = (
    "from hub.tasks import record_work; import time; "
    "[record_work.delay('pools-%d' % number) for number in range(20)]; print('sent', flush=True); time.sleep(60)"
)


def own_connections(redis_server) -> int:
    """Connections to Redis but the asking client's own."""
    client = redis_server.client()
    return len(client.client_list()) - 1


UNUSED_DATABASE = 13


def connections_to(redis_server, database: int) -> int:
    """Connections that selected this database."""
    return sum(1 for client in redis_server.client().client_list() if client["db"] == str(database))


def test_every_thread_of_a_process_shares_one_cache_connection(redis_server, redis_url):
    # A database no other test uses: the pool is new, not one an earlier test filled, and the connections
    # counted are this pool's, whatever else (Heroku CI's shared add-on) is connected to the server.
    redis_url = redis_url.rsplit("/", 1)[0] + f"/{UNUSED_DATABASE}"
    started = threading.Barrier(8)
    seen = []

    def read() -> None:
        cache = caches["default"]  # each thread has a cache object of its own, as in gunicorn
        started.wait()
        for number in range(200):
            cache.set(f"k{number % 5}", number)
            cache.get(f"k{number % 5}")
        seen.append(connections_to(redis_server, UNUSED_DATABASE))

    with override_settings(CACHES={"default": backing_services.redis_cache(redis_url)}):
        threads = [threading.Thread(target=read) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert max(seen) == backing_services.CACHE_CONNECTIONS


def test_a_process_that_publishes_tasks_holds_one_broker_connection(redis_server, redis_url, tmp_path):
    formation = Formation(tmp_path, {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "REDIS_URL": redis_url})
    result = run_command(["python", "manage.py", "migrate", "--noinput"], formation.env("release.1"))
    assert result.returncode == 0, result.stderr
    before = own_connections(redis_server)
    formation.run("run.1", f'python manage.py shell -c "{PUBLISH_THEN_WAIT}"')
    try:
        formation.wait_for_output("run.1", "sent", timeout=60)
        held = own_connections(redis_server) - before
    finally:
        formation.stop()

    assert held == backing_services.BROKER_POOL_LIMIT


def test_the_capacity_report_counts_the_same_bounds(redis_url, tmp_path):
    env = heroku_env("run.1", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", REDIS_URL=redis_url)
    result = run_command(["python", "manage.py", "capacity"], env)

    assert "web dyno              Redis   6" in result.stdout, result.stdout + result.stderr
    assert "(2 gunicorn workers x (cache 1 + map listener 1 + task publishing 1)" in result.stdout


def test_the_capacity_report_counts_a_beat_dyno_only_where_the_formation_scales_one(redis_url, tmp_path):
    env = heroku_env("run.1", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", REDIS_URL=redis_url)
    without = run_command(["python", "manage.py", "capacity"], env)
    scaled = run_command(["python", "manage.py", "capacity", "--beat", "1"], env)

    assert "beat dyno             Redis   2  PostgreSQL   0   (liveness check-in through the cache 1 + " \
        "publishing 1; none: beat only publishes)" in scaled.stdout, scaled.stdout + scaled.stderr  # fmt: skip
    assert "formation:   web=1 worker=1 + release phase + 1 one-off needs Redis 14 of" in without.stdout
    assert "formation:   web=1 worker=1 beat=1 + release phase + 1 one-off needs Redis 16 of" in scaled.stdout
    assert "largest:     web=" in scaled.stdout and " worker=1 beat=1 (+ release phase" in scaled.stdout


def test_the_report_goes_on_without_a_limit_redis_does_not_tell(tmp_path):
    down = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    env = heroku_env("release.1", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", REDIS_URL=down)
    result = run_command(["python", "manage.py", "capacity"], env, timeout=60)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "limits:      Redis ? (unknown: Redis did not answer (ConnectionError))" in result.stdout
    assert down not in result.stdout + result.stderr
