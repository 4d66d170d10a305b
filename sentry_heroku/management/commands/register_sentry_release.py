"""python manage.py register_sentry_release: tell Sentry about this release and its deploy.

bin/release runs it after the migrations. It names the release with the
string the SDK puts on events (the config's release, from
sentry_heroku.release.name) and prints one line per step. A Sentry outage
never blocks a deploy: a failure is one warning and exit 0, unless
SENTRY_RELEASE_STRICT=1.
"""

import os
from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError

from ...config import read_release_settings
from ...release.sentry_api import RegistrationFailed, Release, SentryReleases, release_commit, started_at
from ...startup import current

PREFIX = "sentry: "


class Command(BaseCommand):
    help = "Create this release in Sentry, link its commit, finalize it and record the deploy."

    def handle(self, **options):
        config = read_release_settings(os.environ)
        if config.missing:
            self.say(f"release registration skipped; set {', '.join(config.missing)} to register releases and deploys")
            return
        setup = current()
        dyno, sentry = setup.dyno, setup.config
        if not dyno.has_metadata:
            self.say(
                "no dyno metadata, so the deploy has no Heroku release name or URL; "
                "run `heroku labs:enable runtime-dyno-metadata` to add them"
            )
        release = Release(
            version=sentry.release,
            environment=sentry.environment,
            commit=release_commit(dyno.commit, sentry.release),
            deploy_name=dyno.release_version,
            deploy_url=f"https://{dyno.default_domain}" if dyno.default_domain else "",
            started=started_at(dyno.release_created_at, datetime.now(UTC)),
        )
        try:
            SentryReleases(config, say=self.say).register(release)
        except RegistrationFailed as failure:
            if config.strict:
                raise CommandError(f"release not registered in Sentry: {failure}") from None
            self.stderr.write(
                f"{PREFIX}WARNING release not registered: {failure}. "
                "The deploy goes on; set SENTRY_RELEASE_STRICT=1 to fail it instead."
            )

    def say(self, line: str) -> None:
        self.stdout.write(PREFIX + line)
