"""The capacity report's arithmetic: connections per dyno from the process sizes and pools, and what fits."""

import json
from dataclasses import replace
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from bahk import capacity
from bahk.process_sizes import ProcessSizes, read

DEFAULTS = read({})
# The pools settings.py gives a dyno with REDIS_URL and DATABASE_URL (checked below against the settings).
HEROKU_POOLS = capacity.Pools(cache=1, tracking=1, producer=1, results=2, results_kept=True, postgres=True)
BUTTON_LIMITS = {"redis": 20, "postgres": 20}


def test_the_defaults_are_what_the_readme_says():
    assert read({}) == ProcessSizes(web_concurrency=2, gunicorn_threads=4, worker_concurrency=2)


@pytest.mark.parametrize(
    ("sizes", "web", "worker", "beat", "release", "run"),
    [
        # (Redis, PostgreSQL) per dyno; beat's do not depend on the sizes
        (DEFAULTS, (6, 8), (4, 2), (2, 0), (1, 1), (3, 1)),
        (ProcessSizes(8, 4, 2), (24, 32), (4, 2), (2, 0), (1, 1), (3, 1)),
        (ProcessSizes(1, 8, 4), (3, 8), (6, 4), (2, 0), (1, 1), (3, 1)),
        (ProcessSizes(3, 1, 1), (9, 3), (3, 1), (2, 0), (1, 1), (3, 1)),
    ],
)
def test_connections_per_dyno_follow_the_process_sizes(sizes, web, worker, beat, release, run):
    used = capacity.usage(sizes, HEROKU_POOLS)
    assert {kind: (u.redis, u.postgres) for kind, u in used.items()} == {
        "web": web, "worker": worker, "beat": beat, "release": release, "run": run
    }  # fmt: skip


@pytest.mark.parametrize(
    ("pools", "beat_redis"),
    [
        (HEROKU_POOLS, 2),  # the liveness check-in's cache connection and the one it publishes on
        (replace(HEROKU_POOLS, cache=3), 4),  # the cache's pool, as settings.py bounds it
        (replace(HEROKU_POOLS, beat_results_kept=True), 3),  # an entry keeps its result: beat subscribes for it
        (capacity.Pools(0, 0, 0, 0, results_kept=False, postgres=False, beat_results_kept=True), 0),  # no REDIS_URL
    ],
)
def test_a_beat_dyno_holds_its_cache_pool_and_one_publishing_connection_and_no_database(pools, beat_redis):
    used = capacity.usage(DEFAULTS, pools)["beat"]
    assert (used.redis, used.postgres) == (beat_redis, 0)
    assert set(used.why) == {"redis", "postgres"}


def test_a_scaled_beat_dyno_counts_its_connections_and_can_break_the_fit():
    used = capacity.usage(DEFAULTS, HEROKU_POOLS)
    without = capacity.totals(used, {"web": 2, "worker": 1})
    with_beat = capacity.totals(used, {"web": 2, "worker": 1, "beat": 1})

    assert {service: with_beat[service] - without[service] for service in capacity.SERVICES} == {
        "redis": used["beat"].redis, "postgres": used["beat"].postgres
    }  # fmt: skip
    # web=2 worker=1 takes all of the Deploy button's 20 Redis connections: a beat dyno does not fit beside it.
    assert capacity.fits(used, {"web": 2, "worker": 1}, BUTTON_LIMITS) is True
    assert capacity.fits(used, {"web": 2, "worker": 1, "beat": 1}, BUTTON_LIMITS) is False


def test_the_largest_web_formation_keeps_the_beat_dynos_it_is_given():
    limits = {"redis": 20, "postgres": 20}
    figures = capacity.report(DEFAULTS, HEROKU_POOLS, {s: capacity.Limit(n, "test") for s, n in limits.items()},
                              {"web": 1, "worker": 1, "beat": 1})  # fmt: skip

    assert figures["largest"] == {"web": 1, "worker": 1, "beat": 1}
    assert figures["totals"] == {"redis": 16, "postgres": 12}
    assert figures["per_dyno"]["beat"]["redis"] == 2
    assert capacity.largest_web(capacity.usage(DEFAULTS, HEROKU_POOLS), limits, worker=1) == 2


@pytest.mark.parametrize(
    ("entry", "kept"),
    [
        ({"task": "hub.tasks.report_public_participants"}, False),  # settings.py's entry: no result
        ({"task": "hub.tasks.count_public_participants"}, True),  # CELERY_TASK_ANNOTATIONS keeps its result
        ({"task": "hub.tasks.count_public_participants", "options": {"ignore_result": True}}, False),
        ({"task": "not.a.registered.task"}, False),  # beat sends it by name; task_ignore_result applies
    ],
)
def test_beat_subscribes_for_results_only_where_an_entry_keeps_one(entry, kept):
    assert capacity.beat_results_kept({"entry": entry}) is kept


@pytest.mark.parametrize(
    ("pools", "worker_redis", "run_redis"),
    [
        (HEROKU_POOLS, 4, 3),  # a task keeps its result: each child stores one, a waiting caller holds the pool
        (capacity.Pools(1, 1, 1, 2, results_kept=False, postgres=True), 2, 1),
        (capacity.Pools(0, 0, 0, 0, results_kept=False, postgres=False), 0, 0),  # no REDIS_URL, no DATABASE_URL
    ],
)
def test_results_cost_connections_only_where_a_task_keeps_one(pools, worker_redis, run_redis):
    used = capacity.usage(DEFAULTS, pools)
    assert (used["worker"].redis, used["run"].redis) == (worker_redis, run_redis)


