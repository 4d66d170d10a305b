"""Removing Sentry from a fork is the README's recipe, done in a copy: delete sentry_heroku/ and every line
of the project's files that names it. What is left checks, migrates, serves, releases and runs tasks."""

import shutil
import subprocess
from pathlib import Path

from tests.support.processes import ROOT, Process, heroku_env, http_get, run_command
from tests.support.sentry_sink import settle
from tests.support.servers import free_port, wait_until

# The project's files, where the recipe deletes lines; tests/ and docs/ only describe the app.
PROJECT_FILES = ("bahk/", "hub/", "bin/", "gunicorn.conf.py", "manage.py", "Procfile", "app.json")
COUNT_IN_WORKER = (
    "from hub.tasks import count_public_participants; "
    "result = count_public_participants.delay(); "
    "print('counted', result.get(timeout=60))"
)


def without_sentry(folder: Path) -> Path:
    """The repository's files (git ls-files) in folder, less sentry_heroku/ and every line that names it."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        if name.startswith("sentry_heroku/") or not (ROOT / name).is_file():
            continue
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
        if name.startswith(PROJECT_FILES):
            text = target.read_bytes().decode(errors="surrogateescape")
            kept = [line for line in text.splitlines(keepends=True) if "sentry_heroku" not in line]
            target.write_bytes("".join(kept).encode(errors="surrogateescape"))
    return folder


def procfile(folder: Path) -> dict[str, str]:
    entries = (line.split(":", 1) for line in (folder / "Procfile").read_text().splitlines() if ":" in line)
    return {name.strip(): command.strip() for name, command in entries}


def test_deleting_the_folder_and_the_lines_that_name_it_leaves_a_working_project(
    tmp_path, heroku_database_url, redis_url, sentry_sink
):
    app = without_sentry(tmp_path / "app")
    assert not (app / "sentry_heroku").exists()
    commands = procfile(app)
    # The DSN stays set, as it would in a fork's config vars: with the app gone nothing sends to it.
    env = heroku_env("release.1", DATABASE_URL=heroku_database_url, REDIS_URL=redis_url, SENTRY_DSN=sentry_sink.dsn)

    def manage(*args: str, dyno: str = "run.1") -> subprocess.CompletedProcess:
        return run_command(["python", "manage.py", *args], env | {"DYNO": dyno}, cwd=app)

    checked = manage("check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    released = run_command(["bash", "-c", commands["release"]], env, cwd=app)
    assert released.returncode == 0, released.stdout + released.stderr
    assert "release: applying migrations" in released.stdout
    seeded = manage("seed_participants")
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr

    port = free_port()
    web_env = env | {"DYNO": "web.1", "PORT": str(port), "GUNICORN_CMD_ARGS": f"--bind=127.0.0.1:{port}"}
    host = {"Host": env["HEROKU_APP_DEFAULT_DOMAIN_NAME"]}
    base = f"http://127.0.0.1:{port}"
    with (
        Process(f"cd {app} && {commands['web']}", web_env, tmp_path / "web.log") as web,
        Process(f"cd {app} && {commands['worker']}", env | {"DYNO": "worker.1"}, tmp_path / "worker.log") as worker,
    ):

        def web_answers():
            assert web.popen.poll() is None, web.output()
            return http_get(base + "/health/", headers=host, timeout=2)[0] == 200

        wait_until(web_answers, 30, "the web process to answer /health/", interval=0.1)
        status, _, body = http_get(base + "/api/participants/map/", headers=host)
        assert status == 200, body
        assert b'"features"' in body

        def worker_ready():
            assert worker.popen.poll() is None, worker.output()
            return " ready." in worker.output()

        wait_until(worker_ready, 60, "the Celery worker to be ready", interval=0.1)
        counted = manage("shell", "-c", COUNT_IN_WORKER)
        assert counted.returncode == 0, counted.stdout + counted.stderr
        assert int(counted.stdout.split("counted")[-1]) > 0
        settle()

    assert sentry_sink.requests == 0
