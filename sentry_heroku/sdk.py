"""Sentry for every process on a dyno: web, worker, release phase and one-off.

startup.init() calls init_sentry() once per process, so all of them start the
same way. What each event carries about the dyno is set on the *global*
scope: in sentry-sdk 2.x the isolation scope at start-up belongs to the main
thread only, and gunicorn's threads, Celery's pool and logging would not see it.
"""

import time
from collections import Counter
from importlib.util import find_spec

import sentry_sdk
from sentry_sdk.envelope import Envelope
from sentry_sdk.integrations.argv import ArgvIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.logging import LoggingIntegration, ignore_logger
from sentry_sdk.transport import HttpTransport, Transport
from sentry_sdk.utils import format_attribute

from . import grouping, limits, sampling
from .config import SentryConfig
from .connection_limits import group_limit_error
from .crons._beat import with_margins as crons_margins
from .dyno import Dyno
from .scrubbing import CLIENT_ADDRESS_HEADER_TERMS, scrub_event

# Where middleware.py leaves what it learnt from the live request.
REQUEST_SECRETS_HINT = "sentry_heroku_request_secrets"


class CountingTransport(HttpTransport):
    """The SDK's own HTTP transport, counting what it had to drop, so sentry_check can tell."""

    # Sentry answers in well under a second. The SDK's 30 s default leaves its one sender
    # thread deaf for half a minute after a black-holed request; 10 s recovers sooner.
    TIMEOUT = 10

    def __init__(self, options):
        super().__init__(options)
        self.dropped: Counter[str] = Counter()

    def on_dropped_event(self, reason: str) -> None:
        self.dropped[reason] += 1


class ErrorsFirstTransport(Transport):
    """Errors and Crons check-ins on one of the SDK's HTTP transports, everything else on another.

    Each has its own queue (transport_queue_size, 100 envelopes) and sender thread. With one, a busy
    dyno's transactions filled the queue and the SDK dropped errors behind them (queue_overflow,
    python -m bench.faults --only sentry-ok); a bigger queue only fills later. Transactions can now
    only crowd out transactions, logs and sessions, which the SDK's backpressure then samples down.
    """

    def __init__(self, options):
        super().__init__(options)
        self.urgent = CountingTransport(options)
        self.bulk = CountingTransport(options)
        # Whether the last flush sent everything: the SDK's flush callback cannot tell, as it fires
        # after 0.1 s of waiting, however the wait ends.
        self.drained = True

    @property
    def dropped(self) -> Counter[str]:
        return self.urgent.dropped + self.bulk.dropped

    def capture_envelope(self, envelope: Envelope) -> None:
        (self.urgent if is_urgent(envelope) else self.bulk).capture_envelope(envelope)

    def flush(self, timeout: float, callback=None) -> None:
        # Errors first: a dyno stopping with little time left sends what matters most.
        deadline = time.monotonic() + timeout
        self.urgent.flush(timeout, callback)
        self.bulk.flush(max(deadline - time.monotonic(), 0), callback)
        # Each queue's flush returns before its deadline only once that queue is empty.
        self.drained = time.monotonic() < deadline

    def kill(self) -> None:
        self.urgent.kill()
        self.bulk.kill()

    def record_lost_event(self, reason, data_category=None, item=None, *, quantity: int = 1) -> None:
        self.bulk.record_lost_event(reason, data_category, item, quantity=quantity)

    def is_healthy(self) -> bool:
        # The SDK's backpressure halves the traces rate at each check (every 10 s) this is False: the bulk
        # queue is what that relieves.
        return self.bulk.is_healthy()


# Item data categories (sentry_sdk.envelope.Item.data_category) that must not wait behind the rest.
URGENT_CATEGORIES = frozenset({"error", "default", "monitor"})


def is_urgent(envelope: Envelope) -> bool:
    return any(item.data_category in URGENT_CATEGORIES for item in envelope.items)


def dyno_tags(dyno: Dyno) -> dict[str, str]:
    """The tags users filter by: dyno:web.2, dyno_type:worker, heroku_release:v42; as Relay will store them."""
    tags = {
        "dyno": limits.tag_value(dyno.name),
        "dyno_type": limits.tag_value(dyno.process_type),
        "heroku_app": limits.tag_value(dyno.app_name),
        "heroku_release": limits.tag_value(dyno.release_version),
        # A review app's pull request and branch: its errors filed under "review", found by PR.
        "heroku_pr": limits.tag_value(dyno.pr_number),
        "heroku_branch": limits.tag_value(dyno.branch),
    }
    return {name: value for name, value in tags.items() if value}


