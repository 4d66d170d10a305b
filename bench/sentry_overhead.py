"""What Sentry costs per request, measured on the Procfile's web process.

Every configuration runs its own copy of the same gunicorn (one worker, its
configured threads) on the same SQLite database and Redis cache, all started
before the first window, and wrk on loopback drives the same two requests: a
cache hit (/bench/cached/) and a page that renders a template and touches the
session (/admin/login/). Every DSN points at a SentrySink of its own on
loopback, so the SDK really builds, compresses and sends its envelopes, and
each configuration's deliveries are counted apart.

The figure is bench/cpu.py's: CPU per request of the web dyno's process
group, interleaved rounds, the median, with throughput and latency beside
it. The checks are the budgets of the project's configuration, in CPU ms per
request over Sentry off on the cache hit, and the bare sentry_sdk.init at
the same rate measured in the same run.

    .venv/bin/python -m bench.sentry_overhead [--duration 2] [--rounds 5] [--only off,errors,...] [--variant NAME]

Prints one table and writes bench/results/sentry_overhead.json.
"""

import argparse
import contextlib
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import build, cpu, save, wrk
from tests.support.processes import HOST, heroku_env, migrate, start_web
from tests.support.sentry_sink import SentrySink
from tests.support.servers import RedisServer

REQUESTS = {"cache hit": "/bench/cached/", "admin login page": "/admin/login/"}
CHEAP = "cache hit"
CONNECTIONS = 4


@dataclass(frozen=True)
class Config:
    name: str
    label: str
    settings: str = "bench.shims.sentry_settings"
    # SENTRY_* (project) or BENCH_* (bare init, variants) values; "{dsn}" is the sink's DSN.
    env: dict[str, str] = field(default_factory=dict)
    # The bare init this project configuration is compared with, and its budget: CPU ms per cheap request over off.
    baseline: str | None = None
    budget_ms: float | None = None


BARE = "bench.shims.bare_sentry_settings"
VARIANT = "bench.shims.sentry_variant_settings"
CONFIGS = [
    Config("off", "Sentry off (no DSN)"),
    Config(
        "errors",
        "errors only (rate 0)",
        env={"SENTRY_DSN": "{dsn}", "SENTRY_TRACES_SAMPLE_RATE": "0"},
        baseline="bare-errors",
        budget_ms=0.5,
    ),
    Config("default", "production default (0.1)", env={"SENTRY_DSN": "{dsn}"}, baseline="bare-0.1", budget_ms=1.0),
    Config("full", "traces 1.0", env={"SENTRY_DSN": "{dsn}", "SENTRY_TRACES_SAMPLE_RATE": "1.0"}, baseline="bare-1.0"),
    Config(
        "tail",
        "tail mode (0.1, keep ≥500 ms)",
        env={"SENTRY_DSN": "{dsn}", "SENTRY_TRACES_SAMPLE_RATE": "0.1", "SENTRY_TRACES_KEEP_SLOW_MS": "500"},
    ),
    Config("bare-errors", "bare init, errors only", BARE, {"BENCH_BARE_SENTRY_DSN": "{dsn}"}),
    Config(
        "bare-0.1",
        "bare init, traces 0.1",
        BARE,
        {"BENCH_BARE_SENTRY_DSN": "{dsn}", "BENCH_BARE_TRACES_SAMPLE_RATE": "0.1"},
    ),
    Config(
        "bare-1.0",
        "bare init, traces 1.0",
        BARE,
        {"BENCH_BARE_SENTRY_DSN": "{dsn}", "BENCH_BARE_TRACES_SAMPLE_RATE": "1.0"},
    ),
]
CONFIGS_BY_NAME = {config.name: config for config in CONFIGS}


def start_config(config: Config, base_env: dict[str, str], logs: Path, stack: contextlib.ExitStack):
    """The configuration's web dyno and its own sink, both stopped when `stack` closes: (process, base URL, sink)."""
    sink = SentrySink()
    # gunicorn's stop cuts the SDK's keep-alive connection: not worth a traceback.
    sink.server.handle_error = lambda request, address: None
    # The handler writes headers and body apart; with Nagle on, each envelope would wait ~40 ms for
    # a delayed ACK and the SDK's one sender thread would drop most transactions at rate 1.0.
    sink.server.RequestHandlerClass.disable_nagle_algorithm = True
    sink.start()
    stack.callback(sink.stop)
    values = {name: value.format(dsn=sink.dsn) for name, value in config.env.items()}
    env = base_env | values | {"DJANGO_SETTINGS_MODULE": config.settings}
    process, base_url = start_web(env, logs / f"web-{config.name}.log")
    stack.callback(process.stop)
    return process, base_url, sink


