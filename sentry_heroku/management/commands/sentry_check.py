"""python manage.py sentry_check: is this dyno's Sentry set up, and do events arrive?

Prints the effective configuration (never the DSN's key), sends a test
message and a test exception, waits for them to be sent and exits non-zero
when they were not delivered. Like every command it runs the system checks
first (sentry_heroku/checks.py), so a broken set-up is named, with its fix,
before anything is sent.
"""

import sentry_sdk
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError
from sentry_sdk.utils import Dsn

from ...crons import monitor_lines
from ...sdk import dyno_tags
from ...startup import current

_FLUSH_SECONDS = 10
# The project's connection report, where it has one (a `manage.py capacity`, as in this template): found by command
# name, so this app imports nothing of the project's.
_CAPACITY_COMMAND = "capacity"


class Command(BaseCommand):
    help = "Print the Sentry configuration of this dyno and send a test message and exception."

    def handle(self, **options):
        setup = current()
        config, dyno = setup.config, setup.dyno
        show = self.stdout.write
        if config.dsn:
            dsn = Dsn(config.dsn)
            show(f"dsn:         {dsn.scheme}://{dsn.host}/ project {dsn.project_id} (key not shown)")
        else:
            show("dsn:         not set (SENTRY_DSN)")
        show(f"environment: {config.environment}")
        show(f"release:     {config.release or '(none: set SENTRY_RELEASE or enable dyno metadata)'}")
        tags = dyno_tags(dyno)
        show("tags:        " + (", ".join(f"{k}={v}" for k, v in tags.items()) or "(none: DYNO is not set)"))
        if not dyno.has_metadata and dyno.on_heroku:
            show("note:        run `heroku labs:enable runtime-dyno-metadata` for heroku_app and heroku_release")
        show(
            f"rates:       errors {config.sample_rate:g}, traces {config.traces_sample_rate:g}"
            + (f" (+ every transaction over {config.keep_slow_ms:g} ms)" if config.keep_slow_ms is not None else "")
            + f", profiles {config.profiles_sample_rate:g}"
        )
        show(
            "log drain:   "
            + (
                "on, POST /heroku/logs/: platform errors, and failed scheduler.N runs as error check-ins"
                if config.drain_secret
                else "off (HEROKU_DRAIN_SECRET; docs/heroku-errors.md)"
            )
        )
        slow = config.slow_request_seconds
        show(f"watchdog:    requests running over {slow:g} s are reported" if slow else "watchdog:    off")
        _show_capacity(self)
        for line in monitor_lines():
            show(line)
        if config.force_disable:
            raise CommandError("Sentry is off: SENTRY_FORCE_DISABLE is set.")
        if not setup.enabled:
            raise CommandError("Sentry is off: set SENTRY_DSN to your project's DSN.")

        message_id = sentry_sdk.capture_message("sentry_check: test message from " + (dyno.name or "this machine"))
        try:
            raise RuntimeError("sentry_check: test exception")
        except RuntimeError as error:
            exception_id = sentry_sdk.capture_exception(error)
        show(f"sent:        message {message_id}, exception {exception_id}")

        sentry_sdk.flush(timeout=_FLUSH_SECONDS)
        transport = sentry_sdk.get_client().transport
        dropped = dict(getattr(transport, "dropped", {}))
        drained = getattr(transport, "drained", True)
        if not drained or dropped or not (message_id and exception_id):
            reason = f"dropped: {dropped}" if dropped else f"still unsent after {_FLUSH_SECONDS} s"
            raise CommandError(f"Events were not delivered ({reason}); check SENTRY_DSN and the network.")
        show("delivered:   yes")


def _show_capacity(command: BaseCommand) -> None:
    """The project's capacity report, if it has the command; a formation that does not fit is a line, not a failure."""
    if _CAPACITY_COMMAND not in get_commands():
        return
    try:
        call_command(_CAPACITY_COMMAND, stdout=command.stdout, stderr=command.stderr)
    except CommandError as warning:
        command.stdout.write(str(warning))
