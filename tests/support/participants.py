"""What the map should show, counted straight from a web process's SQLite file."""

import sqlite3
from pathlib import Path

PUBLIC_IN_BOX = (
    "SELECT count(*) FROM hub_participant WHERE is_public AND longitude BETWEEN ? AND ? AND latitude BETWEEN ? AND ?"
)


def public_in(database: Path, min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> int:
    with sqlite3.connect(database) as db:
        return db.execute(PUBLIC_IN_BOX, (min_lon, max_lon, min_lat, max_lat)).fetchone()[0]
