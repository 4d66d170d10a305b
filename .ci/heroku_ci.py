"""Run app.json's test command the way Heroku CI runs it, on this machine (as root).

What Heroku CI does, and how it is stood in for here:
- the Python buildpack's test-compile builds the app into /app: the files of
  the commit (no .git), Heroku's Python under .heroku/python with
  requirements.txt and requirements-test.txt installed, no collectstatic,
  then bin/post_compile with SOURCE_VERSION set to the commit, so the build
  holds a .build-commit the tests do not control;
  Heroku's Python is a shared library without an rpath, so nothing starts
  without LD_LIBRARY_PATH: the copy of this machine's Python has its rpath
  removed the same way;
- the in-dyno PostgreSQL and Redis add-ons, reached only through
  DATABASE_URL and REDIS_URL: servers started here, while the server
  binaries are hidden from the tests (a private mount namespace);
- the test dyno: CI=true, HEROKU_TEST_RUN_*, not root.

    PYTHONPATH=. .venv/bin/python .ci/heroku_ci.py   (from .ci/run, which installs patchelf)

Exits with the test command's status.
"""

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.support.servers import PostgresServer, RedisServer, find_binary

ROOT = Path(__file__).resolve().parent.parent

TEST_USER = "heroku-ci"


def build_app(app: Path) -> Path:
    """test-compile: the commit's files and Heroku's Python with the app's and the tests' packages. Returns its lib."""
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (app / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, app / name)
    python_home = app / ".heroku" / "python"
    shutil.copytree(sys.base_prefix, python_home, symlinks=True)
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    for package in (python_home / "lib" / f"python{version}" / "site-packages").iterdir():
        if not package.name.startswith("pip"):  # Heroku's Python comes with pip and nothing else
            shutil.rmtree(package) if package.is_dir() else package.unlink()
    interpreter = python_home / "bin" / f"python{version}"
    subprocess.run(["patchelf", "--remove-rpath", str(interpreter)], check=True)
    lib = python_home / "lib"
    environ = {"PATH": os.environ["PATH"], "LD_LIBRARY_PATH": str(lib), "HOME": str(app)}
    subprocess.run(
        [interpreter, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-r", "requirements.txt", "-r", "requirements-test.txt"],
        cwd=app, env=environ, check=True,
    )  # fmt: skip
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    subprocess.run(["bash", "bin/post_compile"], cwd=app, env=environ | {"SOURCE_VERSION": commit.strip()}, check=True)
    return lib


def test_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(TEST_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", TEST_USER], check=True)
        return pwd.getpwnam(TEST_USER)


def run_tests(app: Path, lib: Path, database_url: str, redis_url: str) -> int:
    command = json.loads((app / "app.json").read_text())["environments"]["test"]["scripts"]["test"]
    user = test_user()
    subprocess.run(["chown", "-R", f"{user.pw_uid}:{user.pw_gid}", str(app)], check=True)
    dyno_env = {
        "PATH": f"{app / '.heroku/python/bin'}:/usr/local/bin:/usr/bin:/bin",
        "LD_LIBRARY_PATH": str(lib),
        "HOME": str(app),
        "LANG": "C.UTF-8",
        "CI": "true",
        "HEROKU_TEST_RUN_ID": "00000000-0000-4000-8000-000000000001",
        "HEROKU_TEST_RUN_BRANCH": "main",
        "HEROKU_TEST_RUN_COMMIT_VERSION": "0" * 40,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
    }
    # The server binaries out of reach: PostgreSQL's whole folder, and redis-server as a non-executable file.
    hide = (
        "mount -t tmpfs tmpfs /usr/lib/postgresql"
        f" && mount --bind /dev/null {Path(find_binary('redis-server')).resolve()}"
        ' && exec "$@"'
    )
    as_test_dyno = ["runuser", "-u", TEST_USER, "--", "env", "-i", *(f"{k}={v}" for k, v in dyno_env.items())]
    print(f"heroku_ci: {command}  (in {app}, as {TEST_USER}, server binaries hidden)", flush=True)
    return subprocess.run(
        ["unshare", "--mount", "bash", "-c", hide, "hide", *as_test_dyno, "bash", "-c", command], cwd=app, check=False
    ).returncode


def main() -> int:
    postgres, redis = PostgresServer().start(), RedisServer().start()
    folder = Path(tempfile.mkdtemp(prefix="heroku-ci-"))
    folder.chmod(0o755)  # the test user must reach /…/app
    try:
        app = folder / "app"
        app.mkdir()
        lib = build_app(app)
        return run_tests(app, lib, postgres.url("postgres"), redis.url)
    finally:
        postgres.stop()
        redis.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