def heroku_context(dyno: Dyno) -> dict[str, str]:
    context = {
        "app_id": dyno.app_id,
        "dyno_id": dyno.dyno_id,
        "release_created_at": dyno.release_created_at,
        "commit": dyno.commit,
        "slug_description": dyno.slug_description,
        "metadata": "on" if dyno.has_metadata else "off (heroku labs:enable runtime-dyno-metadata)",
    }
    return {name: value for name, value in context.items() if value}


def data_collection(config: SentryConfig) -> dict:
    """What the SDK collects by itself; scrubbing.py then removes secrets from whatever it sent."""
    terms = [] if config.send_default_pii and not config.scrub_ip_address else list(CLIENT_ADDRESS_HEADER_TERMS)
    return {
        "user_info": config.send_default_pii,
        "cookies": {"mode": "denylist", "terms": terms},
        "http_headers": {"request": {"mode": "denylist", "terms": terms}},
        "url_query_params": {"mode": "denylist", "terms": terms},
        "http_bodies": [] if config.request_bodies == "never" else ["incoming_request"],
        "database_query_data": config.send_default_pii,
        # Task arguments: positional ones have no name that could mark them secret.
        "queues": config.send_default_pii,
        "gen_ai": {"inputs": config.send_default_pii, "outputs": config.send_default_pii},
        "stack_frame_variables": config.with_locals,
    }


def before_send(config: SentryConfig):
    def process(event: dict, hint: dict) -> dict | None:
        if event.get("type") == "check_in":  # Sentry Crons: a slug, a status and a schedule, nothing to scrub
            return crons_margins(event)
        exc_info = hint.get("exc_info")
        if exc_info:
            fingerprint = grouping.fingerprint(exc_info[1])
            if fingerprint:
                event["fingerprint"] = fingerprint
        event = group_limit_error(event, exc_info[1] if exc_info else None)
        return scrub_event(event, hint.get(REQUEST_SECRETS_HINT, ()), scrub_ip_address=config.scrub_ip_address)

    return process


def before_send_transaction(config: SentryConfig):
    def process(event: dict, hint: dict) -> dict | None:
        if config.keep_slow_ms is not None and not sampling.keep_transaction(
            event, rate=config.traces_sample_rate, keep_slow_ms=config.keep_slow_ms
        ):
            return None
        return scrub_event(event, hint.get(REQUEST_SECRETS_HINT, ()), scrub_ip_address=config.scrub_ip_address)

    return process


def before_send_log(log: dict, hint: dict) -> dict | None:
    """The body and the attributes: a record's arguments and extras travel there (Celery's task arguments, and
    Django's "Internal Server Error" request, whose repr holds the query string). Extras are still objects
    here; scrub them as the text the SDK would send."""
    attributes = {name: format_attribute(value) for name, value in (log.get("attributes") or {}).items()}
    if is_client_error_record(attributes):
        return None
    log["attributes"] = drop_unshown_parameters(attributes)
    return scrub_event(log, scrub_ip_address=False)


def is_client_error_record(attributes: dict) -> bool:
    """Django's WARNING for a 4xx ("Not Found: /wp-login.php"): one per scanner request, each spending the logs
    quota, for a request Django already answered. It still reaches stdout (heroku logs); a 5xx is an ERROR."""
    status = attributes.get("status_code")
    return attributes.get("logger.name") == "django.request" and isinstance(status, int) and 400 <= status < 500


def drop_unshown_parameters(attributes: dict) -> dict:
    """Keep only the parameters the message shows. Celery logs "Task %(name)s[%(id)s] received" with the
    task's arguments as unused parameters, and a bare positional argument has no name to scrub it by."""
    if str(attributes.get("logger.name", "")).startswith("celery."):
        # Celery also puts every parameter, the task's arguments too, in a "data" extra.
        attributes = {name: value for name, value in attributes.items() if name != "data"}
    template = attributes.get("sentry.message.template")
    if not isinstance(template, str):
        return attributes
    prefix = "sentry.message.parameter."
    return {
        name: value
        for name, value in attributes.items()
        if not name.startswith(prefix)
        or name.removeprefix(prefix).isdigit()  # positional: "%s" shows them in order
        or f"%({name.removeprefix(prefix)})" in template
    }


