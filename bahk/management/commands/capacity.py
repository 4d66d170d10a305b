"""python manage.py capacity: the connections each process type opens, the add-ons' limits, and what fits.

Computed from this process's own settings (WEB_CONCURRENCY, GUNICORN_THREADS,
WORKER_CONCURRENCY and the pools of bahk/backing_services.py) and the limits
the servers give (bahk/capacity.py). It checks app.json's formation (web=1
worker=1, no beat dyno) unless given --web, --worker and --beat (a team that
runs `heroku ps:scale beat=1` checks with --beat 1), each with the release
phase and one `heroku run` beside it, and exits non-zero when that does not fit:
bin/release prints the warning and deploys anyway, as the formation can
change after it.
"""

import json

from django.conf import settings
from django.core.cache import caches
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection
from redis.exceptions import RedisError

from bahk import capacity

LABELS = {
    "web": "web dyno",
    "worker": "worker dyno",
    "beat": "beat dyno",
    "release": "release phase",
    "run": "one-off (heroku run)",
}
NAMES = {"redis": "Redis", "postgres": "PostgreSQL"}


class Command(BaseCommand):
    help = "Print the Redis and PostgreSQL connections each process type opens and the largest formation that fits."

    def add_arguments(self, parser):
        parser.add_argument("--web", type=int, default=capacity.BUTTON_FORMATION["web"], help="web dynos to check")
        parser.add_argument("--worker", type=int, default=capacity.BUTTON_FORMATION["worker"], help="worker dynos")
        parser.add_argument("--beat", type=int, default=capacity.BUTTON_FORMATION.get("beat", 0), help="beat dynos")
        parser.add_argument("--json", action="store_true", help="print the figures as JSON")

    def handle(self, **options):
        formation = {kind: options[kind] for kind in capacity.FORMATION_KINDS}
        if any(count < 0 for count in formation.values()):
            raise CommandError("--web, --worker and --beat are numbers of dynos, 0 or more.")
        pools = capacity.pools_from_settings(settings)
        limits = self.limits(pools)
        figures = capacity.report(settings.PROCESS_SIZES, pools, limits, formation)
        if options["json"]:
            self.stdout.write(json.dumps(figures))
        else:
            self.show(figures)
        if not figures["fits"]:
            raise CommandError(warning(figures))

    def limits(self, pools: capacity.Pools) -> dict[str, capacity.Limit]:
        limits = {}
        if pools.cache:
            try:
                limits["redis"] = capacity.redis_limit(caches["default"].redis_client(), settings.REDIS_PLAN)
            except RedisError as error:
                limits["redis"] = unknown("Redis", error)
        if pools.postgres:
            try:
                limits["postgres"] = capacity.postgres_limit(connection)
            except DatabaseError as error:
                limits["postgres"] = unknown("PostgreSQL", error)
        return limits

    def show(self, figures: dict) -> None:
        show = self.stdout.write
        sizes = figures["sizes"]
        show(
            "capacity:    connections at peak per dyno, from these settings: "
            f"WEB_CONCURRENCY={sizes['web_concurrency']}, GUNICORN_THREADS={sizes['gunicorn_threads']}, "
            f"WORKER_CONCURRENCY={sizes['worker_concurrency']}"
        )
        for kind, used in figures["per_dyno"].items():
            show(
                f"  {LABELS[kind]:<21} Redis {used['redis']:>3}  PostgreSQL {used['postgres']:>3}   "
                f"({used['why']['redis']}; {used['why']['postgres']})"
            )
        limits = figures["limits"]
        show(
            "limits:      "
            + (
                "; ".join(
                    f"{NAMES[service]} {limit['connections'] or '?'} ({limit['source']})"
                    for service, limit in limits.items()
                )
                or "none: no Redis or PostgreSQL add-on"
            )
        )
        show(f"formation:   {describe(figures['formation'], figures['totals'], limits)}: "
             + ("fits" if figures["fits"] else "DOES NOT FIT"))  # fmt: skip
        largest = figures["largest"]
        beside = dynos({"worker": largest["worker"], "beat": largest["beat"]})
        show(
            f"largest:     web={largest['web']} {beside} (+ release phase + 1 one-off)"
            if largest["web"]
            else f"largest:     not even web=1 beside {beside}"
        )


def unknown(service: str, error: Exception) -> capacity.Limit:
    """A limit the server did not tell: the report goes on without it (never the error's text: it may hold the URL)."""
    return capacity.Limit(None, f"unknown: {service} did not answer ({type(error).__name__})")


def describe(formation: dict, totals: dict, limits: dict) -> str:
    needs = ", ".join(
        f"{NAMES[service]} {totals[service]} of {limits[service]['connections']}"
        for service in limits
        if limits[service]["connections"] is not None
    )
    return f"{dynos(formation)} + release phase + 1 one-off needs {needs or '?'}"


def dynos(formation: dict) -> str:
    """web=1 worker=1, with beat=N only where beat is scaled (app.json's formation has none)."""
    return " ".join(f"{kind}={count}" for kind, count in formation.items() if count or kind != "beat")


def warning(figures: dict) -> str:
    what = describe(figures["formation"], figures["totals"], figures["limits"])
    change = " or ".join(figures["advice"]) or "lower WEB_CONCURRENCY, GUNICORN_THREADS or WORKER_CONCURRENCY"
    return f"warning: {what}, more than the add-ons allow: connections will be refused. To fit: {change}."
