"""The formation the Deploy button's add-ons carry, on servers with their plans' limits, and one they do not.

heroku-redis:mini and heroku-postgresql:essential-0 allow 20 connections each.
Here Redis runs with --maxclients 21 and PostgreSQL with max_connections 23,
of which 3 are reserved for superusers: 20 for the app (a role without
SUPERUSER, as on Heroku), and one Redis slot and the reserved PostgreSQL slots
for this test's own observer, which counts who holds what
(tests/support/connection_census.py). Both speak TLS, as Heroku's do.
"""

import contextlib
import json

import psycopg
import pytest

from tests.support.connection_census import Census
from tests.support.formation import Formation
from tests.support.processes import heroku_env, migrate, run_command
from tests.support.sentry_sink import tags_of
from tests.support.servers import PostgresServer, RedisServer, wait_until

pytestmark = pytest.mark.own_servers

APP_CONNECTIONS = 20
OBSERVER = 1
TASKS = 200


@pytest.fixture(scope="module")
def plan_postgres():
    server = PostgresServer(max_connections=APP_CONNECTIONS + 3).start()
    try:
        yield server.enable_tls()
    finally:
        server.stop()


@pytest.fixture
def plan_redis():
    server = RedisServer(tls=True, maxclients=APP_CONNECTIONS + OBSERVER).start()
    yield server
    server.stop()


@pytest.fixture
def addons(plan_postgres, plan_redis, sentry_sink, request) -> dict[str, str]:
    name = "b_" + request.node.name[-40:].lower().replace("[", "_").replace("]", "")
    return {
        "DATABASE_URL": plan_postgres.create_database(name, owner="app"),
        "REDIS_URL": plan_redis.url,
        "SENTRY_DSN": sentry_sink.dsn,
    }


@contextlib.contextmanager
def census_of(formation: Formation, plan_redis: RedisServer, plan_postgres: PostgresServer):
    """Who holds each connection to the plans' servers, from the formation's processes (more: census.add)."""
    with (
        psycopg.connect(plan_postgres.url("postgres"), autocommit=True) as observer,
        Census(plan_redis.client(), observer) as census,
    ):
        for name, process in formation.processes.items():
            census.add(name, process.pid)
        yield census


def capacity(env: dict[str, str], *args: str) -> tuple[int, dict]:
    result = run_command(["python", "manage.py", "capacity", "--json", *args], env)
    return result.returncode, json.loads(result.stdout)


def test_the_report_reads_the_servers_limits_and_herokus_plan_table_where_config_is_refused(addons, plan_redis):
    env = heroku_env("run.1", **addons)
    migrate(env)
    _, figures = capacity(env)
    assert figures["limits"]["postgres"] == {"connections": 20, "source": "max_connections 23 less 3 reserved"}
    assert figures["limits"]["redis"] == {"connections": 21, "source": "maxclients (CONFIG GET)"}

    # Heroku's Key-Value Store refuses CONFIG: the plan table answers, for REDIS_PLAN or the button's plan.
    plan_redis.client().acl_setuser("noconfig", enabled=True, passwords=["+pw"], keys=["*"], channels=["*"],
                                    commands=["+@all", "-config"])  # fmt: skip
    no_config = addons["REDIS_URL"].replace("rediss://", "rediss://noconfig:pw@")
    _, assumed = capacity(heroku_env("run.1", **(addons | {"REDIS_URL": no_config})))
    _, named = capacity(heroku_env("run.1", **(addons | {"REDIS_URL": no_config, "REDIS_PLAN": "premium-0"})))
    assert assumed["limits"]["redis"]["connections"] == 20
    assert "heroku-redis:mini assumed" in assumed["limits"]["redis"]["source"]
    assert named["limits"]["redis"] == {
        "connections": 40,
        "source": "heroku-redis:premium-0, Heroku's plan table (REDIS_PLAN)",
    }

    # sentry_check prints the same report.
    check = run_command(["python", "manage.py", "sentry_check"], env)
    assert (
        "formation:   web=1 worker=1 + release phase + 1 one-off needs Redis 14 of 21, PostgreSQL 12 of 20: fits"
        in (check.stdout)
    ), check.stdout + check.stderr


