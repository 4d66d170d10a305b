from django.urls import path

from .drain import heroku_logs

urlpatterns = [
    # Heroku's HTTPS log drain; sampling.py keeps this path untraced.
    path("heroku/logs/", heroku_logs, name="heroku-logs"),
]
