"""Typed readers for environment variables.

Every reader takes the environment as a mapping (``os.environ`` in
production, a plain dict in tests) and raises ``ImproperlyConfigured``
naming the variable and the accepted values when a value is wrong.
An empty value counts as unset: ``heroku config:set X=`` is a common way
to "clear" a variable.
"""

from collections.abc import Mapping, Sequence

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
    default: float | None,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    integer: bool = False,
) -> float | int | None:
    value = text(environ, name)
    if not value:
        return default
    kind = "a whole number" if integer else "a number"
    bounds = _describe_bounds(minimum, maximum)
    try:
        parsed = int(value) if integer else float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be {kind}{bounds}; got {value!r}.") from None
    if parsed != parsed or (minimum is not None and parsed < minimum) or (maximum is not None and parsed > maximum):
        raise ImproperlyConfigured(f"{name} must be {kind}{bounds}; got {value!r}.")
    return parsed


def choice(environ: Mapping[str, str], name: str, default: str, choices: Sequence[str]) -> str:
    value = text(environ, name, default)
    if value.lower() in (c.lower() for c in choices):
        return next(c for c in choices if c.lower() == value.lower())
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


def _describe_bounds(minimum: float | None, maximum: float | None) -> str:
    if minimum is not None and maximum is not None:
        return f" from {minimum:g} to {maximum:g}"
    if minimum is not None:
        return f" of at least {minimum:g}"
    if maximum is not None:
        return f" of at most {maximum:g}"
    return ""
