"""Participants: added through the ORM in-process, or counted straight from a web process's SQLite file."""

import sqlite3
from pathlib import Path

PUBLIC_IN_BOX = (
    "SELECT count(*) FROM hub_participant WHERE is_public AND longitude BETWEEN ? AND ? AND latitude BETWEEN ? AND ?"
)


def public_in(database: Path, min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> int:
    with sqlite3.connect(database) as db:
        return db.execute(PUBLIC_IN_BOX, (min_lon, max_lon, min_lat, max_lat)).fetchone()[0]


def add(name, longitude, latitude, *, is_public=True, city="Lisbon", country="PT"):
    """One participant in the test database (in-process tests, with Django set up)."""
    from hub.models import Participant

    return Participant.objects.create(
        name=name, city=city, country=country, longitude=longitude, latitude=latitude, is_public=is_public
    )