def test_the_budget_web_2_worker_1_a_release_and_a_one_off_open_nothing_the_plans_refuse(
    addons, plan_postgres, plan_redis, tmp_path
):
    formation = Formation(tmp_path, addons)
    formation.prepare()
    returncode, figures = capacity(formation.env("run.2"), "--web", "2", "--worker", "1")
    assert (returncode, figures["fits"], figures["totals"]) == (0, True, {"redis": 20, "postgres": 20})
    try:
        formation.start(web=2, worker=1)
        with census_of(formation, plan_redis, plan_postgres) as census, formation.traffic(clients=16) as traffic:
            release = formation.run("release.1", "bin/release")
            oneoff = formation.enqueue("run.1", TASKS, prefix="budget")
            census.add("release.1", release.pid)
            census.add("run.1", oneoff.pid)
            assert release.wait(90) == 0, formation.output("release.1")
            assert oneoff.wait(90) == 0, formation.output("run.1")
            recorded = formation.wait_recorded("budget", TASKS, timeout=60)
        rejected = plan_redis.client().info("stats")["rejected_connections"]
    finally:
        formation.stop()

    assert rejected == 0
    assert plan_postgres.refusals() == 0
    assert recorded == TASKS
    assert traffic.total() > 100 and traffic.failed() == 0, (traffic.statuses, traffic.errors[:3])
    assert_within_the_report(census, figures)
    assert "formation:   web=1 worker=1 + release phase + 1 one-off" in formation.output("release.1")


def test_a_scaled_beat_dyno_opens_no_more_than_the_report_counts_for_it(
    addons, plan_postgres, plan_redis, sentry_sink, tmp_path
):
    formation = Formation(tmp_path, addons)
    formation.prepare()
    returncode, figures = capacity(formation.env("run.2"), "--web", "1", "--worker", "1", "--beat", "1")
    assert (returncode, figures["fits"], figures["formation"]) == (0, True, {"web": 1, "worker": 1, "beat": 1})
    assert figures["totals"]["redis"] == 14 + figures["per_dyno"]["beat"]["redis"]  # web=1 worker=1's, and beat's
    try:
        # The beat dyno publishes its entry and checks in every second (tests.support.formation.BUSY_BEAT).
        formation.start(web=1, worker=1, beat=1)
        with census_of(formation, plan_redis, plan_postgres) as census, formation.traffic(clients=4) as traffic:
            oneoff = formation.enqueue("run.1", TASKS, prefix="beat")
            census.add("run.1", oneoff.pid)
            assert oneoff.wait(90) == 0, formation.output("run.1")
            recorded = formation.wait_recorded("beat", TASKS, timeout=60)
            # Both of beat's uses of Redis have happened: a publish, and a liveness check-in through the cache.
            formation.wait_for_output("beat.1", "Sending due task every-second-report", timeout=30)
            sentry_sink.wait_for(lambda sink: sink.checkins("heroku-beat"), timeout=30, what="beat's liveness")
            wait_until(lambda: census.peaks["redis"]["beat.1"] > 0, 30, "the census to see beat's connections")
        rejected = plan_redis.client().info("stats")["rejected_connections"]
    finally:
        formation.stop()

    assert (rejected, plan_postgres.refusals(), recorded) == (0, 0, TASKS)
    assert traffic.failed() == 0, (traffic.statuses, traffic.errors[:3])
    assert_within_the_report(census, figures)
    assert census.peak_by_process_type("postgres").get("beat", 0) == 0  # beat never opens the database


def assert_within_the_report(census: Census, figures: dict) -> None:
    """No process type opened more than the report says one dyno of it may."""
    for service in ("redis", "postgres"):
        measured = census.peak_by_process_type(service)
        computed = {kind: used[service] for kind, used in figures["per_dyno"].items()}
        assert all(measured.get(kind, 0) <= computed[kind] for kind in computed), (service, measured, computed)


def test_over_budget_the_release_warns_and_requests_fail_fast_into_one_issue_per_service(
    addons, plan_postgres, plan_redis, sentry_sink, tmp_path
):
    formation = Formation(tmp_path, addons, WEB_CONCURRENCY="8")
    formation.prepare()
    # Before any load, the release phase says so, and deploys.
    release = run_command(["bin/release"], formation.env("release.1"))
    assert release.returncode == 0, release.stdout + release.stderr
    assert (
        "warning: web=1 worker=1 + release phase + 1 one-off needs Redis 32 of 21, PostgreSQL 36 of 20, more than the"
        " add-ons allow: connections will be refused. To fit: set WEB_CONCURRENCY=4"
    ) in release.stderr, release.stdout + release.stderr

    try:
        formation.start(web=1, worker=1)
        with formation.traffic(clients=24, timeout=10) as traffic:
            found = sentry_sink.wait_for(connection_limit_events, timeout=40, what="a connection-limit event")
    finally:
        formation.stop()

    assert traffic.slowest_seconds < 5, traffic.slowest_seconds
    assert {tuple(event["fingerprint"]) for event in found} <= {("connection-limit", "postgres"),
                                                                 ("connection-limit", "redis")}  # fmt: skip
    event = found[0]
    assert tags_of(event)["dyno"] == "web.1"
    assert event["contexts"]["capacity"]["web_dyno"] == {"redis": 24, "postgres": 32}
    assert event["contexts"]["capacity"]["largest_web_beside_one_worker"] == 0


def connection_limit_events(sink) -> list[dict]:
    return [event for event in sink.events() if event.get("fingerprint", [""])[0] == "connection-limit"]
