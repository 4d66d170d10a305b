"""The Celery app: configured from Django's settings (CELERY_*), tasks found in each app's tasks.py."""

import os
import sys

from celery import Celery, Task
from django.core.exceptions import ImproperlyConfigured

from bahk.task_not_sent import TaskNotSent

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bahk.settings")


class FailFastTask(Task):
    """Every task's publish: when the broker cannot be reached, the caller gets TaskNotSent, never silence."""

    def apply_async(self, *args, **kwargs):
        try:
            return super().apply_async(*args, **kwargs)
        except Exception as exc:
            queue = "at REDIS_URL" if self.app.conf.broker_url.startswith("redis") else "in the local .broker folder"
            not_sent = TaskNotSent.unless_sent(self.name, exc, queue=queue)
            if not_sent is None:
                raise
            raise not_sent from exc


app = Celery("bahk", task_cls=FailFastTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_configure.connect
def _load_django_settings(sender: Celery, **kwargs) -> None:
    """A wrong config var stops the worker with one line naming it, as manage.py and wsgi.py do."""
    from django.conf import settings

    try:
        settings.INSTALLED_APPS  # noqa: B018 - evaluates bahk/settings.py
    except ImproperlyConfigured as exc:
        sys.exit(f"ImproperlyConfigured: {exc}")


@app.on_after_configure.connect
def _make_local_broker_folders(sender: Celery, **kwargs) -> None:
    """The filesystem broker (no REDIS_URL) expects its folders to exist."""
    from django.conf import settings

    if sender.conf.broker_url.startswith("filesystem://"):
        for folder in ("messages", "control", "results"):
            (settings.LOCAL_BROKER_DIR / folder).mkdir(parents=True, exist_ok=True)