def integrations(config: SentryConfig) -> list:
    chosen = [
        DjangoIntegration(
            transaction_style="url",
            # A span per request signal costs about as much as the view on a
            # cache hit and nobody reads them; middleware spans are off by default.
            signals_spans=False,
            # Cache spans cost ~0.15 ms on every cache call, sampled or not (bench/sentry_overhead.py);
            # the map view traces its own cache steps. SENTRY_CACHE_SPANS=1 adds them everywhere.
            cache_spans=config.cache_spans,
            # Errors only: no transaction object per request, which nobody would receive; the
            # request-context middleware continues the request's trace instead, for its errors and tasks.
            **({} if config.tracing else {"http_methods_to_capture": ()}),
        ),
        LoggingIntegration(
            level=config.breadcrumb_level,
            event_level=config.event_level,
            sentry_logs_level=config.logs_level,
        ),
    ]
    # The SDK fails init with DidNotEnable for a listed integration whose library is missing: list only those installed.
    if find_spec("celery"):
        from sentry_sdk.integrations.celery import CeleryIntegration  # its import alone needs Celery

        # Trace headers ride along with each task, and beat schedules check in to Crons.
        chosen.append(CeleryIntegration(monitor_beat_tasks=True))
    if find_spec("redis"):
        from sentry_sdk.integrations.redis import RedisIntegration

        chosen.append(RedisIntegration())
    return chosen


def init_sentry(config: SentryConfig, dyno: Dyno, *, static_url: str) -> bool:
    """Start the SDK when configured to; True when it started."""
    if not config.enabled:
        return False
    sentry_sdk.init(
        dsn=config.dsn or None,
        environment=config.environment,
        release=config.release or None,
        # Relay files it under the tags.
        server_name=limits.tag_value(dyno.name) or None,
        sample_rate=config.sample_rate,
        # With no sampler and no rate the SDK skips its per-request transaction
        # work entirely; errors still carry a trace id that tasks continue.
        traces_sampler=sampling.traces_sampler(
            config.traces_sample_rate, static_url=static_url, tail_mode=config.keep_slow_ms is not None
        )
        if config.tracing
        else None,
        profile_session_sample_rate=config.profiles_sample_rate,
        profile_lifecycle="trace",
        data_collection=data_collection(config),
        max_request_body_size=config.request_bodies,
        debug=config.debug,
        attach_stacktrace=config.attach_stacktrace,
        max_breadcrumbs=config.max_breadcrumbs,
        ignore_errors=list(config.ignore_errors),
        before_send=before_send(config),
        before_send_transaction=before_send_transaction(config),
        before_send_log=before_send_log,
        enable_logs=config.logs_level is not None,
        spotlight=config.spotlight or None,
        integrations=integrations(config),
        # The SDK's default ArgvIntegration puts sys.argv on every event: Heroku expands config vars in a
        # command line (`heroku run`, Scheduler jobs), so an argument can be a secret by value alone.
        disabled_integrations=[ArgvIntegration()],
        transport=ErrorsFirstTransport,
    )
    # Django logs every DisallowedHost at ERROR; the exception itself is already ignored.
    ignore_logger("django.security.DisallowedHost")
    # gunicorn logs each access line after the request's scope has closed: as a
    # breadcrumb it would be cleared unread by the next request, at ~20 µs apiece.
    ignore_logger("gunicorn.access")
    scope = sentry_sdk.get_global_scope()
    for name, value in dyno_tags(dyno).items():
        scope.set_tag(name, value)
        scope.set_attribute(name, value)  # Sentry Logs read attributes, not tags
    scope.set_context("heroku", heroku_context(dyno))
    return True


def flush_on_exit(**signal_arguments) -> None:
    """Send what the SDK still holds before a process goes (Heroku restarts every dyno daily).

    Gunicorn's worker_exit hook and Celery's worker_process_shutdown signal call it: a pool
    process leaves with os._exit, which skips the SDK's own flush at exit.
    """
    sentry_sdk.flush(timeout=2)
