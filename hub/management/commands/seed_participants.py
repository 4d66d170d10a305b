"""Fill the map with made-up participants: deterministic for a given --seed, and bulk."""

import random

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from hub import map_cache
from hub.models import Participant

# (city, ISO country code, latitude, longitude)
CITIES = [
    ("Amsterdam", "NL", 52.37, 4.90),
    ("Berlin", "DE", 52.52, 13.40),
    ("Lisbon", "PT", 38.72, -9.14),
    ("Madrid", "ES", 40.42, -3.70),
    ("Paris", "FR", 48.86, 2.35),
    ("London", "GB", 51.51, -0.13),
    ("Dublin", "IE", 53.35, -6.26),
    ("Oslo", "NO", 59.91, 10.75),
    ("Warsaw", "PL", 52.23, 21.01),
    ("Athens", "GR", 37.98, 23.73),
    ("Istanbul", "TR", 41.01, 28.98),
    ("Cairo", "EG", 30.04, 31.24),
    ("Lagos", "NG", 6.52, 3.38),
    ("Nairobi", "KE", -1.29, 36.82),
    ("Cape Town", "ZA", -33.92, 18.42),
    ("Dubai", "AE", 25.20, 55.27),
    ("Mumbai", "IN", 19.08, 72.88),
    ("Bengaluru", "IN", 12.97, 77.59),
    ("Singapore", "SG", 1.35, 103.82),
    ("Jakarta", "ID", -6.21, 106.85),
    ("Tokyo", "JP", 35.68, 139.69),
    ("Seoul", "KR", 37.57, 126.98),
    ("Taipei", "TW", 25.03, 121.57),
    ("Sydney", "AU", -33.87, 151.21),
    ("Auckland", "NZ", -36.85, 174.76),
    ("Honolulu", "US", 21.31, -157.86),
    ("San Francisco", "US", 37.77, -122.42),
    ("Seattle", "US", 47.61, -122.33),
    ("Chicago", "US", 41.88, -87.63),
    ("New York", "US", 40.71, -74.01),
    ("Toronto", "CA", 43.65, -79.38),
    ("Montreal", "CA", 45.50, -73.57),
    ("Mexico City", "MX", 19.43, -99.13),
    ("Bogotá", "CO", 4.71, -74.07),
    ("Lima", "PE", -12.05, -77.04),
    ("São Paulo", "BR", -23.55, -46.63),
    ("Buenos Aires", "AR", -34.60, -58.38),
    ("Santiago", "CL", -33.45, -70.67),
    ("Reykjavík", "IS", 64.15, -21.94),
    ("Helsinki", "FI", 60.17, 24.94),
]
FIRST_NAMES = [
    "Ada",
    "Ana",
    "Ben",
    "Chen",
    "Dana",
    "Eli",
    "Emma",
    "Femi",
    "Grace",
    "Hana",
    "Ivan",
    "Jia",
    "Kofi",
    "Lea",
    "Leo",
    "Lina",
    "Malik",
    "Maya",
    "Nia",
    "Noah",
    "Omar",
    "Priya",
    "Rui",
    "Sara",
    "Tao",
    "Uma",
    "Yara",
    "Zoe",
]
LAST_NAMES = [
    "Abe",
    "Alves",
    "Bauer",
    "Costa",
    "Diaz",
    "Eze",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ito",
    "Jensen",
    "Kim",
    "Kowalski",
    "Li",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Patel",
    "Rossi",
    "Silva",
    "Tanaka",
    "Virtanen",
    "Wang",
    "Yilmaz",
]
# About 0.3 degrees of scatter keeps each city's participants in and around it.
SCATTER = 0.3


def make_participants(count: int, seed: int) -> list[Participant]:
    rng = random.Random(seed)  # noqa: S311 - made-up names, not secrets
    participants = []
    for _ in range(count):
        city, country, latitude, longitude = rng.choice(CITIES)
        participants.append(
            Participant(
                name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                city=city,
                country=country,
                latitude=round(min(90.0, max(-90.0, latitude + rng.gauss(0, SCATTER))), 6),
                longitude=round(min(180.0, max(-180.0, longitude + rng.gauss(0, SCATTER))), 6),
                # One in ten keeps their pin off the public map.
                is_public=rng.random() >= 0.1,
            )
        )
    return participants


class Command(BaseCommand):
    help = "Create COUNT made-up participants; the same --seed gives the same participants."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=10_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--replace", action="store_true", help="delete every participant first")
        parser.add_argument("--if-empty", action="store_true", help="do nothing when participants exist")

    def handle(self, *, count, seed, replace, if_empty, **options):
        if count < 0:
            raise CommandError("--count must be zero or more")
        if if_empty and Participant.objects.exists():
            self.stdout.write("Participants exist; nothing seeded.")
            return
        with transaction.atomic():
            if replace:
                # One DELETE statement: QuerySet.delete() would load every row to send
                # post_delete (the map cache listens), then bump the version per row.
                table = connection.ops.quote_name(Participant._meta.db_table)
                with connection.cursor() as cursor:
                    cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - a quoted table name, no input
            Participant.objects.bulk_create(make_participants(count, seed), batch_size=5000)
        # bulk_create sends no post_save signals: tell the map's cache here, after the commit.
        map_cache.bump_version()
        self.stdout.write(f"Seeded {count} participants (seed {seed}).")
