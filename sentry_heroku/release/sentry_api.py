"""Sentry's release API, as the release phase uses it: create a release, link its commit, finalize it, record a deploy.

The requests are the ones sentry-cli sends for `releases new`, `set-commits --commit REPO@SHA`, `finalize` and
`deploys new`, made with the standard library and under one deadline (SENTRY_RELEASE_TIMEOUT), retried on
connection errors, 429 and 5xx. Why not sentry-cli, and how the deadline works: docs/release-phase.md.
"""

import email.utils
import http.client
import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from .. import limits
from ..config import ReleaseSettings

# Sentry's API answers in well under a second; an attempt this slow is
# abandoned and retried while time is left.
_ATTEMPT_TIMEOUT = 10.0
# Waits between attempts: 0.5 s, 1 s, 2 s, ... up to 8 s, unless Sentry says how long in Retry-After.
_FIRST_BACKOFF = 0.5
_MAX_BACKOFF = 8.0
_FULL_SHA = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class Release:
    """What to tell Sentry about this deploy."""

    version: str
    environment: str
    commit: str = ""
    deploy_name: str = ""
    deploy_url: str = ""
    started: str = ""


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: Mapping[str, str]
    body: object


class RegistrationFailed(Exception):
    """Registration could not finish; the message says why and what to fix, never the token."""


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def started_at(release_created_at: str, now: datetime) -> str:
    """When the Heroku release was created (dyno metadata), else now."""
    try:
        created = datetime.fromisoformat(release_created_at)
    except ValueError:
        return _iso(now)
    return _iso(created if created.tzinfo else created.replace(tzinfo=UTC))


def release_commit(dyno_commit: str, version: str) -> str:
    """The commit to link: the build's, else the release name when it is a full git SHA."""
    return dyno_commit or (version if _FULL_SHA.match(version) else "")


def check_version(version: str) -> str:
    if not version:
        raise RegistrationFailed(
            "no release name: set SENTRY_RELEASE, or build on Heroku, where bin/post_compile records the "
            "build's commit (or run `heroku labs:enable runtime-dyno-metadata`)"
        )
    # The rules Relay applies to every event's release (limits.py), so a name the SDK's events may carry.
    problem = limits.release_problem(version)
    if problem:
        raise RegistrationFailed(
            f"Sentry does not accept {version!r} as a release name: it {problem}; change SENTRY_RELEASE"
        )
    return version


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds to wait: a number of seconds or an HTTP date; None when absent or unreadable."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - now).total_seconds())


def backoff(attempt: int, retry_after: float | None) -> float:
    """Seconds to wait before attempt number attempt + 1: what Sentry asked for, else exponential."""
    if retry_after is not None:
        return retry_after
    return min(_FIRST_BACKOFF * 2**attempt, _MAX_BACKOFF)


def _explain(status: int, detail: str, settings: ReleaseSettings) -> str:
    """What a final (non-retried) error answer means, and what to change."""
    if status == 401:
        return (
            "Sentry did not accept SENTRY_AUTH_TOKEN (401 Unauthorized): use an organization auth token "
            "(scope org:ci) or a personal token with the project:releases and org:read scopes"
        )
    if status == 403:
        return (
            f"SENTRY_AUTH_TOKEN may not manage releases of {settings.org}/{settings.project} (403 Forbidden): "
            "it needs the org:ci scope (organization token) or project:releases (personal token)"
        )
    if status == 404:
        return (
            f"Sentry at {settings.url} has no organization {settings.org!r} or project {settings.project!r} "
            "(404 Not Found): SENTRY_ORG and SENTRY_PROJECT are the slugs in your Sentry's URLs "
            "(.../organizations/ORG/projects/PROJECT/); set SENTRY_URL for a self-hosted Sentry"
        )
    return f"Sentry refused the request ({status}): {detail}"


def _describe(error: BaseException, seconds: float) -> str:
    reason = error.reason if isinstance(error, urllib.error.URLError) else error
    if isinstance(reason, TimeoutError):
        return f"no answer within {seconds:.3g} s"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    return f"connection failed ({reason})"