def delivered(sink: SentrySink, served: int) -> dict:
    """What reached the sink, what the SDK built but threw away by its own count, and the share of requests traced."""
    received = {kind: len(sink.items(kind)) for kind in ("event", "transaction", "session", "sessions", "log")}
    discarded: dict[str, int] = {}
    for report in sink.items("client_report"):
        for entry in json.loads(report.payload.get_bytes()).get("discarded_events", []):
            reason = f"{entry['category']}:{entry['reason']}"
            discarded[reason] = discarded.get(reason, 0) + entry["quantity"]
    return {
        "received": {kind: count for kind, count in received.items() if count},
        "discarded": discarded,
        # The rate, less what the SDK's backpressure dropped (queue full, before_send_transaction).
        "traced_share": received["transaction"] / served,
    }


def summarise(figures: dict[tuple[str, str], cpu.Figure], names: list[str]) -> dict[str, dict[str, dict]]:
    table = {name: {request: vars(figures[name, request]).copy() for request in REQUESTS} for name in names}
    off = table.get("off")
    for cases in table.values():
        for request, case in cases.items():
            if off:
                case["cpu_ms_over_off"] = case["cpu_ms_per_request"] - off[request]["cpu_ms_per_request"]
                case["rps_ratio_to_off"] = case["rps"] / off[request]["rps"]
    return table


def checks(table: dict[str, dict[str, dict]]) -> list[dict]:
    """The budgets and the bare-init comparisons, each with the numbers it was decided on."""
    found = []
    for config in CONFIGS:
        if config.name not in table or "off" not in table:
            continue
        if config.budget_ms is not None:
            over = table[config.name][CHEAP]["cpu_ms_over_off"]
            found.append({
                "check": f"{config.name}: {CHEAP} CPU <= +{config.budget_ms:g} ms over off",
                "value": f"{over:+.3f} ms",
                "holds": over <= config.budget_ms,
            })  # fmt: skip
        if config.baseline in table:
            for request in REQUESTS:
                ours = table[config.name][request]["cpu_ms_over_off"]
                bare = table[config.baseline][request]["cpu_ms_over_off"]
                found.append({
                    "check": f"{config.name} vs {config.baseline}: {request} Sentry CPU below the bare init's",
                    "value": f"{ours:+.3f} vs {bare:+.3f} ms",
                    "holds": ours < bare,
                })  # fmt: skip
    return found


def print_table(table: dict[str, dict[str, dict]], sent: dict[str, dict]) -> None:
    header = (
        f"{'configuration':<44} {'request':<17} {'CPU ms/req':>10} {'(min-max)':>13} {'+ vs off':>9} "
        f"{'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'x off':>6}  traced"
    )
    print(header)
    print("-" * len(header))
    for name, cases in table.items():
        label = CONFIGS_BY_NAME[name].label
        for index, (request, case) in enumerate(cases.items()):
            traced = f"{sent[name]['traced_share']:.1%}" if index == 0 and name != "off" else ""
            spread = f"{min(case['cpu_ms_per_window']):.2f}-{max(case['cpu_ms_per_window']):.2f}"
            print(
                f"{label if index == 0 else '':<44} {request:<17} {case['cpu_ms_per_request']:>10.3f} {spread:>13} "
                f"{case.get('cpu_ms_over_off', 0):>+9.3f} {case['rps']:>7.0f} {case['p50_ms']:>7.2f} "
                f"{case['p99_ms']:>7.2f} {case.get('rps_ratio_to_off', 1):>6.2f}  {traced}"
            )


def add_variants(variants: list[str]) -> None:
    """Each --variant as a configuration of its own: the project's set-up with options changed, at @RATE or 0.1."""
    from bench.shims.sentry_variant_settings import VARIANTS

    for variant in variants:
        changes, _, rate = variant.partition("@")
        if not set(changes.split("+")) <= set(VARIANTS):
            sys.exit(f"unknown variant {variant!r}; known: {', '.join(VARIANTS)}, joined with +, then @RATE")
        rate_env = {"SENTRY_TRACES_SAMPLE_RATE": rate} if rate else {}
        CONFIGS_BY_NAME[variant] = Config(
            variant,
            f"variant {changes} ({rate or 0.1})",
            VARIANT,
            {"SENTRY_DSN": "{dsn}", "BENCH_SENTRY_VARIANT": changes, **rate_env},
        )


