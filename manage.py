#!/usr/bin/env python
import os
import signal
import sys

from django.core.exceptions import ImproperlyConfigured


def exit_on_sigterm(signum, frame):
    # Heroku stops release and one-off dynos with SIGTERM. Python's default
    # dies on the spot; exiting normally lets Sentry send what it still holds.
    sys.exit(128 + signum)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bahk.settings")
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        # A wrong config var: one line that names it, not a traceback.
        sys.exit(f"ImproperlyConfigured: {exc}")
