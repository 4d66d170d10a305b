from django.apps import AppConfig


class BahkConfig(AppConfig):
    """The project itself, as an app: for its management commands (capacity) and this wiring."""

    name = "bahk"
    verbose_name = "bahk"

    def ready(self):
        from importlib import import_module

        from django.conf import settings

        from bahk import capacity

        def connection_budget():
            return capacity.event_context(settings)

        # A connection-limit error's event carries this process's connection budget. One line, so
        # that deleting sentry_heroku/ and the lines that name it leaves a working project.
        import_module("sentry_heroku.connection_limits").describe_capacity_with(connection_budget)
