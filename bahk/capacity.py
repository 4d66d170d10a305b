"""How many Redis and PostgreSQL connections each process type opens, what the add-ons allow, and what fits.

Heroku limits an add-on's connections for the whole app: every web, worker and
beat dyno, the release phase and each `heroku run` draw from one allowance, and a
server at its limit refuses the next connection. This module adds up, per
process type, the bounds bahk's own settings put on each pool (bahk/backing_services.py,
read back from django.conf.settings, so the report and the code cannot drift),
reads the servers' limits, and finds the largest formation that fits.

It lives in bahk/, not in sentry_heroku/: the count is this project's wiring
(gunicorn's workers and threads, the map's invalidation listener, bahk's
kombu channel, which tasks keep results), which an app lifted elsewhere would
not share. sentry_heroku only receives its numbers for the events of
connection-limit errors (sentry_heroku/connection_limits.py; bahk/apps.py wires it).

The arithmetic is plain functions (tests/unit/test_capacity.py); reading the
limits (limits()) and the command (bahk/management/commands/capacity.py) are
the edges.
"""

import functools
from dataclasses import asdict, dataclass, field, replace

from django.core.exceptions import ImproperlyConfigured

# Heroku's plan tables, connections per plan. To add a plan: one line, from the Dev Center page named above the table.
# Key-Value Store, "Connection Limit": https://devcenter.heroku.com/articles/heroku-redis-technical-characterization
REDIS_PLANS = {
    "mini": 20,
    "premium-0": 40,
    "premium-1": 80,
    "premium-2": 200,
    "premium-3": 400,
    "premium-4": 700,
    "premium-5": 1000,
    "premium-7": 10000,
}
# Heroku Postgres, "Connection Limit": https://devcenter.heroku.com/articles/heroku-postgres-plans
# (essential-0 and essential-1 allow 20, essential-2 40; standard and premium plans 120 from -0, 400 from -2).
POSTGRES_PLANS = {
    "essential-0": 20,
    "essential-1": 20,
    "essential-2": 40,
    "standard-0": 120,
    "premium-0": 120,
    "standard-2": 400,
    "premium-2": 400,
}
# What the Deploy button provisions (app.json): the plans assumed where the server will not say.
BUTTON_PLANS = {"redis": "mini", "postgres": "essential-0"}
# app.json's formation: the one the release phase checks unless told another. No beat dyno: the
# Procfile has the type, and a team that runs `heroku ps:scale beat=1` passes --beat 1.
BUTTON_FORMATION = {"web": 1, "worker": 1}

# A Celery worker's main process: its consumer channel's BRPOP connection and the one it acknowledges
# tasks on (remote control and heartbeats are off: settings.py, Procfile). Measured: bench/connections.py.
WORKER_CONSUMER_REDIS = 2
# The release phase runs one manage.py at a time (bin/release); the capacity report's own check is its
# only Redis connection, and each step holds one database connection.
RELEASE_REDIS = 1
# Celery beat publishes each due entry on one broker connection of its own (its scheduler's, not the
# producer pool's), kept open between entries. Measured: bench/connections.py.
BEAT_PUBLISHER_REDIS = 1

SERVICES = ("redis", "postgres")
# The Procfile's process types a formation scales (the release phase and one-offs are not scaled).
FORMATION_KINDS = ("web", "worker", "beat")


@dataclass(frozen=True)
class Pools:
    """Per-process bounds, as the settings set them; 0 where a service is not used (no REDIS_URL, SQLite)."""

    cache: int  # the cache's pool (with the drain's throttle in it)
    tracking: int  # the map's invalidation listener
    producer: int  # Celery's producer pool: one broker connection each (bahk/redis_broker.py)
    results: int  # the result backend's pool: a caller waiting in .get() holds all of it
    results_kept: bool  # some task keeps its result, so a worker child stores results
    postgres: bool
    beat_results_kept: bool = False  # some beat entry's task keeps its result, so beat subscribes for it


@dataclass(frozen=True)
class Usage:
    """One dyno of a process type at its peak: connections per service, and what they are for."""

    redis: int
    postgres: int
    why: dict[str, str] = field(default_factory=dict)

    def get(self, service: str) -> int:
        return getattr(self, service)


