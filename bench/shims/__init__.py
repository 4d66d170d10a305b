"""What the benches serve besides the project: each module is the project's settings, URLs or WSGI entry with the one
thing a bench compares it with added, nothing else changed.

- sentry_settings, sentry_urls: /bench/cached/, the cheap request of bench/sentry_overhead.py;
- worker_tasks: the trivial task of bench/worker.py, imported by sentry_settings' worker;
- bare_sentry_settings: Sentry as most projects ship it (a bare sentry_sdk.init), the baseline of both;
- sentry_variant_settings: the project's Sentry set-up with options changed (--variant);
- map_settings, map_urls: /bench/naive/ and /bench/ceiling/, what bench/map.py compares the map view with;
- map_raw: the raw ceiling of bench/map.py, the map's bytes from a plain WSGI callable.
"""