@pytest.mark.parametrize(
    ("sizes", "formation", "totals", "fits"),
    [
        # The target on the Deploy button's plans: web=2 worker=1, a release phase and a one-off at once.
        (DEFAULTS, {"web": 2, "worker": 1}, {"redis": 20, "postgres": 20}, True),
        (DEFAULTS, {"web": 1, "worker": 1}, {"redis": 14, "postgres": 12}, True),
        (DEFAULTS, {"web": 3, "worker": 1}, {"redis": 26, "postgres": 28}, False),
        (DEFAULTS, {"web": 2, "worker": 2}, {"redis": 24, "postgres": 22}, False),
        (ProcessSizes(8, 4, 2), {"web": 1, "worker": 1}, {"redis": 32, "postgres": 36}, False),
    ],
)
def test_a_formation_fits_when_every_service_stays_within_its_limit(sizes, formation, totals, fits):
    used = capacity.usage(sizes, HEROKU_POOLS)
    assert capacity.totals(used, formation) == totals
    assert capacity.fits(used, formation, BUTTON_LIMITS) is fits


@pytest.mark.parametrize(
    ("sizes", "limits", "worker", "largest"),
    [
        (DEFAULTS, BUTTON_LIMITS, 1, 2),
        (DEFAULTS, {"redis": 40, "postgres": 20}, 1, 2),  # PostgreSQL's 20 binds next
        (DEFAULTS, {"redis": 40, "postgres": 40}, 1, 4),
        (DEFAULTS, {"redis": 20, "postgres": None}, 1, 2),  # an unknown limit does not bind
        (ProcessSizes(8, 4, 2), BUTTON_LIMITS, 1, 0),
        (DEFAULTS, BUTTON_LIMITS, 4, 0),
    ],
)
def test_the_largest_web_formation_that_fits(sizes, limits, worker, largest):
    assert capacity.largest_web(capacity.usage(sizes, HEROKU_POOLS), limits, worker) == largest


@pytest.mark.parametrize(
    ("sizes", "formation", "advice"),
    [
        (DEFAULTS, {"web": 2, "worker": 1}, []),
        (
            ProcessSizes(8, 4, 2),
            {"web": 1, "worker": 1},
            ["set WEB_CONCURRENCY=4", "upgrade to heroku-redis:premium-0 (40 connections)",
             "upgrade to heroku-postgresql:essential-2 (40 connections)"],
        ),
        (
            DEFAULTS,
            {"web": 4, "worker": 1},
            ["set WEB_CONCURRENCY=1", "upgrade to heroku-redis:premium-0 (40 connections)",
             "upgrade to heroku-postgresql:essential-2 (40 connections)"],
        ),
        (DEFAULTS, {"web": 30, "worker": 1}, ["upgrade to heroku-redis:premium-2 (200 connections)",
                                               "upgrade to heroku-postgresql:standard-2 (400 connections)"]),
        # Two beat dynos publish every entry twice: the advice says one, before anything else.
        (DEFAULTS, {"web": 2, "worker": 1, "beat": 2}, ["scale beat to exactly one dyno", "set WEB_CONCURRENCY=1",
                                                         "upgrade to heroku-redis:premium-0 (40 connections)"]),
    ],
)  # fmt: skip
def test_the_advice_names_the_variable_to_change_or_the_plan_to_buy(sizes, formation, advice):
    assert capacity.advice(sizes, HEROKU_POOLS, formation, BUTTON_LIMITS) == advice


@pytest.mark.parametrize(
    ("value", "plan"),
    [("", ""), ("mini", "mini"), ("heroku-redis:premium-0", "premium-0"), (" Premium-2 ", "premium-2")],
)
def test_redis_plan_takes_the_plan_as_heroku_addons_names_it(value, plan):
    assert capacity.redis_plan(value) == plan


def test_an_unknown_redis_plan_is_refused_naming_the_variable_and_the_plans():
    with pytest.raises(ImproperlyConfigured, match=r"REDIS_PLAN must be .* mini, premium-0.*got 'hobby-dev'"):
        capacity.redis_plan("hobby-dev")


def test_the_plan_tables_hold_herokus_numbers_for_the_deploy_buttons_plans():
    assert capacity.REDIS_PLANS["mini"] == 20
    assert capacity.POSTGRES_PLANS["essential-0"] == 20


def test_the_pools_are_read_back_from_the_settings_the_code_runs_on():
    # The in-process tests run without add-ons: no Redis pools, no PostgreSQL.
    pools = capacity.pools_from_settings(settings)
    assert (pools.cache, pools.tracking, pools.producer, pools.postgres) == (0, 0, 0, False)
    assert pools.results_kept  # hub.tasks.count_public_participants keeps its result (CELERY_TASK_ANNOTATIONS)
    assert not pools.beat_results_kept  # CELERY_BEAT_SCHEDULE's entry keeps none


def test_the_deploy_buttons_formation_and_plans_are_app_jsons():
    app_json = json.loads((Path(settings.BASE_DIR) / "app.json").read_text())

    assert {kind: spec["quantity"] for kind, spec in app_json["formation"].items()} == capacity.BUTTON_FORMATION
    assert sorted(app_json["addons"]) == sorted(
        ["heroku-postgresql:" + capacity.BUTTON_PLANS["postgres"], "heroku-redis:" + capacity.BUTTON_PLANS["redis"]]
    )
