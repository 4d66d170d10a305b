"""bin/dev, the one command that runs the whole app locally: release, then web and worker together."""

import json
import signal

import pytest

from tests.support.processes import Process, clean_env, http_get, run_command
from tests.support.servers import free_port, wait_until

# bin/dev makes its own .venv from the package index, as on a fresh laptop.
pytestmark = pytest.mark.network


def test_bin_dev_serves_health_runs_a_task_in_the_worker_and_stops_on_ctrl_c(tmp_path):
    port = free_port()
    env = clean_env(PORT=str(port), DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    dev = Process("bin/dev", env, tmp_path / "dev.log")
    try:
        wait_until(
            lambda: dev.popen.poll() is None and http_get(f"http://127.0.0.1:{port}/health/", timeout=2)[0] == 200,
            120,
            "bin/dev to serve /health/",
            interval=0.2,
        )
        assert json.loads(http_get(f"http://127.0.0.1:{port}/health/")[2])["database"] == "ok"

        # The release phase seeded the demo participants; the worker process counts them.
        enqueue = (
            "from hub.models import Participant; from hub.tasks import count_public_participants; "
            "print(count_public_participants.delay().get(timeout=60), "
            "Participant.objects.filter(is_public=True).count())"
        )
        result = run_command(["python", "manage.py", "shell", "-c", enqueue], env, timeout=90)
        assert result.returncode == 0, result.stderr
        counted_by_worker, counted_here = result.stdout.split()[-2:]
        assert counted_by_worker == counted_here != "0"
        assert "worker.1" in dev.output() and "succeeded" in dev.output()
    finally:
        dev.signal(signal.SIGINT)  # Ctrl-C
        exit_code = dev.stop(timeout=40)
    assert exit_code is not None
    assert "web.1 stopped" in dev.output() and "worker.1 stopped" in dev.output()
