"""The project's settings plus bench/map.py's comparison views; nothing else differs."""

from bahk.settings import *  # noqa: F403

ROOT_URLCONF = "bench.shims.map_urls"
