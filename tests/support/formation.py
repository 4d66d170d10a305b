"""A Heroku formation on loopback: web, worker and beat dynos, the release phase and a one-off, under users' traffic.

Every dyno is the Procfile's own command from the slug, with the variables
Heroku sets (tests.support.processes.heroku_env). The traffic is what a live
app gets at once: the map (a different box each time, so the database is
read), the admin (a logged-in staff page, so sessions are read), Logplex's
drain batches (the throttle lives in the cache); and meanwhile the release
phase runs bin/release and a `heroku run` enqueues tasks. A beat dyno runs
on BUSY_BEAT: its schedule due every second, its liveness checked in every
second, so a short run sees what it holds when it publishes. Used by
tests/integration/test_connection_budget.py and bench/connections.py.
"""

import contextlib
import itertools
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.support import logplex_lines
from tests.support.drain_client import SECRET, post
from tests.support.processes import (
    HOST,
    Process,
    heroku_env,
    http_get,
    migrate,
    run_command,
    start_beat,
    start_web,
    start_worker,
)
from tests.support.servers import wait_until
from tests.support.staff import session_cookie

# The one-off: enqueue, one publish at a time as a script would, and say how many went out.
ENQUEUE = """
from hub.tasks import record_work
for number in range({count}):
    record_work.delay("{prefix}-%d" % number)
print("enqueued", {count})
"""
COUNT_RECORDED = """
from hub.models import TaskRun
print(TaskRun.objects.filter(token__startswith="{prefix}-").count())
"""
HTTPS = {"X-Forwarded-Proto": "https", "Host": HOST}
# What a beat dyno runs on: settings.py's pools, with work every second (tests/support/busy_beat_settings.py).
BUSY_BEAT = {"DJANGO_SETTINGS_MODULE": "tests.support.busy_beat_settings", "SENTRY_LIVENESS_SECONDS": "1"}


@dataclass
class Traffic:
    """What the clients saw: answers by status, and the slowest answer."""

    statuses: dict[str, dict[int, int]] = field(default_factory=dict)
    slowest_seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, status: int, seconds: float) -> None:
        with self.lock:
            counts = self.statuses.setdefault(kind, {})
            counts[status] = counts.get(status, 0) + 1
            self.slowest_seconds = max(self.slowest_seconds, seconds)

    def failed(self) -> int:
        """Answers that were not a success: a 5xx, a 4xx, or none at all (status 0)."""
        with self.lock:
            return sum(
                n for counts in self.statuses.values() for status, n in counts.items() if status >= 400 or not status
            )

    def total(self) -> int:
        with self.lock:
            return sum(n for counts in self.statuses.values() for n in counts.values())


class Formation:
    """Start web, worker and beat dynos against the given add-ons; stop() stops every one of them."""

    def __init__(self, folder: Path, addons: dict[str, str], **values: str):
        self.folder = folder
        self.values = addons | {"HEROKU_DRAIN_SECRET": SECRET} | values
        self.processes: dict[str, Process] = {}
        self.web_urls: list[str] = []
        self.cookie = ""

    def env(self, dyno: str, **values: str) -> dict[str, str]:
        return heroku_env(dyno, **(self.values | values))

    def prepare(self) -> None:
        """What the first deploy did: the schema, and a staff user for the admin traffic."""
        migrate(self.env("release.1"))
        self.cookie = session_cookie(self.env("run.1"))

    def start(self, web: int, worker: int, beat: int = 0, **values: str) -> None:
        for number in range(1, web + 1):
            name = f"web.{number}"
            process, url = start_web(self.env(name, **values), self.folder / f"{name}.log")
            self.processes[name] = process
            self.web_urls.append(url)
        for number in range(1, worker + 1):
            name = f"worker.{number}"
            self.processes[name] = start_worker(self.env(name, **values), self.folder / f"{name}.log")
        for number in range(1, beat + 1):
            name = f"beat.{number}"
            schedule = self.folder / name  # beat's schedule file ($TMPDIR) of its own, as each dyno has
            schedule.mkdir(exist_ok=True)
            env = self.env(name, **(values | BUSY_BEAT | {"TMPDIR": str(schedule)}))
            self.processes[name] = start_beat(env, self.folder / f"{name}.log")

    def run(self, name: str, command: str, **values: str) -> Process:
        """A one-off or release-phase dyno, started now; wait() on it."""
        process = Process(command, self.env(name, **values), self.folder / f"{name}.log")
        self.processes[name] = process
        return process

    def enqueue(self, name: str, count: int, prefix: str, **values: str) -> Process:
        script = ENQUEUE.format(count=count, prefix=prefix).replace('"', '\\"')
        return self.run(name, f'python manage.py shell -c "{script}"', **values)

    def recorded(self, prefix: str) -> int:
        result = run_command(["python", "manage.py", "shell", "-c", COUNT_RECORDED.format(prefix=prefix)],
                             self.env("run.99"))  # fmt: skip
        assert result.returncode == 0, result.stderr
        return int(result.stdout.strip().splitlines()[-1])

    def wait_recorded(self, prefix: str, count: int, timeout: float) -> int:
        deadline = time.monotonic() + timeout
        while (recorded := self.recorded(prefix)) < count and time.monotonic() < deadline:
            time.sleep(0.5)
        return recorded

    def wait_for_output(self, name: str, text: str, timeout: float) -> None:
        wait_until(lambda: text in self.output(name), timeout, f"{name} to print {text!r}", interval=0.1)

    def stop(self) -> None:
        for process in self.processes.values():
            process.stop()

    def output(self, name: str) -> str:
        return self.processes[name].output()

    @contextlib.contextmanager
    def traffic(self, clients: int, timeout: float = 10):
        """clients threads, each sending map, admin and drain requests in turn to the web dynos, until exit."""
        traffic, stopping = Traffic(), threading.Event()
        boxes = itertools.count()

        def map_request(url: str) -> tuple[str, int]:
            west = -180 + (next(boxes) % 100_000) * 1e-6
            path = f"/api/participants/map/?bbox={west:.6f},-90,180,90"
            return "map", http_get(url + path, headers=HTTPS, timeout=timeout)[0]

        def admin_request(url: str) -> tuple[str, int]:
            return "admin", http_get(url + "/admin/", headers=HTTPS | {"Cookie": self.cookie}, timeout=timeout)[0]

        def drain_request(url: str) -> tuple[str, int]:
            lines = [("heroku", "router", logplex_lines.router_ok(dyno="web.1")),
                     ("heroku", "web.1", logplex_lines.memory_sample("web.1", 200.0))]  # fmt: skip
            body = logplex_lines.body(lines)
            headers = logplex_lines.headers(len(lines), secret=SECRET) | HTTPS
            return "drain", post(url, body, headers, timeout=timeout)[0]

        def client(number: int) -> None:
            kinds = itertools.cycle((map_request, admin_request, map_request, drain_request))
            urls = itertools.cycle(self.web_urls[number % len(self.web_urls) :] + self.web_urls)
            while not stopping.is_set():
                send, url = next(kinds), next(urls)
                started = time.monotonic()
                try:
                    kind, status = send(url)
                except Exception as error:  # no answer at all counts as a failed request
                    kind, status = send.__name__.split("_")[0], 0
                    with traffic.lock:
                        traffic.errors.append(repr(error))
                traffic.record(kind, status, time.monotonic() - started)

        threads = [threading.Thread(target=client, args=(number,), daemon=True) for number in range(clients)]
        for thread in threads:
            thread.start()
        try:
            yield traffic
        finally:
            stopping.set()
            for thread in threads:
                thread.join(timeout + 5)
