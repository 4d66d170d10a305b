"""Peak Redis and PostgreSQL connections per process type, for several formations, under load.

Each formation runs the Procfile's own processes from the slug (tests.support.formation):
its web, worker and beat dynos, with the release phase (bin/release) and a one-off
enqueuing --tasks hub.tasks.record_work tasks started at once, while --clients
threads send map, admin and drain requests to the web dynos. Redis (TLS, as
Heroku's) and PostgreSQL (TLS, the app logging in as a role without SUPERUSER)
run without a connection limit, so the peaks are what the app asks for; who
holds each connection is read from CLIENT LIST and pg_stat_activity every
0.1 s (tests.support.connection_census). Beside each formation: what
`manage.py capacity` computed for it, and whether it fits the Deploy
button's plans (20 and 20).

    .venv/bin/python -m bench.connections [--formations 1x1,2x1,3x1,2x2,1x1@8,1x1x1] [--seconds 15] [--tasks 200]

A formation is WEBxWORKER or WEBxWORKERxBEAT, with @N for WEB_CONCURRENCY=N. A
beat dyno runs the Procfile's beat on settings.py's pools with its entry due
and its liveness checked in every second (tests.support.formation.BUSY_BEAT),
so a run of seconds sees it publish. Prints two tables and
writes bench/results/connections.json: the peaks measured against the report's
figures, and, from the report's per-dyno figures at the default sizes (which
the measured peaks stay within), the largest formation each pair of plans
carries: the README's "How far the default add-ons carry you".
"""

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import psycopg

from bahk import capacity
from bench import build, save
from tests.support.connection_census import Census
from tests.support.formation import Formation
from tests.support.processes import clean_env, run_command
from tests.support.sentry_sink import SentrySink
from tests.support.servers import PostgresServer, RedisServer

KINDS = ("web", "worker", "beat", "release", "run")
# Pairs of plans a growing app moves through: the Deploy button's first.
PLAN_PAIRS = (("mini", "essential-0"), ("premium-0", "essential-2"), ("premium-2", "standard-0"))


def parse_formation(text: str) -> tuple[dict[str, int], int]:
    """The dynos of each kind and WEB_CONCURRENCY: 2x1 -> web=2 worker=1 beat=0 at 2; 1x1x1@8 -> beat=1 at 8."""
    shape, _, concurrency = text.partition("@")
    counts = [int(part) for part in shape.split("x")]
    if len(counts) not in (2, 3):
        raise ValueError(f"a formation is WEBxWORKER or WEBxWORKERxBEAT, with @N for WEB_CONCURRENCY: {text!r}")
    counts += [0] * (len(capacity.FORMATION_KINDS) - len(counts))  # no beat dyno unless named
    return dict(zip(capacity.FORMATION_KINDS, counts, strict=True)), int(concurrency or 2)


def computed(formation: Formation, dynos: dict[str, int]) -> dict:
    """What the capacity report says for this formation, as JSON."""
    options = [f"--{kind}={count}" for kind, count in dynos.items()]
    result = run_command(["python", "manage.py", "capacity", "--json", *options], formation.env("run.98"))
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout)


def measure(text: str, postgres, redis, sink, args, folder: Path) -> dict:
    dynos, concurrency = parse_formation(text)
    redis.client().flushall()
    name = "_".join(str(count) for count in dynos.values())
    database = postgres.create_database(f"bench_connections_{name}_{concurrency}", owner="app")
    addons = {"DATABASE_URL": database, "REDIS_URL": redis.url, "SENTRY_DSN": sink.dsn}
    formation = Formation(folder / text, addons, WEB_CONCURRENCY=str(concurrency))
    (folder / text).mkdir()
    try:
        formation.prepare()
        report = computed(formation, dynos)
        formation.start(**dynos)
        with (
            psycopg.connect(postgres.url("postgres"), autocommit=True) as admin,
            Census(redis.client(), admin) as census,
        ):
            for name, process in formation.processes.items():
                census.add(name, process.pid)
            with formation.traffic(args.clients) as traffic:
                time.sleep(1)
                release = formation.run("release.1", "bin/release")
                census.add("release.1", release.pid)
                oneoff = formation.enqueue("run.1", args.tasks, prefix="bench")
                census.add("run.1", oneoff.pid)
                time.sleep(args.seconds)
                release.wait(120)
                oneoff.wait(120)
            recorded = formation.wait_recorded("bench", args.tasks, timeout=60)
        return {
            "formation": text,
            "redis": census.peak_by_process_type("redis"),
            "postgres": census.peak_by_process_type("postgres"),
            "redis_total": census.total_peaks["redis"],
            "postgres_total": census.total_peaks["postgres"],
            "computed": report,
            "requests": traffic.total(),
            "failed": traffic.failed(),
            "recorded": recorded,
            "samples": census.samples,
        }
    finally:
        formation.stop()


