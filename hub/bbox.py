"""The map endpoint's query string, checked: a bounding box and a limit, or a message saying what is wrong.

Pure: takes the query's (name, values) pairs and returns a MapQuery or
raises InvalidQuery with a sentence a user of the API can act on.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

WORLD = (-180.0, -90.0, 180.0, 90.0)
DEFAULT_LIMIT = 10_000
MAX_LIMIT = 50_000
# Coordinates keep 6 decimals (about 11 cm on the ground): finer than any
# map pin, and it gives nearby requests the same cache key.
DECIMALS = 6
# Far longer than any honest value; a megabyte of digits never reaches float().
MAX_VALUE_LENGTH = 200
BBOX_FORM = "minLon,minLat,maxLon,maxLat"
# Plain decimals only: float() would also take "nan", "inf", "1_0" and "1e308".
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)", re.ASCII)
WHOLE_NUMBER = re.compile(r"\d+", re.ASCII)


class InvalidQuery(ValueError):
    """A query parameter the endpoint cannot use; str() says which and why."""


@dataclass(frozen=True)
class MapQuery:
    bbox: tuple[float, float, float, float] = WORLD
    limit: int = DEFAULT_LIMIT

    @cached_property
    def key(self) -> str:
        """The same text for every query that selects the same participants."""
        return ",".join(f"{value:.{DECIMALS}f}" for value in self.bbox) + f";{self.limit}"


def parse_map_query(params: Iterable[tuple[str, Sequence[str]]]) -> MapQuery:
    """params as Django's request.GET.lists() gives them; other parameters (cache busters) are ignored."""
    values = dict(params)
    bbox = _single(values, "bbox")
    limit = _single(values, "limit")
    return MapQuery(
        bbox=WORLD if bbox is None else parse_bbox(bbox),
        limit=DEFAULT_LIMIT if limit is None else parse_limit(limit),
    )


def _single(values: dict[str, Sequence[str]], name: str) -> str | None:
    given = values.get(name)
    if not given:
        return None
    if len(given) > 1:
        raise InvalidQuery(f"{name} was given {len(given)} times; give it once.")
    if len(given[0]) > MAX_VALUE_LENGTH:
        raise InvalidQuery(f"{name} is {len(given[0])} characters long; at most {MAX_VALUE_LENGTH} are accepted.")
    return given[0]


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    parts = [part.strip() for part in text.split(",")]
    if len(parts) != 4:
        raise InvalidQuery(f"bbox must be four comma-separated numbers, {BBOX_FORM}; got {len(parts)} values.")
    for name, part in zip(BBOX_FORM.split(","), parts, strict=True):
        if not NUMBER.fullmatch(part):
            raise InvalidQuery(f"bbox {name} must be a decimal number; got {part[:40]!r}.")
    min_lon, min_lat, max_lon, max_lat = (round(float(part), DECIMALS) for part in parts)
    for name, value, bound in (
        ("minLon", min_lon, 180),
        ("maxLon", max_lon, 180),
        ("minLat", min_lat, 90),
        ("maxLat", max_lat, 90),
    ):
        if not -bound <= value <= bound:
            raise InvalidQuery(f"bbox {name} must be between -{bound} and {bound}; got {value:g}.")
    # A box across the antimeridian would need two queries; the map page never asks for one.
    if min_lon >= max_lon:
        raise InvalidQuery(f"bbox minLon must be below maxLon; got {min_lon:g} and {max_lon:g}.")
    if min_lat >= max_lat:
        raise InvalidQuery(f"bbox minLat must be below maxLat; got {min_lat:g} and {max_lat:g}.")
    return (min_lon, min_lat, max_lon, max_lat)


def parse_limit(text: str) -> int:
    text = text.strip()
    if not WHOLE_NUMBER.fullmatch(text):
        raise InvalidQuery(f"limit must be a whole number from 1 to {MAX_LIMIT}; got {text[:40]!r}.")
    limit = int(text)
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidQuery(f"limit must be a whole number from 1 to {MAX_LIMIT}; got {limit}.")
    return limit
