"""The release name: one string for the SDK's events and for the release phase's registration.

Sentry links an event to a release by this exact string, so both sides call
release_name() and nothing else builds it.
"""

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from .dyno import read_dyno

ROOT = Path(__file__).resolve().parent.parent


def git_commit(folder: Path = ROOT) -> str:
    """HEAD's commit in a git checkout (a laptop); "" in a slug, which has no .git."""
    if not (folder / ".git").exists():
        return ""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""


def release_name(environ: Mapping[str, str] | None = None, git=git_commit) -> str:
    """SENTRY_RELEASE, else the build's commit (dyno metadata), else SOURCE_VERSION (set at build time), else git."""
    environ = os.environ if environ is None else environ
    return (
        environ.get("SENTRY_RELEASE", "").strip()
        or read_dyno(environ).commit
        or environ.get("SOURCE_VERSION", "").strip()
        or git()
    )


def environment_name(environ: Mapping[str, str] | None = None, *, on_heroku: bool) -> str:
    """SENTRY_ENVIRONMENT, else ENVIRONMENT, else production on Heroku and development elsewhere."""
    environ = os.environ if environ is None else environ
    return (
        environ.get("SENTRY_ENVIRONMENT", "").strip()
        or environ.get("ENVIRONMENT", "").strip()
        or ("production" if on_heroku else "development")
    )
