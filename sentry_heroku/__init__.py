"""Sentry for a Django app on Heroku, in one folder.

Every error, transaction and log of every process carries the dyno it came
from (dyno, dyno_type, heroku_app, heroku_release) and the commit as its
release; secrets are scrubbed before anything leaves the dyno; the release
phase registers each release and deploy. It depends on Django, sentry-sdk
and the standard library only (Celery and redis-py when the project has them).

To add it to a Django project on Heroku, copy this folder beside manage.py, then:
- settings.py: "sentry_heroku" in INSTALLED_APPS;
  "sentry_heroku.middleware.SentryHerokuMiddleware" in MIDDLEWARE (before SessionMiddleware);
  at the end, ``sentry_heroku.init(os.environ, static_url=STATIC_URL)``;
- urls.py: ``path("", include("sentry_heroku.urls"))`` for /api/sentry-debug/ and the log drain,
  /heroku/logs/ (off until HEROKU_DRAIN_SECRET is set);
- gunicorn.conf.py: ``from sentry_heroku.gunicorn_hooks import worker_exit`` and
  ``logger_class = "sentry_heroku.access_log.AccessLogger"``;
- Procfile: ``release: python manage.py register_sentry_release`` (after migrate).
"""

from .startup import Setup, current, init

__all__ = ["Setup", "current", "init"]
