"""The Celery app: configured from Django's settings (CELERY_*), tasks found in each app's tasks.py."""

import os
import sys
import threading

from celery import Celery, Task
from django.core.exceptions import ImproperlyConfigured

from bahk.task_not_sent import TaskNotSent

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bahk.settings")


class _PublishLine:
    """The process's publishes, one at a time, and why the last one failed, for those that waited behind it.

    The producer pool holds one broker connection per process (backing_services.BROKER_POOL_LIMIT), so
    threads publish in turn anyway; behind a broker that never answers, each would then spend its own
    give-up time after the one before it (eight threads: about 8 s for the last, past the 5 s bound). A
    thread that waited here while the publish before it failed fails with it, so each gives up within
    one publish's time; one that comes after the failure tries the broker again. Only the reason is
    kept, never the error: its traceback holds another request's frames.
    Reentrant: a task run eagerly may enqueue another from the same thread.
    """

    def __init__(self):
        self.lock = threading.RLock()
        self.failures = 0
        self.last_reason = ""


_PUBLISH_LINE = _PublishLine()


class FailFastTask(Task):
    """Every task's publish: when the broker cannot be reached, the caller gets TaskNotSent, never silence."""

    def apply_async(self, *args, **kwargs):
        line = _PUBLISH_LINE
        failures_before = line.failures
        with line.lock:
            if line.failures != failures_before:
                raise TaskNotSent(self.name, self._queue(), line.last_reason)
            try:
                return super().apply_async(*args, **kwargs)
            except Exception as exc:
                not_sent = TaskNotSent.unless_sent(self.name, exc, queue=self._queue())
                if not_sent is None:
                    raise
                line.failures += 1
                line.last_reason = not_sent.reason
                raise not_sent from exc

    def _queue(self) -> str:
        return "at REDIS_URL" if self.app.conf.broker_url.startswith("redis") else "in the local .broker folder"


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
