"""DJANGO_SECRET_KEY on a dyno: a weak key stops every process with one line naming it and the fix.

The rules are those of Django's check --deploy: at least 50 characters, at
least 5 different ones, not the "django-insecure-" prefix of a generated
development key. Off a dyno (a laptop, the build, Heroku CI) the local key
still stands in when none is set.
"""

import base64
import secrets

import pytest

from tests.integration.test_settings import settings_under
from tests.support.processes import clean_env, heroku_env

FIX = "heroku config:set DJANGO_SECRET_KEY=$(openssl rand -base64 48)"
# 50 characters, 16 of them different: what the smallest accepted key looks like.
GOOD_50 = "0123456789abcdef" * 3 + "01"

WEAK_KEYS = {
    "one character": "x",
    "49 characters": GOOD_50[:49],
    "4 different characters": "abcd" * 20,
    "Django's development prefix": "django-insecure-" + GOOD_50,
}

GOOD_KEYS = {
    "50 characters": GOOD_50,
    "5 different characters": "abcde" * 10,
    "what openssl rand -base64 48 prints": base64.b64encode(secrets.token_bytes(48)).decode(),
}


@pytest.mark.parametrize("key", WEAK_KEYS.values(), ids=WEAK_KEYS.keys())
def test_weak_secret_key_on_a_dyno_is_refused_naming_the_variable_the_rule_and_the_fix(key):
    error = settings_under(heroku_env("web.1", DJANGO_SECRET_KEY=key)).get("error")

    assert error is not None, f"DJANGO_SECRET_KEY={key!r} was accepted on a dyno"
    assert error.startswith("DJANGO_SECRET_KEY must have at least 50 characters, 5 of them different")
    assert FIX in error
    assert key not in error


@pytest.mark.parametrize("key", GOOD_KEYS.values(), ids=GOOD_KEYS.keys())
def test_strong_secret_key_on_a_dyno_is_used(key):
    assert settings_under(heroku_env("web.1", DJANGO_SECRET_KEY=key))["SECRET_KEY"] == key


def test_off_a_dyno_the_local_key_still_stands_in():
    chosen = settings_under(clean_env())

    assert chosen["IS_HEROKU_APP"] is False
    assert chosen["SECRET_KEY"].startswith("django-insecure-")