def usage(sizes, pools: Pools) -> dict[str, Usage]:
    """Connections one dyno of each process type opens at its peak, from its process sizes and pools."""
    web_process = pools.cache + pools.tracking + pools.producer
    child_redis = 1 if pools.results_kept and pools.results else 0
    db = 1 if pools.postgres else 0
    uses_redis = bool(pools.producer)
    # Publishing a task that keeps its result subscribes for it (Celery's result consumer), from the results pool.
    beat_result = 1 if pools.beat_results_kept and pools.results else 0
    return {
        "web": Usage(
            redis=sizes.web_concurrency * web_process,
            postgres=sizes.web_concurrency * sizes.gunicorn_threads * db,
            why={
                "redis": f"{sizes.web_concurrency} gunicorn workers x (cache {pools.cache} + map listener "
                f"{pools.tracking} + task publishing {pools.producer})",
                "postgres": f"{sizes.web_concurrency} gunicorn workers x {sizes.gunicorn_threads} threads, "
                "one connection each",
            },
        ),
        "worker": Usage(
            redis=(WORKER_CONSUMER_REDIS if uses_redis else 0) + sizes.worker_concurrency * child_redis,
            postgres=sizes.worker_concurrency * db,
            why={
                "redis": f"consumer {WORKER_CONSUMER_REDIS if uses_redis else 0} + {sizes.worker_concurrency} "
                f"children x result {child_redis}",
                "postgres": f"{sizes.worker_concurrency} children, one connection each",
            },
        ),
        "beat": Usage(
            redis=(pools.cache + BEAT_PUBLISHER_REDIS + beat_result) if uses_redis else 0,
            postgres=0,
            why={
                "redis": f"liveness check-in through the cache {pools.cache} + publishing {BEAT_PUBLISHER_REDIS}"
                + (f" + a result subscription {beat_result}" if beat_result else ""),
                "postgres": "none: beat only publishes",
            },
        ),
        "release": Usage(
            redis=RELEASE_REDIS if uses_redis else 0,
            postgres=db,
            why={"redis": "this report's check", "postgres": "migrate, then this report"},
        ),
        "run": Usage(
            redis=(pools.producer + (pools.results if pools.results_kept else 0)) if uses_redis else 0,
            postgres=db,
            why={
                "redis": f"task publishing {pools.producer}"
                + (f" + waiting on a result {pools.results}" if pools.results_kept else ""),
                "postgres": "one connection",
            },
        ),
    }


def totals(per_dyno: dict[str, Usage], formation: dict[str, int]) -> dict[str, int]:
    """The formation's web, worker and beat dynos, with a release phase and one `heroku run` at the same time."""
    counts = {kind: formation.get(kind, 0) for kind in FORMATION_KINDS} | {"release": 1, "run": 1}
    return {service: sum(per_dyno[kind].get(service) * n for kind, n in counts.items()) for service in SERVICES}


def fits(per_dyno: dict[str, Usage], formation: dict[str, int], limits: dict[str, int | None]) -> bool:
    needed = totals(per_dyno, formation)
    return all(limit is None or needed[service] <= limit for service, limit in limits.items())


def largest_web(
    per_dyno: dict[str, Usage], limits: dict[str, int | None], worker: int, beat: int = 0, most: int = 100
) -> int:
    """The most web dynos that fit beside `worker` worker and `beat` beat dynos (0: not one); `most` when unbounded."""
    web = 0
    while web < most and fits(per_dyno, {"web": web + 1, "worker": worker, "beat": beat}, limits):
        web += 1
    return web


def smallest_plan(plans: dict[str, int], needed: int) -> str | None:
    return next((name for name, limit in sorted(plans.items(), key=lambda item: item[1]) if limit >= needed), None)


def advice(sizes, pools: Pools, formation: dict[str, int], limits: dict[str, int | None]) -> list[str]:
    """What to change so the formation fits: one beat dyno, a smaller WEB_CONCURRENCY where one exists, bigger plans."""
    needed = totals(usage(sizes, pools), formation)
    over = [service for service, limit in limits.items() if limit is not None and needed[service] > limit]
    if not over:
        return []
    changes = []
    if formation.get("beat", 0) > 1:  # each beat dyno publishes every entry: more than one runs them twice
        changes.append("scale beat to exactly one dyno")
    for concurrency in range(sizes.web_concurrency - 1, 0, -1):
        if fits(usage(replace(sizes, web_concurrency=concurrency), pools), formation, limits):
            changes.append(f"set WEB_CONCURRENCY={concurrency}")
            break
    for service in over:
        plans, addon = (REDIS_PLANS, "heroku-redis") if service == "redis" else (POSTGRES_PLANS, "heroku-postgresql")
        plan = smallest_plan(plans, needed[service])
        if plan:
            changes.append(f"upgrade to {addon}:{plan} ({plans[plan]} connections)")
    return changes


def redis_plan(value: str) -> str:
    """REDIS_PLAN as the plan table's key: "mini" or "heroku-redis:mini"; empty when unset."""
    plan = value.strip().lower().removeprefix("heroku-redis:")
    if plan and plan not in REDIS_PLANS:
        raise ImproperlyConfigured(
            f"REDIS_PLAN must be your Heroku Key-Value Store plan, one of {', '.join(REDIS_PLANS)} "
            f"(see `heroku addons`); got {value.strip()!r}."
        )
    return plan


def pools_from_settings(settings) -> Pools:
    """The bounds the running code uses, read back from its settings."""
    cache = settings.CACHES["default"]
    redis_cache = cache["BACKEND"] == "bahk.redis_cache.RedisCache"
    redis_broker = settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://"))
    # The example's map keeps its data version in memory through one listener per process.
    from hub.redis_tracking import LISTENER_CONNECTIONS

    return Pools(
        cache=cache["OPTIONS"]["max_connections"] if redis_cache else 0,
        tracking=LISTENER_CONNECTIONS if redis_cache else 0,
        producer=settings.CELERY_BROKER_POOL_LIMIT if redis_broker else 0,
        results=(settings.CELERY_REDIS_MAX_CONNECTIONS or 0) if redis_broker else 0,
        results_kept=results_kept(),
        postgres=settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql",
        beat_results_kept=beat_results_kept(settings.CELERY_BEAT_SCHEDULE),
    )


