"""How many processes and threads each dyno runs, read once from the environment.

gunicorn.conf.py takes the web dyno's workers and threads from here, settings.py
the worker dyno's Celery concurrency, and the capacity report (bahk/capacity.py)
multiplies the same numbers by the pools of bahk/backing_services.py: no second
copy to drift. Plain: gunicorn.conf.py imports it before Django is set up.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from bahk import env


@dataclass(frozen=True)
class ProcessSizes:
    web_concurrency: int  # gunicorn workers per web dyno
    gunicorn_threads: int  # threads per gunicorn worker
    worker_concurrency: int  # Celery prefork children per worker dyno


def read(environ: Mapping[str, str]) -> ProcessSizes:
    return ProcessSizes(
        # The Python buildpack sets WEB_CONCURRENCY from the dyno's memory and CPUs
        # (2 on a 512 MB basic dyno); one worker stays under 120 MB (see the README).
        web_concurrency=env.number(environ, "WEB_CONCURRENCY", 2, minimum=1, maximum=64),
        # Threads let a worker overlap its database and Redis waits; 4 per worker
        # keeps memory flat and the GIL uncontended on a shared-CPU dyno.
        gunicorn_threads=env.number(environ, "GUNICORN_THREADS", 4, minimum=1, maximum=64),
        # Two processes fit a 512 MB basic dyno with room to spare.
        worker_concurrency=env.number(environ, "WORKER_CONCURRENCY", 2, minimum=1, maximum=64),
    )
