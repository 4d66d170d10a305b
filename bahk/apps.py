from django.apps import AppConfig


class BahkConfig(AppConfig):
    """The project itself, as an app: for its management commands (capacity) and this wiring."""

    name = "bahk"
    verbose_name = "bahk"

    def ready(self):
        from django.conf import settings

        from bahk import capacity
        from sentry_heroku import connection_limits

        # A connection-limit error's event carries this process's connection budget.
        connection_limits.describe_capacity_with(lambda: capacity.event_context(settings))
