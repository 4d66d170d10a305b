"""The release pipeline: the release's name (name.py), the one the SDK puts on every event, and its
registration with Sentry's releases and deploys API by the release phase (sentry_api.py, run by
``manage.py register_sentry_release``)."""
