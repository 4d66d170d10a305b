"""No secret is committed: every tracked file is scanned for the credentials this template deals in.

A template is cloned, forked and pushed to Heroku by strangers; a DSN with
its key, a Sentry auth token or a cloud key in it would be everyone's.
The few fake values the tests need are allowed by path and by value, here,
one by one; the scanner is itself tested on planted secrets, so it cannot
pass by finding nothing.
"""

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.support.processes import ROOT

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
PATTERNS = {
    "Sentry DSN with its key": r"https?://[0-9a-f]{32}(?::[0-9a-f]{32})?@[^\s/\"'@]+",
    "Sentry auth token": r"\bsntry[su]_[A-Za-z0-9_+/=-]{20,}",
    "AWS access key id": r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
    "AWS secret access key": r"(?i:aws_secret_access_key)\W{0,5}[A-Za-z0-9/+=]{40}",
    "private key block": r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----\s*[A-Za-z0-9+/=]*",
    "Heroku API key": rf"\bHRKU-[A-Za-z0-9_-]{{20,}}|(?i:heroku_?api_?key)\W{{0,5}}{UUID}",
    "Slack token or webhook": r"\bxox[abposr]-[0-9A-Za-z-]{10,}|https://hooks\.slack\.com/services/[A-Za-z0-9/]+",
    "SECRET_KEY literal": r"SECRET_KEY\s*=\s*[\"'][^\"'\s]{20,}[\"']",
}
# (path, what the match must be in full): fake values the tests need, and the project's documented default.
ALLOWED = [
    (r"bahk/settings\.py", r"SECRET_KEY = \"django-insecure-local-development-key-do-not-use-in-production\""),
    (r"tests/.*\.py", r"SECRET_KEY\s*=\s*\"test-only-[^\"]+\""),
    (r"tests/.*\.py", r"sntrys_test_only_[0-9a-f]+"),
    # The sink's DSN: a key for a server on loopback opens nothing.
    (r"tests/support/sentry_sink\.py", r"http://[0-9a-f]{32}@127\.0\.0\.1:\{self\.port\}"),
    # AWS's documented example key, and a truncated fake key, inside the privacy test's secrets
    # (split, so this file does not hold them either).
    (r"tests/integration/test_sentry_privacy\.py", r"AKIAIOSFODNN7EXAMPL[E]"),
    (r"tests/integration/test_sentry_privacy\.py", r"-----BEGIN PRIVATE" r" KEY-----MIIEvQIBADANjk"),
]
SCANNER = re.compile("|".join(f"(?P<p{n}>{pattern})" for n, pattern in enumerate(PATTERNS.values())))
KINDS = list(PATTERNS)


def find_secrets(text: str) -> list[tuple[str, str]]:
    """(kind, matched text) for every credential-shaped string in text."""
    return [(KINDS[int(match.lastgroup[1:])], match.group()) for match in SCANNER.finditer(text)]


def unexpected_secrets(path: str, text: str) -> list[tuple[str, str]]:
    return [
        (kind, found)
        for kind, found in find_secrets(text)
        if not any(re.fullmatch(where, path) and re.fullmatch(value, found) for where, value in ALLOWED)
    ]


# What a build adds to the commit's files (Heroku CI builds without .git), and what a test run leaves.
NOT_COMMITTED = {
    ".git", ".heroku", ".profile.d", ".venv", ".slug", "__pycache__", "staticfiles", ".broker", ".pytest_cache",
    ".hypothesis", ".ruff_cache", "results", "db.sqlite3", ".build-commit",
}  # fmt: skip


def tracked_files() -> list[str]:
    """The commit's files: git's list in a checkout; in a build without .git, every file but what the build adds."""
    if (ROOT / ".git").exists():
        listing = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
        return [name for name in listing.decode().split("\0") if name]
    found = []
    for folder, folders, files in os.walk(ROOT):
        folders[:] = [name for name in folders if name not in NOT_COMMITTED]
        found += [str(Path(folder, name).relative_to(ROOT)) for name in files if name not in NOT_COMMITTED]
    return found


def test_no_tracked_file_holds_a_dsn_token_or_key():
    files = tracked_files()
    found = {}
    for path in files:
        file = ROOT / path
        if file.is_file():
            secrets = unexpected_secrets(path, file.read_bytes().decode("utf-8", "ignore"))
            if secrets:
                found[path] = secrets

    assert len(files) > 50  # the scan did see the repository
    assert not found


# Built at run time, so this file holds none of them.
KEY = "8f14e45fceea167a5a36dedd4bea2543"
PLANTED = {
    "Sentry DSN with its key": f"SENTRY_DSN=https://{KEY}@o4504.ingest.us.sentry.io/4508",
    "Sentry auth token": "SENTRY_AUTH_TOKEN=sntry" + "s_eyJpYXQiOjE3MDAwMDAwMDAuMCwidXJsIjoiaHR0cHM6",
    "AWS access key id": "aws_access_key_id = AKIA" + "Z5XQ3JH7PLM2RT4W",
    "AWS secret access key": "aws_secret_access_key = " + "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzQ8aB3kLm9",
    "private key block": "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo",
    "Heroku API key": "HEROKU_API_KEY=" + "2f7d86a4-9c3e-4b1a-8e5f-0a6b7c8d9e10",
    "Slack token or webhook": "xox" + "b-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "SECRET_KEY literal": 'SECRET_KEY = "' + "k#9f2!x@7z$w1q^e4r&t6y*u8i(o0p)" + '"',
}


@pytest.mark.parametrize("kind", PATTERNS)
def test_the_scanner_finds_a_planted_secret_of_each_kind(kind):
    assert kind in [found_kind for found_kind, _ in unexpected_secrets("bahk/settings.py", f"x = 1\n{PLANTED[kind]}\n")]


def test_an_allowed_fake_value_is_reported_outside_the_file_it_is_allowed_in():
    fake = "sntrys_test_only_" + "7f3c9a1e5b2d4c6f8a0b"

    assert unexpected_secrets("tests/integration/test_release_registration.py", fake) == []
    assert unexpected_secrets("sentry_heroku/release/name.py", fake) == [("Sentry auth token", fake)]


def test_a_heroku_token_is_found_and_a_heroku_app_id_is_not():
    assert find_secrets("HRKU-" + "AAq1w2e3r4t5y6u7i8o9p0aSdFgHjKlZxCvBnM")[0][0] == "Heroku API key"
    assert find_secrets("HEROKU_APP_ID=9daa2797-e49b-4624-932f-ec3f9688e3da") == []  # an app id is no secret
