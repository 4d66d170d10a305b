"""What Heroku's build reads: app.json, runtime.txt and .python-version, the pinned requirements."""

import importlib.metadata
import json
import re
import sys

import jsonschema
import pytest
from django.urls import resolve

from sentry_heroku.config import PRODUCTION_TRACES_SAMPLE_RATE
from tests.support.processes import ROOT

# Heroku's app.json schema (as published in SchemaStore), kept with the tests so a clone validates on its own.
APP_JSON_SCHEMA = ROOT / "tests" / "schemas" / "app-json.schema.json"
APP_JSON = json.loads((ROOT / "app.json").read_text())
README = (ROOT / "README.md").read_text()
CONFIGURATION = (ROOT / "docs" / "configuration.md").read_text()


def test_app_json_is_valid_against_herokus_schema():
    schema = json.loads(APP_JSON_SCHEMA.read_text())

    jsonschema.validate(APP_JSON, schema)


def test_app_json_generates_the_secret_key_and_asks_for_sentry_without_requiring_it():
    env = APP_JSON["env"]

    assert env["DJANGO_SECRET_KEY"]["generator"] == "secret"
    for name in (
        "SENTRY_DSN",
        "SENTRY_ENVIRONMENT",
        "SENTRY_TRACES_SAMPLE_RATE",
        "SENTRY_AUTH_TOKEN",
        "SENTRY_ORG",
        "SENTRY_PROJECT",
    ):
        assert env[name].get("required") is False, f"{name} must not block the Deploy button"
    for name, spec in env.items():
        assert spec.get("description"), f"{name} has no description"
        assert f"`{name}`" in CONFIGURATION, f"{name} is not in docs/configuration.md"


def test_app_json_provisions_postgres_and_redis_and_one_basic_web_and_worker_dyno():
    plans = [addon if isinstance(addon, str) else addon["plan"] for addon in APP_JSON["addons"]]

    assert sorted(plan.split(":")[0] for plan in plans) == ["heroku-postgresql", "heroku-redis"]
    # The same plans the README's `heroku addons:create` lines name.
    for plan in plans:
        assert f"heroku addons:create {plan}" in README
    assert APP_JSON["formation"] == {
        "web": {"quantity": 1, "size": "basic"},
        "worker": {"quantity": 1, "size": "basic"},
    }
    assert APP_JSON["buildpacks"] == [{"url": "heroku/python"}]


def test_app_json_runs_the_readmes_test_command_on_heroku_ci_with_in_dyno_servers():
    test = APP_JSON["environments"]["test"]

    # Heroku CI's dynos have no Chromium, and its in-dyno add-ons cannot be restarted or speak TLS:
    # it runs everything but the browser test, the tests with servers of their own, and those that reach
    # the package index: a test run there touches nothing beyond its dyno.
    assert test["scripts"]["test"] == "bin/test -m 'not browser and not own_servers and not network'"
    assert f"$ {test['scripts']['test']}" in README
    assert sorted(test["addons"]) == ["heroku-postgresql:in-dyno", "heroku-redis:in-dyno"]


def test_app_json_files_review_apps_apart_from_production():
    review = APP_JSON["environments"]["review"]

    # The root env applies to every app built from app.json: it must not name production for review apps.
    assert "value" not in APP_JSON["env"]["SENTRY_ENVIRONMENT"]
    assert "SENTRY_ENVIRONMENT" not in review.get("env", {})  # the dyno's HEROKU_PR_NUMBER decides: review
    assert review["formation"] == {
        "web": {"quantity": 1, "size": "basic"},
        "worker": {"quantity": 1, "size": "basic"},
    }
    assert sorted(plan.split(":")[0] for plan in review["addons"]) == ["heroku-postgresql", "heroku-redis"]
    assert review["scripts"]["postdeploy"] == APP_JSON["scripts"]["postdeploy"]
    assert float(review["env"]["SENTRY_TRACES_SAMPLE_RATE"]["value"]) < PRODUCTION_TRACES_SAMPLE_RATE


def test_app_json_success_url_is_a_page_of_the_app():
    assert resolve(APP_JSON["success_url"]).url_name


def test_runtime_txt_and_python_version_name_the_same_python_as_the_venv():
    python_version = (ROOT / ".python-version").read_text().strip()
    runtime = (ROOT / "runtime.txt").read_text().strip()

    assert runtime == f"python-{python_version}"
    assert python_version == f"{sys.version_info.major}.{sys.version_info.minor}"


def requirement_lines(name: str) -> list[str]:
    lines = (ROOT / name).read_text().splitlines()
    return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]


INCLUDE = re.compile(r"^-r requirements(-test)?\.txt$")
PIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[a-z0-9,_-]+\])?==[0-9][0-9A-Za-z.+!-]*$")


@pytest.mark.parametrize("name", ["requirements.txt", "requirements-test.txt", "requirements-dev.txt"])
def test_every_requirement_is_pinned_exactly(name):
    lines = [line for line in requirement_lines(name) if not INCLUDE.match(line)]

    unpinned = [line for line in lines if not PIN.match(line)]
    assert lines and not unpinned


def test_requirements_txt_has_django_6_1_and_every_production_dependency():
    pins = dict(line.split("==") for line in requirement_lines("requirements.txt"))

    assert re.fullmatch(r"6\.1\.\d+", pins["Django"])
    # celery[redis]: kombu's Redis transport imports packaging, which only that extra installs.
    for package in (
        "gunicorn",
        "dj-database-url",
        "whitenoise",
        "sentry-sdk",
        "celery[redis]",
        "redis",
        "psycopg[binary]",
    ):
        assert package in pins


def test_requirements_dev_builds_on_requirements_txt():
    assert requirement_lines("requirements-dev.txt")[0] == "-r requirements.txt"


def test_requirements_txt_is_the_only_dependency_manifest_the_buildpack_could_pick():
    others = ["Pipfile", "Pipfile.lock", "poetry.lock", "uv.lock", "setup.py", "setup.cfg"]

    assert [name for name in others if (ROOT / name).exists()] == []
    assert "[project]" not in (ROOT / "pyproject.toml").read_text()


def test_installed_packages_are_the_pinned_ones():
    pins = dict(line.split("==") for line in requirement_lines("requirements.txt"))
    # What `pip freeze` lists, read in-process: every distribution on this interpreter's path.
    installed = {
        distribution.metadata["Name"].lower().replace("_", "-"): distribution.version
        for distribution in importlib.metadata.distributions()
    }

    for package, version in pins.items():
        assert installed[package.split("[")[0].lower()] == version, package
