"""Scripts that measure bahk and print a table; never tests.

Run each from the repository's root as a module, with the project's virtualenv:

    .venv/bin/python -m bench.sentry_overhead --help

What they share lives here once: bench/wrk.py drives the web process with wrk
and parses its summary; bench/cpu.py turns wrk runs into the figure every web
bench reports (CPU per request of the dyno's process group, interleaved rounds,
the median, throughput and latency beside it); bench/shims/ holds the settings,
URLs and WSGI callable the benches serve besides the project's own. The
real-process helpers (servers, the Procfile's processes, the Sentry sink) are
the tests' own, imported from tests.support.

Every script writes its figures with the command that produced them to
bench/results/NAME.json (ignored by git).
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def build(env: dict[str, str]) -> None:
    """What Heroku's build does before any dyno starts: without it every page that links a static file is a 500."""
    # Imported here: the dynos import bench.shims from the slug, which has no test packages.
    from tests.support.processes import run_command

    result = run_command(["python", "manage.py", "collectstatic", "--noinput"], env, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"collectstatic failed:\n{result.stdout}{result.stderr}")


def save(name: str, figures: dict) -> Path:
    """Write bench/results/NAME.json: the figures and the command line that produced them."""
    command = " ".join(["python -m", sys.modules["__main__"].__spec__.name, *sys.argv[1:]])
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({"command": command, **figures}, indent=2, default=str) + "\n")
    print(f"wrote {path.relative_to(ROOT)} ({command})")
    return path
