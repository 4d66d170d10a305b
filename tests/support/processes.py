"""The Procfile's own commands, started as real processes the way Heroku starts them."""

import contextlib
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.support.servers import free_port, wait_until
from tests.support.slug import slug_bin

ROOT = Path(__file__).resolve().parents[2]
# The development venv's tools (sentry-cli), for tests that compare against them.
VENV_BIN = Path(sys.executable).parent

# A value check --deploy accepts: long, varied, not "django-insecure-".
SECRET_KEY = "test-only-5w9#k2@p!x8$z3^v6&n1*q4(r7)t0_y-u+i=o~a.s,d;f:g<h>j?l"
# The app's default domain under heroku_env(): the only Host a dyno's settings allow.
HOST = "bahk-test-1a2b3c4d5e6f.herokuapp.com"


def procfile() -> dict[str, str]:
    entries = (line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if ":" in line)
    return {name.strip(): command.strip() for name, command in entries}


def procfile_command(process_type: str) -> str:
    return procfile()[process_type]


# The add-ons every simulated dyno has, as a dyno refuses to start without them:
# heroku_env() gives each dyno these unless the test gives its own.
# tests/integration/conftest.py points them at the session's servers.
DYNO_ADDONS: dict[str, str] = {}


def clean_env(**values: str) -> dict[str, str]:
    """A dyno's environment: the slug's Python first on PATH, and nothing else inherited from the test run.

    PATH (for bash and the like), HOME, and LD_LIBRARY_PATH, which Heroku's Python needs to start at all.
    """
    env = {
        "PATH": f"{slug_bin()}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
    }
    if "LD_LIBRARY_PATH" in os.environ:
        env["LD_LIBRARY_PATH"] = os.environ["LD_LIBRARY_PATH"]
    env.update(values)
    return env


def heroku_env(dyno: str, **values: str) -> dict[str, str]:
    """What a dyno sees with its add-ons and the runtime-dyno-metadata labs feature on; values override any of it."""
    metadata = {
        "DYNO": dyno,
        "HEROKU_APP_NAME": "bahk-test",
        "HEROKU_APP_ID": "9daa2797-e49b-4624-932f-ec3f9688e3da",
        "HEROKU_DYNO_ID": "1vac4117-c29f-4312-521e-ba4d8638c1ac",
        "HEROKU_RELEASE_VERSION": "v42",
        "HEROKU_RELEASE_CREATED_AT": "2026-11-20T10:15:42Z",
        "HEROKU_BUILD_COMMIT": "2c3a0b24069af49b3de35b8e8c26765c1dba9ff0",
        "HEROKU_SLUG_DESCRIPTION": "Deploy 2c3a0b2",
        "HEROKU_APP_DEFAULT_DOMAIN_NAME": HOST,
        "DJANGO_SECRET_KEY": SECRET_KEY,
    }
    return clean_env(**(metadata | DYNO_ADDONS | values))


class Process:
    """A command run through bash, as Heroku runs a Procfile line, in its own process group."""

    def __init__(self, command: str, env: dict[str, str], log_path: Path):
        self.command = command
        self.log_path = log_path
        self._log = open(log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.popen = subprocess.Popen(
            ["bash", "-c", command],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def signal(self, signum: int) -> None:
        """Signal every process of the dyno, as Heroku does on a restart."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signum)

    def wait(self, timeout: float) -> int:
        return self.popen.wait(timeout)

    def stop(self, timeout: float = 30) -> int | None:
        if self.popen.poll() is None:
            self.signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.signal(signal.SIGKILL)
                self.popen.wait()
        self.signal(signal.SIGKILL)  # anything the dyno left behind
        self._log.close()
        return self.popen.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def run_command(
    args: list[str], env: dict[str, str], timeout: float = 120, cwd: Path = ROOT
) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def migrate(env: dict[str, str]) -> None:
    result = run_command(["python", "manage.py", "migrate", "--noinput"], env)
    assert result.returncode == 0, result.stdout + result.stderr


def http_get(url: str, headers: dict[str, str] | None = None, timeout: float = 10):
    """(status, headers, body) for a GET, without raising on 4xx/5xx."""
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def start_web(env: dict[str, str], log_path: Path) -> tuple[Process, str]:
    """The Procfile's web line with PORT set, bound to loopback; returns once /health/ answers."""
    port = free_port()
    env = env | {"PORT": str(port), "GUNICORN_CMD_ARGS": f"--bind=127.0.0.1:{port} {env.get('GUNICORN_CMD_ARGS', '')}"}
    process = Process(procfile_command("web"), env, log_path)
    base_url = f"http://127.0.0.1:{port}"

    def healthy():
        if process.popen.poll() is not None:
            raise AssertionError(f"web exited with {process.popen.returncode}:\n{process.output()}")
        # A Heroku-like environment only allows the app's own domain, as the router would send.
        host = {"Host": env["HEROKU_APP_DEFAULT_DOMAIN_NAME"]} if "HEROKU_APP_DEFAULT_DOMAIN_NAME" in env else {}
        return http_get(base_url + "/health/", headers=host, timeout=2)[0] in (200, 503)

    try:
        wait_until(healthy, 30, "the web process to answer /health/", interval=0.1)
    except BaseException:
        process.stop()
        raise
    return process, base_url


def start_worker(env: dict[str, str], log_path: Path) -> Process:
    """The Procfile's worker line; returns once Celery says it is ready."""
    return _start_until("worker", env, log_path, " ready.", 60, "the Celery worker to be ready")


def start_beat(env: dict[str, str], log_path: Path) -> Process:
    """The Procfile's beat line; returns once beat says it is starting (its schedule file under env's TMPDIR)."""
    return _start_until("beat", env, log_path, "beat: Starting", 30, "Celery beat to start")


def _start_until(kind: str, env: dict[str, str], log_path: Path, marker: str, seconds: float, what: str) -> Process:
    """The Procfile's line for this process type, once its output shows marker; stopped if it exits first."""
    process = Process(procfile_command(kind), env, log_path)

    def started():
        if process.popen.poll() is not None:
            raise AssertionError(f"{kind} exited with {process.popen.returncode}:\n{process.output()}")
        return marker in process.output()

    try:
        wait_until(started, seconds, what, interval=0.1)
    except BaseException:
        process.stop()
        raise
    return process


class Dynos:
    """The Procfile's processes one test (or one module) starts, each logging to a file of its own in folder.

    The fixtures start_web, start_worker and module_dynos (tests/conftest.py) hand these out and stop them all
    after the test or the module, so no test writes its own start and stop.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        self.processes: list[Process] = []

    def _log(self, name: str) -> Path:
        taken = sum(1 for process in self.processes if process.log_path.name.startswith(f"{name}."))
        return self.folder / (f"{name}.log" if not taken else f"{name}.{taken + 1}.log")

    def web(self, env: dict[str, str]) -> tuple[Process, str]:
        """start_web(env) -> (process, base URL), once /health/ answers."""
        process, base_url = start_web(env, self._log("web"))
        self.processes.append(process)
        return process, base_url

    def worker(self, env: dict[str, str]) -> Process:
        """start_worker(env) -> the worker process, once Celery says it is ready."""
        process = start_worker(env, self._log("worker"))
        self.processes.append(process)
        return process

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()


def rss_kb(pid: int) -> int:
    """Resident memory of one process (VmRSS), in kB; 0 once it has gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


def children(pid: int) -> list[int]:
    """The direct children of a process (gunicorn's workers under its master)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    # The command name, in parentheses, may hold spaces: split after it.
                    parent = int(stat.read().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
                continue
            if parent == pid:
                found.append(int(entry))
    return found
