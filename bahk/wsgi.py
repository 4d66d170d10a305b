import os
import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bahk.settings")

try:
    application = get_wsgi_application()
except ImproperlyConfigured as exc:
    # A wrong config var: one line in `heroku logs`, not a traceback through gunicorn.
    sys.exit(f"ImproperlyConfigured: {exc}")
