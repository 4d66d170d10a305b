"""The map view's CPU per request at an earlier commit and at this checkout, side by side, in interleaved rounds.

bench/map.py compares cases within one checkout; a change to the pools, the
settings or the middleware needs the code before it too. This starts the
Procfile's web command (WEB_CONCURRENCY=2) twice on the same TLS PostgreSQL
(10,000 participants) and TLS Redis: once in a copy of the commit given as
--before (git archive; it runs on this checkout's slug, so its requirements.txt
must be the same), once here. Warm (body in the cache) and cold (a miss every
time) are measured on both in bench/cpu.py's interleaved rounds; the figure
is the median CPU per request.

    .venv/bin/python -m bench.map_before_after --before COMMIT [--rounds 5] [--duration 3]

Prints one table and writes bench/results/map_before_after.json.
"""

import argparse
import contextlib
import shutil
import subprocess
import tempfile
from pathlib import Path

from bench import ROOT, cpu, save
from bench.map import GZIP, MAP_PATH, WRK_COLD, seeded_database
from tests.support.processes import Process, clean_env, http_get
from tests.support.servers import PostgresServer, RedisServer, free_port, wait_until

PARTICIPANTS = 10_000


def checkout(commit: str, folder: Path) -> Path:
    """The commit's files in folder; its web process runs on this checkout's slug, so its requirements must match."""
    archive = subprocess.run(["git", "archive", commit], cwd=ROOT, capture_output=True, check=True).stdout
    folder.mkdir()
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    if (folder / "requirements.txt").read_bytes() != (ROOT / "requirements.txt").read_bytes():
        raise SystemExit(f"{commit} has another requirements.txt: its slug would be another venv")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", required=True, help="the commit to compare with")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=int, default=3)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-before-after-"))
    postgres = PostgresServer().start().enable_tls()
    redis = RedisServer(tls=True).start()
    try:
        with contextlib.ExitStack() as stack:
            env = clean_env(DJANGO_SETTINGS_MODULE="bahk.settings", REDIS_URL=redis.url, WEB_CONCURRENCY="2")
            env["DATABASE_URL"] = seeded_database(postgres, PARTICIPANTS, env)
            trees = {"before": checkout(args.before, folder / "before"), "after": ROOT}
            targets = {}
            for name, tree in trees.items():
                process, url = serve(tree, env, folder / f"{name}.log")
                stack.callback(process.stop)
                targets[f"{name} warm"] = cpu.Target(process.pid, url + MAP_PATH, GZIP)
                targets[f"{name} cold"] = cpu.Target(process.pid, url + MAP_PATH, GZIP, WRK_COLD)
            figures = cpu.compare(targets, rounds=args.rounds, seconds=args.duration, warmup=1, connections=8)
    finally:
        redis.stop()
        postgres.stop()
        shutil.rmtree(folder, ignore_errors=True)
    rows = {key: vars(figure) for key, figure in figures.items()}
    print("| case | before, CPU ms/req | after, CPU ms/req | change |\n|---|---|---|---|")
    for case in ("warm", "cold"):
        before, after = rows[f"before {case}"]["cpu_ms_per_request"], rows[f"after {case}"]["cpu_ms_per_request"]
        print(f"| {case} | {before:.3f} | {after:.3f} | {(after / before - 1) * 100:+.1f} % |")
    save("map_before_after", {"before": args.before, "rows": rows})


def serve(tree: Path, env: dict[str, str], log: Path):
    """gunicorn from tree's own folder (tests.support.processes starts from this checkout's)."""
    port = free_port()
    env = env | {"PORT": str(port), "GUNICORN_CMD_ARGS": f"--bind=127.0.0.1:{port}"}
    process = Process(f"cd {tree} && exec gunicorn bahk.wsgi", env, log)
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: http_get(url + "/health/", timeout=2)[0] == 200, 60, f"the web process in {tree}")
    assert http_get(url + MAP_PATH, headers=GZIP)[0] == 200  # warms the cache for the warm case
    return process, url


if __name__ == "__main__":
    main()