class SentryReleases:
    """The four steps, each one request (or a few) against Sentry's API, under one deadline."""

    def __init__(
        self,
        settings: ReleaseSettings,
        *,
        say: Callable[[str], None],
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.settings = settings
        self.say = say
        self.clock = clock
        self.sleep = sleep
        self.deadline = clock() + settings.timeout
        self.org_path = f"/api/0/organizations/{quote(settings.org, safe='')}"

    def register(self, release: Release) -> None:
        version = check_version(release.version)
        target = f"{self.settings.org}/{self.settings.project}"
        created = self.call(
            "creating the release",
            "POST",
            f"{self.org_path}/releases/",
            {
                "version": version,
                "projects": [self.settings.project],
                "dateStarted": release.started,
            },
        )
        self.say(f"release {version} {'created' if created.status == 201 else 'already existed'} in {target}")
        self.set_commits(version, release.commit)
        self.call(
            "finalizing the release",
            "PUT",
            self.release_path(version),
            {
                "projects": [self.settings.project],
                "dateReleased": _iso(datetime.now(UTC)),
            },
        )
        self.say(f"release {version} finalized")
        self.call(
            "recording the deploy",
            "POST",
            self.release_path(version) + "deploys/",
            {
                "environment": release.environment,
                "name": release.deploy_name or None,
                "url": release.deploy_url or None,
                "dateStarted": release.started,
                "dateFinished": _iso(datetime.now(UTC)),
            },
        )
        where = f" at {release.deploy_url}" if release.deploy_url else ""
        self.say(f"deploy {release.deploy_name or '(unnamed)'} to {release.environment}{where} recorded")

    def set_commits(self, version: str, commit: str) -> None:
        repository = self.settings.repository
        if not repository:
            self.say("commits not linked: set SENTRY_REPOSITORY to the repository's name in Sentry (e.g. org/repo)")
            return
        if not commit:
            self.say("commits not linked: no commit known; run `heroku labs:enable runtime-dyno-metadata`")
            return
        known = self.repositories()
        if repository.lower() not in (name.lower() for name in known):
            raise RegistrationFailed(
                f"SENTRY_REPOSITORY {repository!r} is not a repository Sentry knows in {self.settings.org} "
                f"(it knows: {', '.join(known) or 'none'}); connect it under Settings → Integrations or fix the name"
            )
        # previousCommit null is what `set-commits --commit REPO@SHA` sends: Sentry then takes the
        # previous release's commit in this repository, when it knows one, as the start of the range.
        self.call(
            "linking the commit",
            "PUT",
            self.release_path(version),
            {"refs": [{"repository": repository, "commit": commit, "previousCommit": None}]},
        )
        self.say(f"commit {commit[:12]} of {repository} linked; Sentry adds the commits since the previous release")

    def repositories(self) -> list[str]:
        names, cursor = [], ""
        while True:
            page = self.call("listing repositories", "GET", f"{self.org_path}/repos/?cursor={cursor}")
            if not isinstance(page.body, list):
                raise RegistrationFailed("listing repositories: the answer is not Sentry's list; check SENTRY_URL")
            names += [repository.get("name", "") for repository in page.body]
            cursor = next_cursor(page.headers.get("Link", ""))
            if not cursor:
                return names

    def release_path(self, version: str) -> str:
        return f"{self.org_path}/releases/{quote(version, safe='@:')}/"

    def call(self, step: str, method: str, path: str, body: dict | None = None) -> _Answer:
        """One request, retried on connection errors, 429 and 5xx until the deadline; RegistrationFailed otherwise."""
        attempt = 0
        while True:
            seconds = min(self.deadline - self.clock(), _ATTEMPT_TIMEOUT)
            if seconds <= 0:
                raise RegistrationFailed(f"{step}: SENTRY_RELEASE_TIMEOUT ({self.settings.timeout:g} s) ran out")
            try:
                return self.send(method, path, body, timeout=seconds)
            except urllib.error.HTTPError as error:
                detail = self.detail(error)
                if error.code != 429 and error.code < 500:
                    raise RegistrationFailed(f"{step}: {_explain(error.code, detail, self.settings)}") from None
                problem = f"Sentry answered {error.code}"
                retry_after = retry_after_seconds(error.headers.get("Retry-After"), datetime.now(UTC))
            except ValueError:
                raise RegistrationFailed(f"{step}: the answer is not Sentry's JSON; check SENTRY_URL") from None
            except (OSError, http.client.HTTPException) as error:
                problem, retry_after = _describe(error, seconds), None
            wait = backoff(attempt, retry_after)
            if wait >= self.deadline - self.clock():
                raise RegistrationFailed(
                    f"{step}: {problem}; gave up within SENTRY_RELEASE_TIMEOUT ({self.settings.timeout:g} s)"
                )
            self.say(f"{step}: {problem}; retrying in {wait:g} s")
            self.sleep(wait)
            attempt += 1

    def send(self, method: str, path: str, body: dict | None, *, timeout: float) -> _Answer:
        headers = {"Authorization": f"Bearer {self.settings.auth_token}", "User-Agent": "sentry-heroku-release-phase"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        # S310 cannot know that config.read_release_settings() lets only http(s) into SENTRY_URL.
        url = self.settings.url + path
        request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            raw = response.read()
            return _Answer(response.status, response.headers, json.loads(raw) if raw.strip() else None)

    def detail(self, error: urllib.error.HTTPError) -> str:
        """An error answer's body, short and with the token removed, should a server ever echo it."""
        try:
            raw = error.read()
        except (OSError, http.client.HTTPException):
            raw = b""
        text = raw.decode(errors="replace").strip()[:300] or "(no detail)"
        return text.replace(self.settings.auth_token, "[token]") if self.settings.auth_token else text


def next_cursor(link: str) -> str:
    """The cursor of the next page in Sentry's Link header, when it says there are more results."""
    for part in link.split(","):
        if 'rel="next"' in part and 'results="true"' in part:
            match = re.search(r'cursor="([^"]*)"', part)
            if match:
                return match[1]
    return ""
