"""The raw ceiling for bench/map.py: gunicorn serving the map view's bytes and headers with no Django at all."""

import json
import os
from pathlib import Path

BODY = Path(os.environ["BENCH_MAP_BODY"]).read_bytes()
HEADERS = list(json.loads(Path(os.environ["BENCH_MAP_HEADERS"]).read_text()).items())


def application(environ, start_response):
    start_response("200 OK", HEADERS)
    return [BODY]
