from django.urls import path

from .drain.view import heroku_logs
from .views import sentry_debug

urlpatterns = [
    path("api/sentry-debug/", sentry_debug, name="sentry-debug"),
    # Heroku's HTTPS log drain; sampling.py keeps this path untraced.
    path("heroku/logs/", heroku_logs, name="heroku-logs"),
]
