"""What Django's debug page, and its error reports, may show of the settings and the request.

Django hides a setting or request variable whose *name* looks secret
(SECRET_KEY, …PASSWORD, …TOKEN). The add-on URLs carry their password in the
*value* (CELERY_BROKER_URL, the cache's LOCATION, and under runserver every
environment variable in request.META: DATABASE_URL, REDIS_URL, SENTRY_DSN),
so this filter also hides whatever stands before the "@" of any URL.
"""

import re

from django.views.debug import SafeExceptionReporterFilter

# scheme://user:password@host and a DSN's scheme://public_key@host alike.
URL_CREDENTIALS = re.compile(r"(?P<scheme>\b[a-z][a-z0-9+.-]*://)[^/\s@]+@", re.IGNORECASE)


class SecretHidingReporterFilter(SafeExceptionReporterFilter):
    hidden_settings = re.compile(SafeExceptionReporterFilter.hidden_settings.pattern + "|DSN", flags=re.IGNORECASE)

    def cleanse_setting(self, key, value):
        value = super().cleanse_setting(key, value)
        if isinstance(value, str):
            return URL_CREDENTIALS.sub(rf"\g<scheme>{self.cleansed_substitute}@", value)
        return value
