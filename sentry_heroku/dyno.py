"""What Heroku tells a dyno about itself, read from the environment.

``DYNO`` is always set on a dyno. The other values come from the
runtime-dyno-metadata labs feature (``heroku labs:enable
runtime-dyno-metadata``) and are empty until it is turned on.
https://devcenter.heroku.com/articles/dyno-metadata
A review app also has ``HEROKU_PR_NUMBER`` and ``HEROKU_BRANCH``.
https://devcenter.heroku.com/articles/github-integration-review-apps#injected-environment-variables
"""

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

# Cedar names a dyno "<process type>.<number>": web.1, run.1234, release.9768.
CEDAR_NAME = re.compile(r"^(?P<type>[\w-]+)\.(?P<number>\d+)$")
# Fir names it like a Kubernetes pod: "<process type>-<replica set>-<pod>".
FIR_NAME = re.compile(r"^(?P<type>[\w-]+?)-[0-9a-z]{5,10}-[0-9a-z]{5}$")


def process_type(dyno_name: str) -> str:
    """The process type in a dyno name ("web.2" and "web-12a34b56d-e78f9" give "web")."""
    for pattern in (CEDAR_NAME, FIR_NAME):
        match = pattern.match(dyno_name)
        if match:
            return match["type"]
    return dyno_name


@dataclass(frozen=True)
class Dyno:
    name: str = ""
    process_type: str = ""
    app_name: str = ""
    app_id: str = ""
    dyno_id: str = ""
    release_version: str = ""
    release_created_at: str = ""
    commit: str = ""
    slug_description: str = ""
    default_domain: str = ""
    # A review app's pull request and branch; a branch is named by whoever opened the pull request.
    pr_number: str = ""
    branch: str = ""
    on_heroku: bool = False

    @property
    def has_metadata(self) -> bool:
        """True when the runtime-dyno-metadata labs feature is on."""
        return bool(self.app_name or self.release_version)

    @property
    def is_review_app(self) -> bool:
        """True on an app a pipeline built for a pull request: Heroku sets both variables there."""
        return bool(self.pr_number or self.branch)


def read_dyno(environ: Mapping[str, str] | None = None) -> Dyno:
    environ = os.environ if environ is None else environ

    def get(name: str) -> str:
        return environ.get(name, "").strip()

    name = get("DYNO")
    return Dyno(
        name=name,
        process_type=process_type(name) if name else "",
        app_name=get("HEROKU_APP_NAME"),
        app_id=get("HEROKU_APP_ID"),
        dyno_id=get("HEROKU_DYNO_ID"),
        release_version=get("HEROKU_RELEASE_VERSION"),
        release_created_at=get("HEROKU_RELEASE_CREATED_AT"),
        # HEROKU_SLUG_COMMIT is deprecated in favour of HEROKU_BUILD_COMMIT
        # but older apps still only have the former.
        commit=get("HEROKU_BUILD_COMMIT") or get("HEROKU_SLUG_COMMIT"),
        slug_description=get("HEROKU_SLUG_DESCRIPTION"),
        default_domain=get("HEROKU_APP_DEFAULT_DOMAIN_NAME"),
        pr_number=get("HEROKU_PR_NUMBER"),
        branch=get("HEROKU_BRANCH"),
        # Heroku CI runs tests on dynos too: it sets DYNO and CI. bin/dev sets
        # DYNO so local events look like a dyno's, and LOCAL_DYNO to say so.
        on_heroku=bool(name) and "CI" not in environ and "LOCAL_DYNO" not in environ,
    )
