from django.apps import AppConfig


class SentryHerokuConfig(AppConfig):
    name = "sentry_heroku"
    verbose_name = "Sentry for Heroku"

    def ready(self):
        from . import checks, crons  # noqa: F401 (importing checks registers them with manage.py check)

        crons.start()
        try:
            from celery.signals import worker_process_shutdown
        except ImportError:  # a project without Celery
            return
        from .sdk import flush_on_exit

        worker_process_shutdown.connect(flush_on_exit, dispatch_uid="sentry_heroku.flush_on_exit")
