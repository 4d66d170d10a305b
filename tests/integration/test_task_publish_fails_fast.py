"""A task publish that cannot reach Redis gives up within 5 s and says why, and none is dropped silently.

Redis out of reach three ways: nothing listening (refused), every
connection slot taken (Redis answers "max number of clients reached"), and
a listener that accepts and never answers (black-holed). From a web
request (the debug view's celery action, as a staff member's form POST)
the answer is a 503 naming the cause, plus a Sentry error tagged by dyno;
from a one-off dyno, exit status 1 and one line naming REDIS_URL.
"""

import json
import shlex
import socket
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.calls import answer
from tests.support.processes import Process, heroku_env, migrate, run_command
from tests.support.sentry_sink import tags_of
from tests.support.servers import RedisServer, free_port, wait_until
from tests.support.staff import debug_action, session_cookie

pytestmark = pytest.mark.own_servers

# The bound: an enqueue gives up within this many seconds.
GIVES_UP_WITHIN = 5

CAUSES = {
    "refused": "it refused the connection",
    "limit reached": 'its connection limit is reached (Redis answered "max number of clients reached")',
    "black-holed": "it accepted the connection but did not answer in time",
}


class BlackHole:
    """A loopback listener that accepts every connection and never answers, as a Redis behind a dead route."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.accepted: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                self.accepted.append(self.listener.accept()[0])
            except OSError:  # closed
                return

    def close(self):
        self.listener.close()
        for connection in self.accepted:
            connection.close()


def fill_every_slot(redis: RedisServer, maxclients: int) -> list[socket.socket]:
    """Idle connections until Redis refuses the next one, as other dynos' pools would hold them."""
    with redis.client() as admin:
        admin.config_set("maxclients", maxclients)
    idle = []
    for _ in range(maxclients + 1):
        connection = socket.create_connection(("127.0.0.1", redis.port), timeout=5)
        connection.sendall(b"PING\r\n")
        if connection.recv(100).startswith(b"+PONG"):
            idle.append(connection)
            continue
        connection.close()
        return idle
    raise AssertionError(f"Redis took more than maxclients={maxclients} connections")


@pytest.fixture(params=list(CAUSES))
def unreachable_redis(request):
    """(REDIS_URL, the cause the message must name) for a Redis out of reach one way."""
    match request.param:
        case "refused":
            yield f"redis://127.0.0.1:{free_port()}/0", CAUSES["refused"]
        case "limit reached":
            redis = RedisServer().start()
            idle = fill_every_slot(redis, maxclients=4)
            try:
                yield redis.url, CAUSES["limit reached"]
            finally:
                for connection in idle:
                    connection.close()
                redis.stop()
        case "black-holed":
            hole = BlackHole()
            try:
                yield f"redis://127.0.0.1:{hole.port}/0", CAUSES["black-holed"]
            finally:
                hole.close()


@pytest.fixture
def dyno(database, sentry_sink, unreachable_redis):
    """The environment of a dyno by name, on a migrated database and the unreachable Redis."""
    redis_url, _ = unreachable_redis

    def env(name: str) -> dict[str, str]:
        return heroku_env(name, DATABASE_URL=f"sqlite:///{database}", REDIS_URL=redis_url, SENTRY_DSN=sentry_sink.dsn)

    migrate(env("release.1"))
    return env


def not_sent_message(task: str, cause: str) -> str:
    return f"The task {task} was not sent: the task queue at REDIS_URL could not be reached; {cause}"


def test_an_enqueue_from_a_request_answers_503_naming_the_cause_and_reports_it(
    dyno, unreachable_redis, sentry_sink, start_web
):
    _, cause = unreachable_redis
    cookie = session_cookie(dyno("run.1"))
    web, base_url = start_web(dyno("web.1"))
    with web:
        # No answer within the bound counts as status 0.
        status, body = answer(base_url, debug_action(cookie, "celery"), timeout=GIVES_UP_WITHIN)
        assert status == 503, body
        event = sentry_sink.wait_for(
            lambda sink: next((e for e in sink.events() if "TaskNotSent" in json.dumps(e.get("exception"))), None),
            what="the error event for the task not sent",
        )

    assert json.loads(body)["error"].startswith(not_sent_message("sentry_heroku.tasks.fail_for_sentry_debug", cause))
    assert event["level"] == "error"
    assert tags_of(event)["dyno"] == "web.1"
    assert cause in event["exception"]["values"][-1]["value"]


