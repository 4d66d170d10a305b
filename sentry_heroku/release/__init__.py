"""The release pipeline: the release's name (name.py) and Sentry's release API (sentry_api.py).

The release phase runs `manage.py register_sentry_release` (management/commands/), which uses both;
their variables are read in sentry_heroku/config.py. docs/release-phase.md tells the whole story.
"""
