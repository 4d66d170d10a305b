"""The Celery app: configured from Django's settings (CELERY_*), tasks found in each app's tasks.py."""

import os
import sys

from celery import Celery
from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bahk.settings")

app = Celery("bahk")
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
