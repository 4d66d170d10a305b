"""The commit a release is named after: one string for the SDK's events and for the release phase's registration.

Sentry links an event to a release by this exact string, so both sides call
config.release_name(), which falls back to build_commit(), and nothing else builds it.
"""

import subprocess
from collections.abc import Mapping
from pathlib import Path

from ..dyno import read_dyno

ROOT = Path(__file__).resolve().parents[2]
# bin/post_compile writes the build's commit here: a slug has no .git, and
# SOURCE_VERSION is set only while the slug is built.
BUILD_COMMIT_FILE = ROOT / ".build-commit"


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


def recorded_build_commit(path: Path = BUILD_COMMIT_FILE) -> str:
    """The commit bin/post_compile recorded in the slug; "" outside a slug."""
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def build_commit(environ: Mapping[str, str], git=git_commit, recorded=recorded_build_commit) -> str:
    """The build's commit, the release unless SENTRY_RELEASE names another (config.release_name): from dyno
    metadata, SOURCE_VERSION (while building), the commit recorded in the slug, or git.

    Not sentry_sdk.utils.get_default_release(): it asks git before Heroku's variables and knows no recorded commit.
    """
    return read_dyno(environ).commit or environ.get("SOURCE_VERSION", "").strip() or recorded() or git()
