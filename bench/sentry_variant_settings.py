"""The project's Sentry set-up with some options changed, for bench/sentry_overhead.py --variant NAME[+NAME].

sentry_heroku/sdk.py is not touched: while bahk.settings runs, sentry_sdk.init is
wrapped so the variant named by BENCH_SENTRY_VARIANT can change the options
init_sentry() passes. Each variant measures one proposed change.
"""

import functools
import os

import sentry_sdk
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.redis import RedisIntegration

from sentry_heroku import scrubbing


def django_integration(**changes):
    def change(options: dict) -> dict:
        integrations = []
        for integration in options["integrations"]:
            if isinstance(integration, DjangoIntegration):
                kept = {
                    "transaction_style": integration.transaction_style,
                    "middleware_spans": integration.middleware_spans,
                    "signals_spans": integration.signals_spans,
                    "cache_spans": integration.cache_spans,
                }
                integration = DjangoIntegration(**(kept | changes))
            integrations.append(integration)
        return options | {"integrations": integrations}

    return change


def options(**changes):
    return lambda given: given | changes


def cached_secret_keys(given: dict) -> dict:
    """scrubbing.is_secret_key answered from a cache: an event repeats the same few hundred keys."""
    check = functools.lru_cache(maxsize=4096)(scrubbing.is_secret_key)
    scrubbing.is_secret_key = lambda key: isinstance(key, str) and check(key)
    return given


def no_middleware_wrap(given: dict) -> dict:
    """Django's middleware left unwrapped: the SDK wraps each one even with middleware_spans off."""
    import sentry_sdk.integrations.django as django_integration_module

    django_integration_module.patch_django_middlewares = lambda: None
    return given


def without(integration_type):
    def change(given: dict) -> dict:
        kept = [integration for integration in given["integrations"] if not isinstance(integration, integration_type)]
        return given | {"integrations": kept, "disabled_integrations": [integration_type()]}

    return change


def no_access_log_breadcrumbs(given: dict) -> dict:
    """gunicorn's access log line, logged after the response, as no breadcrumb and no Sentry log."""
    from sentry_sdk.integrations.logging import ignore_logger

    ignore_logger("gunicorn.access")
    return given


VARIANTS = {
    "no-access-log-breadcrumbs": no_access_log_breadcrumbs,
    "no-middleware-wrap": no_middleware_wrap,
    "no-redis": without(RedisIntegration),
    "no-wsgi-transaction": django_integration(http_methods_to_capture=()),
    "no-cache-spans": django_integration(cache_spans=False),
    # Errors only with tracing switched off in the SDK, rather than a sampler that always answers 0.
    "no-tracing": options(traces_sampler=None, traces_sample_rate=None),
    "no-session-tracking": options(auto_session_tracking=False),
    "no-logs": options(enable_logs=False),
    "no-request-bodies": options(max_request_body_size="never"),
    "cached-secret-keys": cached_secret_keys,
    # Spans and transactions of the SDK's own integrations become no-ops; errors keep their trace id.
    "otel-instrumenter": options(instrumenter="otel"),
    # Measures what scrubbing costs per sent transaction; not a proposal to send them unscrubbed.
    "no-transaction-scrub": options(before_send_transaction=None),
}


def chosen(name: str) -> list:
    """One variant, or several joined with "+" (no-cache-spans+no-logs)."""
    return [VARIANTS[part] for part in name.split("+")]


_changes = chosen(os.environ["BENCH_SENTRY_VARIANT"]) if os.environ.get("BENCH_SENTRY_VARIANT") else []
_init = sentry_sdk.init


def _init_with_variant(*args, **given):
    for change in _changes:
        given = change(given)
    return _init(*args, **given)


sentry_sdk.init = _init_with_variant
try:
    from bench.sentry_settings import *  # noqa: F403
finally:
    sentry_sdk.init = _init