@functools.cache
def _celery_app():
    """The Celery app, with each app's tasks.py imported, as the worker imports them at start."""
    from bahk.celery import app

    app.loader.import_default_modules()
    return app


def results_kept() -> bool:
    """Whether any of the app's tasks keeps its result (CELERY_TASK_IGNORE_RESULT, CELERY_TASK_ANNOTATIONS)."""
    tasks = _celery_app().tasks
    return any(not task.ignore_result for name, task in tasks.items() if not name.startswith("celery."))


def beat_results_kept(schedule: dict) -> bool:
    """Whether beat publishes a task that keeps its result: the entry's ignore_result, else the task's."""
    app = _celery_app()
    for entry in schedule.values():
        task = app.tasks.get(entry["task"])
        # An entry whose task beat has not imported is sent by name, under task_ignore_result.
        default = task.ignore_result if task else app.conf.task_ignore_result
        ignored = entry.get("options", {}).get("ignore_result", default)
        if not ignored:
            return True
    return False


@dataclass
class Limit:
    connections: int | None
    source: str


def postgres_limit(connection) -> Limit:
    """max_connections less the slots this role may not take, and the role's and database's own limits."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('max_connections')::int, current_setting('superuser_reserved_connections')::int,"
            " coalesce(current_setting('reserved_connections', true), '0')::int,"
            " rolsuper, rolconnlimit, datconnlimit FROM pg_roles, pg_database"
            " WHERE rolname = current_user AND datname = current_database()"
        )
        most, superuser_reserved, reserved, superuser, role_limit, database_limit = cursor.fetchone()
    held_back = 0 if superuser else superuser_reserved + reserved
    limits = [most - held_back] + [limit for limit in (role_limit, database_limit) if limit >= 0]
    source = f"max_connections {most}" + (f" less {held_back} reserved" if held_back else "")
    if min(limits) < most - held_back:
        source += f", this role's or database's limit {min(limits)}"
    return Limit(min(limits), source)


def redis_limit(client, plan: str) -> Limit:
    """maxclients where CONFIG is allowed; else the plan table, for REDIS_PLAN or the Deploy button's plan."""
    from redis.exceptions import ResponseError

    try:
        maxclients = client.config_get("maxclients").get("maxclients")
    except ResponseError:  # Heroku's Key-Value Store refuses CONFIG
        maxclients = None
    if maxclients:
        return Limit(int(maxclients), "maxclients (CONFIG GET)")
    if plan:
        return Limit(REDIS_PLANS[plan], f"heroku-redis:{plan}, Heroku's plan table (REDIS_PLAN)")
    assumed = BUTTON_PLANS["redis"]
    return Limit(
        REDIS_PLANS[assumed],
        f"heroku-redis:{assumed} assumed (the server refuses CONFIG; set REDIS_PLAN to your plan)",
    )


def report(sizes, pools: Pools, limits: dict[str, Limit], formation: dict[str, int]) -> dict:
    """Everything the command prints, as data (its --json)."""
    per_dyno = usage(sizes, pools)
    numbers = {service: limit.connections for service, limit in limits.items()}
    worker, beat = formation.get("worker", 0), formation.get("beat", 0)
    return {
        "sizes": asdict(sizes),
        "per_dyno": {kind: asdict(used) for kind, used in per_dyno.items()},
        "limits": {service: asdict(limit) for service, limit in limits.items()},
        "formation": formation,
        "totals": totals(per_dyno, formation),
        "fits": fits(per_dyno, formation, numbers),
        "largest": {"web": largest_web(per_dyno, numbers, worker, beat), "worker": worker, "beat": beat},
        "advice": advice(sizes, pools, formation, numbers),
    }


def event_context(settings) -> dict:
    """For a connection-limit error's Sentry event: the budget this process runs on, without any I/O.

    The limits are the plan tables' (REDIS_PLAN, else the Deploy button's plans): a server refusing
    connections is no server to ask.
    """
    sizes, pools = settings.PROCESS_SIZES, pools_from_settings(settings)
    per_dyno = usage(sizes, pools)
    limits = {
        "redis": REDIS_PLANS[settings.REDIS_PLAN or BUTTON_PLANS["redis"]],
        "postgres": POSTGRES_PLANS[BUTTON_PLANS["postgres"]],
    }
    return {
        "sizes": asdict(sizes),
        **{f"{kind}_dyno": {"redis": used.redis, "postgres": used.postgres} for kind, used in per_dyno.items()},
        "plan_limits": limits,
        "largest_web_beside_one_worker": largest_web(per_dyno, limits, worker=1),
        "command": "heroku run python manage.py capacity",
    }
