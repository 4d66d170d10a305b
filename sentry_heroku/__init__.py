"""Sentry for a Django app on Heroku, in one folder.

Every error, transaction and log of every process carries the dyno it came
from and the commit as its release; secrets are scrubbed before anything
leaves the dyno; the release phase registers each release and deploy. It
needs Django and sentry-sdk; Celery and redis-py are used when installed.

Set-up (`manage.py check` names any piece missing, with its fix: checks.py):
- settings.py: "sentry_heroku" in INSTALLED_APPS;
  "sentry_heroku.middleware.SentryHerokuMiddleware" in MIDDLEWARE, early;
  last, ``sentry_heroku.init(os.environ, static_url=STATIC_URL)``;
- urls.py, for the log drain and the debug view: ``path("", include("sentry_heroku.urls"))``;
- optional: ``release: python manage.py register_sentry_release`` in the Procfile (after migrate),
  and in gunicorn.conf.py ``from sentry_heroku.gunicorn_hooks import ...`` (its docstring says what).

Where things are:
- startup.py: init() and current(), the one entry point; config.py: every variable the app reads;
- sdk.py: sentry_sdk.init, the integrations, and the dyno's tags on every event (dyno_tags);
- middleware.py: SentryHerokuMiddleware, the request's context; watchdog.py: slow requests' reports;
- scrubbing.py: secrets out of events; sampling.py: which transactions; grouping.py,
  connection_limits.py: fingerprints; limits.py: what Relay keeps; routes.py: transaction names;
- dyno.py: what Heroku tells a dyno; env.py: typed environment readers;
- drain/: Heroku's log drain (view, frames, lines, events, throttle, scheduler); crons/: Sentry Crons;
- release/: the release's name and Sentry's release API; management/commands/: register_sentry_release
  (the release phase) and sentry_check (is it set up, do events arrive);
- apps.py: registers the checks and the flush hooks; checks.py: the set-up's system checks;
- instrumentation.py: decorators for code outside requests;
- gunicorn_hooks.py: gunicorn's hooks; views.py, urls.py, tasks.py: the debug view and its task.
"""

from .startup import Setup, current, init

__all__ = ["Setup", "current", "init"]
