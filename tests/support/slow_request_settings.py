"""The project's settings plus a view that sleeps, for tests/integration/test_slow_request_watchdog.py.

The sleeping view exists only under these settings (DJANGO_SETTINGS_MODULE in
the test's environment): bahk/urls.py never routes to it, so no deployed
dyno can be made to hold a thread with it.
"""

from bahk.settings import *  # noqa: F403

ROOT_URLCONF = "tests.support.slow_request_urls"