def report(name, table, sent, results, setup, print_table, load_before, started) -> int:
    """Print the table, what each configuration's SDK discarded and the checks; save them with the set-up.

    The web bench and the worker bench (bench/worker.py) end the same way. 0 when every check holds.
    """
    elapsed, load_after = time.monotonic() - started, os.getloadavg()
    print()
    print_table(table, sent)
    for config, delivery in sent.items():
        if delivery["discarded"]:
            dropped = ", ".join(f"{count} {reason}" for reason, count in sorted(delivery["discarded"].items()))
            print(f"  {config}: the SDK discarded {dropped}")
    print()
    for check in results:
        print(f"{'PASS' if check['holds'] else 'MISS'}  {check['check']}: {check['value']}")
    print(f"\nload average after: {load_after[0]:.2f} {load_after[1]:.2f} {load_after[2]:.2f}; took {elapsed:.0f} s")
    machine = {"cpus": os.cpu_count(), "python": sys.version.split()[0]}
    save(
        name,
        {
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "setup": setup | machine | {"load_average_before": load_before, "load_average_after": load_after},
            "configurations": {config: CONFIGS_BY_NAME[config].label for config in table},
            "results": table,
            "sent_to_sink": sent,
            "checks": results,
        },
    )
    return 0 if all(check["holds"] for check in results) else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=2, help="seconds per window (default 2)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved windows per configuration (default 5)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per request (default 2)")
    parser.add_argument("--only", help="comma-separated configurations (default: all): " + ", ".join(CONFIGS_BY_NAME))
    parser.add_argument(
        "--variant",
        action="append",
        default=[],
        help="the project's set-up with options changed, from bench/shims/sentry_variant_settings.py, "
        "at the production default or @RATE (repeatable; join several with +): no-cache-spans+no-logs@0",
    )
    args = parser.parse_args()
    add_variants(args.variant)
    names = args.only.split(",") if args.only else [config.name for config in CONFIGS]
    names += args.variant
    unknown = set(names) - set(CONFIGS_BY_NAME)
    if unknown:
        sys.exit(f"unknown configuration(s) {', '.join(sorted(unknown))}; known: {', '.join(CONFIGS_BY_NAME)}")

    # SIGTERM (a CI timeout, a kill) unwinds like Ctrl-C, so everything started below is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    load_before = os.getloadavg()
    print(f"load average before: {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}", flush=True)
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        folder = Path(tempfile.mkdtemp(prefix="bahk-sentry-bench-"))
        stack.callback(shutil.rmtree, folder, ignore_errors=True)
        redis = RedisServer().start()
        stack.callback(redis.stop)
        base_env = heroku_env(
            "web.1", DATABASE_URL=f"sqlite:///{folder / 'db.sqlite3'}", REDIS_URL=redis.url, WEB_CONCURRENCY="1"
        )
        build(base_env)
        migrate(base_env | {"DJANGO_SETTINGS_MODULE": "bench.shims.sentry_settings"})
        dynos = {name: start_config(CONFIGS_BY_NAME[name], base_env, folder, stack) for name in names}
        targets = {
            (name, request): cpu.Target(process.pid, base_url + path, wrk.ROUTER_HEADERS)
            for name, (process, base_url, _) in dynos.items()
            for request, path in REQUESTS.items()
        }
        figures = cpu.compare(
            targets, rounds=args.rounds, seconds=args.duration, warmup=args.warmup, connections=CONNECTIONS
        )
        sent = {}
        for name, (process, _, sink) in dynos.items():
            process.stop()  # SIGTERM: gunicorn's worker_exit flushes what the SDK still holds
            time.sleep(0.2)
            sent[name] = delivered(sink, sum(figures[name, request].served for request in REQUESTS))
    table = summarise(figures, names)
    setup = {
        "web": "Procfile web line, WEB_CONCURRENCY=1, GUNICORN_THREADS default",
        "wrk": {"threads": 1, "connections": CONNECTIONS, "window_seconds": args.duration},
        "warmup_seconds": args.warmup,
        "rounds": args.rounds,
        "requests": REQUESTS,
        "host": HOST,
    }
    return report("sentry_overhead", table, sent, checks(table), setup, print_table, load_before, started)


if __name__ == "__main__":
    sys.exit(main())