def button_fit(row: dict) -> bool:
    """Whether the report's figures fit the Deploy button's plans (the bench's own servers have no limit)."""
    per_dyno = {
        kind: capacity.Usage(used["redis"], used["postgres"]) for kind, used in row["computed"]["per_dyno"].items()
    }
    limits = {"redis": capacity.REDIS_PLANS[PLAN_PAIRS[0][0]], "postgres": capacity.POSTGRES_PLANS[PLAN_PAIRS[0][1]]}
    return capacity.fits(per_dyno, parse_formation(row["formation"])[0], limits)


def table(rows: list[dict]) -> str:
    lines = [
        "| formation | web dyno R/P | worker R/P | beat R/P | release R/P | run R/P | total R/P measured "
        "| total R/P computed | fits 20/20 | requests (failed) | tasks |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        per = " | ".join(f"{row['redis'].get(kind, 0)}/{row['postgres'].get(kind, 0)}" for kind in KINDS)
        totals = row["computed"]["totals"]
        lines.append(
            f"| {row['formation']} | {per} | {row['redis_total']}/{row['postgres_total']} "
            f"| {totals['redis']}/{totals['postgres']} | {'yes' if button_fit(row) else 'no'} "
            f"| {row['requests']} ({row['failed']}) | {row['recorded']} |"
        )
    return "\n".join(lines)


def plan_table(rows: list[dict]) -> str:
    """The largest web formation beside one worker dyno, per pair of plans, from the report's figures per dyno."""
    defaults = next(row for row in rows if parse_formation(row["formation"])[1] == 2)
    per_dyno = {
        kind: capacity.Usage(redis=used["redis"], postgres=used["postgres"])
        for kind, used in defaults["computed"]["per_dyno"].items()
    }
    lines = ["| plans | fits (with a release phase and a `heroku run`) | then upgrade |", "|---|---|---|"]
    for redis_plan, postgres_plan in PLAN_PAIRS:
        limits = {"redis": capacity.REDIS_PLANS[redis_plan], "postgres": capacity.POSTGRES_PLANS[postgres_plan]}
        web = capacity.largest_web(per_dyno, limits, worker=1)
        needed = capacity.totals(per_dyno, {"web": web + 1, "worker": 1})
        binding = [service for service, limit in limits.items() if needed[service] > limit]
        upgrade = " and ".join(
            f"Redis (web={web + 1} needs {needed['redis']})" if service == "redis"
            else f"PostgreSQL (web={web + 1} needs {needed['postgres']})"
            for service in binding
        )  # fmt: skip
        lines.append(
            f"| heroku-redis:{redis_plan} ({limits['redis']}) + heroku-postgresql:{postgres_plan} "
            f"({limits['postgres']}) | web={web} worker=1 | {upgrade} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--formations", default="1x1,2x1,3x1,2x2,1x1@8,1x1x1")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-connections-"))
    build(clean_env())
    postgres = PostgresServer().start().enable_tls()
    redis = RedisServer(tls=True).start()
    sink = SentrySink().start()
    try:
        rows = [measure(text, postgres, redis, sink, args, folder) for text in args.formations.split(",")]
    finally:
        sink.stop()
        redis.stop()
        postgres.stop()
        shutil.rmtree(folder, ignore_errors=True)
    print(table(rows))
    print()
    print(plan_table(rows))
    save("connections", {"rows": rows, "plans": plan_table(rows)})


if __name__ == "__main__":
    main()
