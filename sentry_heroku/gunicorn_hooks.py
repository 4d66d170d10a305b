"""Gunicorn server hooks; gunicorn.conf.py imports them by name."""

from .sdk import flush_on_exit


def worker_exit(server, worker):
    flush_on_exit()
