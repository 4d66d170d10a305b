"""The slug as Heroku's Python buildpack builds it: requirements.txt alone, in a virtualenv of its own.

Every test that starts a Procfile command (web, worker, release) or a one-off
manage.py runs it from here, never from the development venv: the test tools
there pull in packages production lacks. (kombu's Redis transport imports
packaging, which only pytest had brought in: the worker dyno crashed at boot
on Heroku while every test passed.) pytest stays in the development venv and
drives these processes from outside.

It is built once per hash of requirements.txt and .python-version, with the
Python the development venv was made from, and reused across runs. On
Heroku CI the Python running the tests is the slug: its build installed the
app's packages, and requirements-test.txt beside them.

venv_bin() builds and caches any other set of requirement lines the same way
(the lift test's venvs with only some of the optional libraries).
"""

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
SLUGS = ROOT / ".slug"
BUILT = ".built"
KEY_LENGTH = 16


def venv_key(requirements: str) -> str:
    digest = hashlib.sha256(requirements.encode())
    digest.update((ROOT / ".python-version").read_bytes())
    return digest.hexdigest()[:KEY_LENGTH]


def slug_key() -> str:
    return venv_key((ROOT / "requirements.txt").read_text())


def slug_bin() -> Path:
    """The bin folder of the slug's Python (python, gunicorn, celery), built on first use."""
    if os.environ.get("HEROKU_TEST_RUN_ID"):
        return Path(sys.executable).parent
    return venv_bin((ROOT / "requirements.txt").read_text())


def venv_bin(requirements: str, label: str = "") -> Path:
    """The bin folder of a virtualenv with these requirement lines installed, built once per their hash.

    label names a kind of venv (the slug has none); building one removes only the stale ones of its kind.
    """
    venv = SLUGS / (label + venv_key(requirements))
    if not (venv / BUILT).exists():
        SLUGS.mkdir(exist_ok=True)
        # Two test runs at once (two worktrees, bin/test and a bench) build it once.
        with open(SLUGS / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not (venv / BUILT).exists():
                build(venv, requirements, label)
    return venv / "bin"


def build(venv: Path, requirements: str, label: str) -> None:
    for stale in SLUGS.iterdir():
        if stale.is_dir() and stale.name[:-KEY_LENGTH] == label:
            shutil.rmtree(stale)
    subprocess.run([sys._base_executable, "-m", "venv", str(venv)], check=True)
    (venv / "requirements.txt").write_text(requirements)
    subprocess.run(
        [venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-r", venv / "requirements.txt"],
        check=True,
    )  # fmt: skip
    (venv / BUILT).write_text(venv.name)


# What the buildpack does not put in a slug, and what a checkout has that a commit does not.
NOT_IN_THE_BUILD = shutil.ignore_patterns(
    ".git", ".venv", ".slug", "__pycache__", "staticfiles", ".broker", "db.sqlite3", ".build-commit", "results"
)


def copy_of_the_build(folder: Path) -> Path:
    """The commit's files in folder, as the buildpack lays them out before bin/post_compile: no .git, no
    .build-commit, whatever this checkout (or Heroku CI's own build) holds beside them."""
    shutil.copytree(ROOT, folder, ignore=NOT_IN_THE_BUILD)
    return folder
