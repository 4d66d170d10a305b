"""sentry_heroku.env: a config var is accepted in the forms people type; a wrong one is named with what it takes."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from sentry_heroku import env


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", True),
        ("true", True),
        ("TRUE", True),
        (" yes ", True),
        ("on", True),
        ("0", False),
        ("false", False),
        ("No", False),
        ("off", False),
    ],
)
def test_flag_accepts_the_usual_spellings(value, expected):
    assert env.flag({"DJANGO_DEBUG": value}, "DJANGO_DEBUG") is expected


@pytest.mark.parametrize("environ", [{}, {"DJANGO_DEBUG": ""}, {"DJANGO_DEBUG": "  "}], ids=["unset", "empty", "blank"])
@pytest.mark.parametrize("default", [True, False])
def test_unset_or_empty_flag_takes_the_default(environ, default):
    assert env.flag(environ, "DJANGO_DEBUG", default=default) is default


@pytest.mark.parametrize(
    ("reader", "value", "named", "accepted"),
    [
        (lambda e: env.flag(e, "VAR"), "maybe", "VAR", "1, true, yes, on, 0, false, no, off"),
        (lambda e: env.flag(e, "VAR"), "2", "VAR", "1, true, yes, on, 0, false, no, off"),
        (
            lambda e: env.number(e, "VAR", 2, minimum=1, maximum=64, integer=True),
            "two",
            "VAR",
            "a whole number from 1 to 64",
        ),
        (
            lambda e: env.number(e, "VAR", 2, minimum=1, maximum=64, integer=True),
            "1.5",
            "VAR",
            "a whole number from 1 to 64",
        ),
        (
            lambda e: env.number(e, "VAR", 2, minimum=1, maximum=64, integer=True),
            "0",
            "VAR",
            "a whole number from 1 to 64",
        ),
        (
            lambda e: env.number(e, "VAR", 2, minimum=1, maximum=64, integer=True),
            "65",
            "VAR",
            "a whole number from 1 to 64",
        ),
        (lambda e: env.number(e, "VAR", 0.1, minimum=0, maximum=1), "1.5", "VAR", "a number from 0 to 1"),
        (lambda e: env.number(e, "VAR", 0.1, minimum=0, maximum=1), "-0.1", "VAR", "a number from 0 to 1"),
        (lambda e: env.number(e, "VAR", 0.1, minimum=0, maximum=1), "nan", "VAR", "a number from 0 to 1"),
        (lambda e: env.number(e, "VAR", 0.1, minimum=0, maximum=1), "10%", "VAR", "a number from 0 to 1"),
        (lambda e: env.number(e, "VAR", None, minimum=0), "-5", "VAR", "a number of at least 0"),
        (lambda e: env.number(e, "VAR", None, maximum=10), "11", "VAR", "a number of at most 10"),
        (lambda e: env.number(e, "VAR", None), "fast", "VAR", "a number;"),
        (lambda e: env.choice(e, "VAR", "INFO", ("DEBUG", "INFO")), "LOUD", "VAR", "DEBUG, INFO"),
    ],
)
def test_rejected_value_names_the_variable_the_accepted_values_and_the_value(reader, value, named, accepted):
    with pytest.raises(ImproperlyConfigured) as error:
        reader({"VAR": value})

    message = str(error.value)
    assert message.startswith(f"{named} must be")
    assert accepted in message
    assert repr(value) in message


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        ("3", {"integer": True, "minimum": 1, "maximum": 64}, 3),
        (" 64 ", {"integer": True, "minimum": 1, "maximum": 64}, 64),
        ("1", {"integer": True, "minimum": 1, "maximum": 64}, 1),
        ("0.25", {"minimum": 0, "maximum": 1}, 0.25),
        ("1", {"minimum": 0, "maximum": 1}, 1.0),
        ("0", {"minimum": 0, "maximum": 1}, 0.0),
        ("1e-3", {"minimum": 0}, 0.001),
        ("", {"integer": True}, 7),
        ("  ", {}, 7),
    ],
)
def test_number_accepts_values_in_range_and_takes_the_default_when_empty(value, kwargs, expected):
    result = env.number({"VAR": value}, "VAR", 7, **kwargs)

    assert result == expected
    assert type(result) is type(expected)


def test_unset_number_can_default_to_none():
    assert env.number({}, "SENTRY_TRACES_KEEP_SLOW_MS", None, minimum=0) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", "INFO"), ("debug", "DEBUG"), ("Warning", "WARNING"), (" ERROR ", "ERROR")],
)
def test_choice_is_case_insensitive_and_returns_the_canonical_spelling(value, expected):
    levels = ("DEBUG", "INFO", "WARNING", "ERROR")
    assert env.choice({"DJANGO_LOG_LEVEL": value}, "DJANGO_LOG_LEVEL", "INFO", levels) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("example.com", ["example.com"]),
        ("example.com, www.example.com", ["example.com", "www.example.com"]),
        (" a.com ,, b.com , ", ["a.com", "b.com"]),
        ("", ["default.example"]),
    ],
)
def test_names_splits_on_commas_and_drops_empty_items(value, expected):
    assert env.names({"DJANGO_ALLOWED_HOSTS": value}, "DJANGO_ALLOWED_HOSTS", ["default.example"]) == expected


def test_names_with_nothing_but_commas_names_the_variable():
    with pytest.raises(ImproperlyConfigured, match="DJANGO_ALLOWED_HOSTS must be comma-separated names"):
        env.names({"DJANGO_ALLOWED_HOSTS": " , ,"}, "DJANGO_ALLOWED_HOSTS", ["default.example"])


@pytest.mark.parametrize(("environ", "expected"), [({}, "fallback"), ({"V": ""}, "fallback"), ({"V": " x "}, "x")])
def test_text_is_trimmed_and_empty_counts_as_unset(environ, expected):
    assert env.text(environ, "V", "fallback") == expected
