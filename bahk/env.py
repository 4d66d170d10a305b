"""The project's typed readers for environment variables, and the dyno facts settings needs.

Every reader takes the environment as a mapping (``os.environ`` in production, a
plain dict in tests) and raises ``ImproperlyConfigured`` naming the variable and
the values it takes. An empty value counts as unset: ``heroku config:set X=`` is
a common way to "clear" a variable.
"""

# sentry_heroku/ has readers like these of its own: each folder must lift and be deleted alone.

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")


def text(environ: Mapping[str, str], name: str, default: str = "") -> str:
    return environ.get(name, "").strip() or default


def flag(environ: Mapping[str, str], name: str, default: bool = False) -> bool:
    value = text(environ, name).lower()
    if not value:
        return default
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of {', '.join(TRUE + FALSE)}; got {value!r}.")


def number(
    environ: Mapping[str, str],
    name: str,
    default: int,
    *,
    minimum: int,
    maximum: int,
) -> int:
    """A whole number from minimum to maximum: every number the project reads is a count or a port."""
    value = text(environ, name)
    if not value:
        return default
    problem = f"{name} must be a whole number from {minimum} to {maximum}; got {value!r}."
    try:
        parsed = int(value)
    except ValueError:
        raise ImproperlyConfigured(problem) from None
    if not minimum <= parsed <= maximum:
        raise ImproperlyConfigured(problem)
    return parsed


def choice(environ: Mapping[str, str], name: str, default: str, choices: Sequence[str]) -> str:
    value = text(environ, name, default)
    for accepted in choices:
        if value.lower() == accepted.lower():
            return accepted
    raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}; got {value!r}.")


def names(environ: Mapping[str, str], name: str, default: Sequence[str] = ()) -> list[str]:
    """A comma-separated list; surrounding spaces and empty items are dropped."""
    value = text(environ, name)
    if not value:
        return list(default)
    items = [item.strip() for item in value.split(",") if item.strip()]
    if not items:
        raise ImproperlyConfigured(f"{name} must be comma-separated names (or unset for the default); got {value!r}.")
    return items


@dataclass(frozen=True)
class Dyno:
    """What settings needs to know about the dyno: https://devcenter.heroku.com/articles/dyno-metadata"""

    name: str  # DYNO: web.1, run.1234; empty off Heroku
    default_domain: str  # HEROKU_APP_DEFAULT_DOMAIN_NAME, with runtime-dyno-metadata on
    on_heroku: bool


def read_dyno(environ: Mapping[str, str]) -> Dyno:
    name = text(environ, "DYNO")
    return Dyno(
        name=name,
        default_domain=text(environ, "HEROKU_APP_DEFAULT_DOMAIN_NAME"),
        # Heroku CI runs tests on dynos too: it sets DYNO and CI. bin/dev sets DYNO so the
        # processes look like a dyno's, and LOCAL_DYNO to say they are not on Heroku.
        on_heroku=bool(name) and "CI" not in environ and "LOCAL_DYNO" not in environ,
    )
