"""Where Sentry's time goes: one configuration of bench/sentry_overhead.py, in this process, under cProfile.

The Django WSGI application is called directly (no gunicorn, no sockets) on
the same settings, database, Redis and request as the overhead bench, so the
CPU it reports is the app's and the SDK's alone. The sink runs in a child
process, so its parsing is not counted; the SDK's sender thread is. The
figure is the median CPU per request over batches of BATCH requests.

    .venv/bin/python -m bench.sentry_profile CONFIG [--request "cache hit"] [--variant NAME] [--profile]

CONFIG is a configuration of the overhead bench (off, errors, default, full,
tail, bare-errors, bare-0.1, bare-1.0) or "variant" with --variant NAME.
"""

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import ROOT, build
from bench.sentry_overhead import CONFIGS_BY_NAME, REQUESTS, VARIANT
from tests.support.processes import HOST, heroku_env, migrate
from tests.support.servers import RedisServer

BATCH = 100
SINK = (
    "import sys; from tests.support.sentry_sink import SentrySink; "
    "print(SentrySink().start().dsn, flush=True); sys.stdin.read()"
)


def environ_for(path: str) -> dict:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": HOST,
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_USER_AGENT": "wrk",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }


def call(application, path: str) -> None:
    statuses = []
    body = application(environ_for(path), lambda status, headers, exc_info=None: statuses.append(status))
    for _ in body:
        pass
    if hasattr(body, "close"):
        body.close()
    if not statuses[0].startswith("200"):
        raise RuntimeError(f"{path} answered {statuses[0]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("config", choices=[*CONFIGS_BY_NAME, "variant"])
    parser.add_argument("--variant")
    parser.add_argument("--request", default="cache hit", choices=list(REQUESTS))
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="an extra env variable")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions")
    parser.add_argument("--dump", metavar="FILE", help="with --profile: also write the raw pstats to FILE")
    args = parser.parse_args()

    with contextlib.ExitStack() as stack:
        folder = Path(tempfile.mkdtemp(prefix="bahk-sentry-profile-"))
        stack.callback(shutil.rmtree, folder, ignore_errors=True)
        redis = RedisServer().start()
        stack.callback(redis.stop)
        sink = subprocess.Popen(
            [sys.executable, "-c", SINK], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        stack.callback(sink.wait, 10)
        stack.callback(sink.stdin.close)
        dsn = sink.stdout.readline().strip()

        if args.config == "variant":
            settings, values = VARIANT, {"SENTRY_DSN": "{dsn}", "BENCH_SENTRY_VARIANT": args.variant}
        else:
            config = CONFIGS_BY_NAME[args.config]
            settings, values = config.settings, config.env
        env = heroku_env(
            "web.1",
            DATABASE_URL=f"sqlite:///{folder / 'db.sqlite3'}",
            REDIS_URL=redis.url,
            DJANGO_SETTINGS_MODULE=settings,
        )
        build(env)
        migrate(env | {"DJANGO_SETTINGS_MODULE": "bench.shims.sentry_settings"})
        env |= {name: value.format(dsn=dsn) for name, value in values.items()}
        env |= dict(pair.split("=", 1) for pair in args.set)
        os.environ.clear()
        os.environ.update(env)

        from bahk.wsgi import application

        path = REQUESTS[args.request]
        for _ in range(300):
            call(application, path)
        profiler = cProfile.Profile(time.process_time) if args.profile else None
        if profiler:
            profiler.enable()
        batches = []
        for _ in range(args.count // BATCH):
            started = time.process_time()
            for _ in range(BATCH):
                call(application, path)
            batches.append((time.process_time() - started) * 1000 / BATCH)
        if profiler:
            profiler.disable()
        import sentry_sdk

        started = time.process_time()
        sentry_sdk.flush(timeout=10)
        flush_ms = (time.process_time() - started) * 1000 / args.count
        sentry_sdk.get_client().close()
        print(
            f"{args.config} {args.variant or ''} {' '.join(args.set)} {args.request}: "
            f"{statistics.median(batches):.3f} ms CPU/request (median of {len(batches)} batches of {BATCH}, "
            f"{min(batches):.3f}-{max(batches):.3f}), flush {flush_ms:.3f}"
        )
        if profiler:
            stats = pstats.Stats(profiler)
            if args.dump:
                stats.dump_stats(args.dump)
            stats.sort_stats("cumulative").print_stats(r"sentry_sdk|sentry_heroku|bahk", 45)
            stats.sort_stats("tottime").print_stats(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