def test_enqueues_at_once_from_one_web_process_each_give_up_within_the_bound(dyno, unreachable_redis, start_web):
    _, cause = unreachable_redis
    cookie = session_cookie(dyno("run.1"))
    # One gunicorn worker with eight threads (GUNICORN_THREADS=8 is a user's choice): eight enqueues at once
    # share its one broker connection. In turn, behind a black-holed Redis, the last gave up after about 8 s.
    threads = 8
    web, base_url = start_web(dyno("web.1") | {"WEB_CONCURRENCY": "1", "GUNICORN_THREADS": str(threads)})
    enqueue = debug_action(cookie, "celery")
    with web, ThreadPoolExecutor(threads) as pool:
        answers = list(pool.map(lambda _: answer(base_url, enqueue, timeout=GIVES_UP_WITHIN), range(threads)))

    # No answer within the bound counts as status 0: a thread that waited behind another's publish fails with it.
    assert [status for status, _ in answers] == [503] * threads, answers
    expected = not_sent_message("sentry_heroku.tasks.fail_for_sentry_debug", cause)
    assert all(json.loads(body)["error"].startswith(expected) for _, body in answers), answers


# The enqueue of a one-off dyno (heroku run), with an alarm that kills it if the enqueue takes longer than the bound.
ONE_OFF_ENQUEUE = (
    f"import signal; signal.alarm({GIVES_UP_WITHIN}); "
    "from hub.tasks import record_work; record_work.delay('never-sent')"
)


def test_an_enqueue_from_a_one_off_exits_1_with_one_line_naming_redis_url_and_the_cause(dyno, unreachable_redis):
    _, cause = unreachable_redis
    result = run_command(["python", "manage.py", "shell", "-c", ONE_OFF_ENQUEUE], dyno("run.1"), timeout=60)

    assert result.returncode == 1, result.stdout + result.stderr  # the alarm would have killed it: -14
    [line] = result.stderr.splitlines()
    assert line.startswith(f"TaskNotSent: {not_sent_message('hub.tasks.record_work', cause)}")
    assert "Traceback" not in result.stdout + result.stderr


# A one-off enqueuing one task every tenth of a second, saying for each whether its publish returned.
ENQUEUE_MANY = """
import time
from bahk.task_not_sent import TaskNotSent
from hub.tasks import record_work
for number in range({count}):
    token = f"task-{{number}}"
    try:
        record_work.delay(token)
    except TaskNotSent:
        print("not-sent", token, flush=True)
    else:
        print("sent", token, flush=True)
    time.sleep(0.1)
"""


def test_every_task_whose_publish_returned_runs_across_a_connection_limit(tmp_path, database, start_worker):
    redis = RedisServer().start()
    try:
        env = heroku_env("run.1", DATABASE_URL=f"sqlite:///{database}", REDIS_URL=redis.url)
        migrate(env)
        script = ENQUEUE_MANY.format(count=80)
        with Process(f"python manage.py shell -c {shlex.quote(script)}", env, tmp_path / "one-off.log") as one_off:

            def lines(kind: str) -> list[str]:
                return [line.split()[1] for line in one_off.output().splitlines() if line.startswith(f"{kind} ")]

            wait_until(lambda: len(lines("sent")) >= 10, 60, "the first tasks to be sent")
            with redis.client() as admin:
                # Redis at its limit, and the one-off's pooled connections cut, as when other dynos take every slot.
                admin.config_set("maxclients", 1)
                admin.client_kill_filter(_type="normal", skipme=True)
                wait_until(lambda: len(lines("not-sent")) >= 3, 30, "publishes to fail at the limit")
                admin.config_set("maxclients", 1000)
            assert one_off.wait(timeout=120) == 0, one_off.output()
        sent, not_sent = lines("sent"), lines("not-sent")
        assert lines("sent")[-1] == "task-79"  # publishing recovered once the slots were free

        worker_env = heroku_env("worker.1", DATABASE_URL=f"sqlite:///{database}", REDIS_URL=redis.url)
        with start_worker(worker_env):
            wait_until(lambda: set(sent) <= recorded(database), 90, f"the {len(sent)} tasks sent to run")
    finally:
        redis.stop()
    assert not_sent and len(sent) + len(not_sent) == 80


def recorded(database) -> set[str]:
    with sqlite3.connect(database) as connection:
        return {token for (token,) in connection.execute("SELECT token FROM hub_taskrun")}
