"""bahk/env.py: the project's own readers take what people type, and name the variable and the fix otherwise."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from bahk import env


@pytest.mark.parametrize(("value", "expected"), [("", 2), (" 8 ", 8), ("64", 64)])
def test_a_count_is_read_as_typed_and_unset_is_the_default(value, expected):
    assert env.number({"WEB_CONCURRENCY": value}, "WEB_CONCURRENCY", 2, minimum=1, maximum=64) == expected


@pytest.mark.parametrize("value", ["0", "65", "2.5", "two"])
def test_a_wrong_count_names_the_variable_and_what_it_takes(value):
    with pytest.raises(
        ImproperlyConfigured, match=rf"^WEB_CONCURRENCY must be a whole number from 1 to 64; got '{value}'"
    ):
        env.number({"WEB_CONCURRENCY": value}, "WEB_CONCURRENCY", 2, minimum=1, maximum=64)


def test_flags_choices_and_names_take_the_usual_spellings():
    assert env.flag({"DJANGO_DEBUG": "Yes"}, "DJANGO_DEBUG") is True
    assert env.choice({"DJANGO_LOG_LEVEL": "warning"}, "DJANGO_LOG_LEVEL", "INFO", ("INFO", "WARNING")) == "WARNING"
    assert env.names({"DJANGO_ALLOWED_HOSTS": " a.example, ,b.example "}, "DJANGO_ALLOWED_HOSTS") == [
        "a.example",
        "b.example",
    ]
    with pytest.raises(ImproperlyConfigured, match=r"^DJANGO_DEBUG must be one of 1, true"):
        env.flag({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG")


@pytest.mark.parametrize(
    ("environ", "on_heroku"),
    [
        ({}, False),
        ({"DYNO": "web.1"}, True),
        # Heroku CI's test dynos, and bin/dev's local ones, are not the app's dynos.
        ({"DYNO": "web.1", "CI": "true"}, False),
        ({"DYNO": "web.1", "LOCAL_DYNO": "1"}, False),
    ],
)
def test_a_dyno_is_on_heroku_only_where_heroku_runs_the_app(environ, on_heroku):
    dyno = env.read_dyno(environ | {"HEROKU_APP_DEFAULT_DOMAIN_NAME": "bahk-1a2b.herokuapp.com"})
    assert dyno.on_heroku is on_heroku
    assert dyno.default_domain == "bahk-1a2b.herokuapp.com"
