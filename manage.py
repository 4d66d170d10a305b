#!/usr/bin/env python
import os
import sys

from django.core.exceptions import ImproperlyConfigured

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bahk.settings")
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        # A wrong config var: one line that names it, not a traceback.
        sys.exit(f"ImproperlyConfigured: {exc}")
