"""The release name: one string for the SDK's events and for the release phase's registration.

Sentry links an event to a release by this exact string, so both sides call
release_name() and nothing else builds it.
"""

import subprocess
from pathlib import Path

from ..dyno import Dyno

ROOT = Path(__file__).resolve().parents[2]
# bin/post_compile writes the build's commit here: a slug has no .git, and
# SOURCE_VERSION is set only while the slug is built.
_BUILD_COMMIT_FILE = ROOT / ".build-commit"


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


def recorded_build_commit(path: Path = _BUILD_COMMIT_FILE) -> str:
    """The commit bin/post_compile recorded in the slug; "" outside a slug."""
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def release_name(explicit: str, dyno_commit: str, source_version: str, *, git=git_commit,
                 recorded=recorded_build_commit) -> str:  # fmt: skip
    """SENTRY_RELEASE (explicit), else the build's commit: from dyno metadata, SOURCE_VERSION (while building), the
    commit recorded in the slug, or git. config.read_release_name() reads the variables.

    Not sentry_sdk.utils.get_default_release(): it asks git before Heroku's variables and knows no recorded commit.
    """
    return explicit or dyno_commit or source_version or recorded() or git()


def environment_name(explicit: str, dyno: Dyno) -> str:
    """SENTRY_ENVIRONMENT or ENVIRONMENT (explicit), else review on a review app, production on any other Heroku
    app and development elsewhere.

    Every review app shares the one "review" environment, told apart by its heroku_pr and heroku_branch tags:
    Sentry cannot delete an environment, only hide it, so one per pull request would pile up.
    """
    return explicit or ("review" if dyno.is_review_app else "production" if dyno.on_heroku else "development")
