"""What Heroku's build runs: collectstatic with no config vars, and check --deploy under a dyno's environment."""

import json

from tests.support.processes import ROOT, clean_env, heroku_env, run_command


def test_collectstatic_succeeds_with_an_empty_environment_as_the_buildpack_runs_it():
    manifest = ROOT / "staticfiles" / "staticfiles.json"
    before = manifest.stat().st_mtime_ns if manifest.exists() else None
    # The buildpack runs it before any config var exists: no DATABASE_URL, REDIS_URL or secret key;
    # only what its Python needs to run (LD_LIBRARY_PATH on Heroku).
    env = {name: value for name, value in clean_env().items() if name in ("PATH", "HOME", "LD_LIBRARY_PATH")}

    result = run_command(["python", "manage.py", "collectstatic", "--noinput"], env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert manifest.stat().st_mtime_ns != before, "collectstatic did not write the manifest"
    paths = json.loads(manifest.read_text())["paths"]
    assert "leaflet/leaflet.js" in paths
    assert "admin/css/base.css" in paths
    hashed = paths["leaflet/leaflet.js"]
    assert (ROOT / "staticfiles" / hashed).exists()
    assert (ROOT / "staticfiles" / f"{hashed}.gz").exists(), "whitenoise did not pre-compress it"


def test_check_deploy_prints_no_warning_under_a_heroku_like_environment(tmp_path):
    env = heroku_env("web.1", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")

    result = run_command(["python", "manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_check_deploy_does_warn_without_heroku_so_the_check_above_can_fail():
    result = run_command(["python", "manage.py", "check", "--deploy", "--fail-level", "WARNING"], clean_env())

    assert result.returncode != 0
    assert "security.W004" in result.stderr  # no HSTS off Heroku
