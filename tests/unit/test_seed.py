"""seed_participants: the same --seed gives the same map; --if-empty and --replace do what bin/dev relies on."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from hub.models import Participant

FIELDS = ("name", "city", "country", "latitude", "longitude", "is_public")


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_participants", *args, stdout=out)
    return out.getvalue()


def rows() -> list[tuple]:
    return list(Participant.objects.order_by("pk").values_list(*FIELDS))


@pytest.mark.django_db
def test_same_seed_gives_the_same_participants_and_another_seed_does_not():
    seed("--count", "300", "--seed", "7")
    first = rows()
    seed("--count", "300", "--seed", "7", "--replace")
    again = rows()
    seed("--count", "300", "--seed", "8", "--replace")
    other = rows()

    assert len(first) == 300
    assert again == first
    assert other != first


@pytest.mark.django_db
def test_if_empty_does_nothing_when_participants_exist():
    seed("--count", "50", "--seed", "1")
    before = rows()

    output = seed("--count", "500", "--seed", "2", "--if-empty")

    assert rows() == before
    assert "nothing seeded" in output


@pytest.mark.django_db
def test_if_empty_seeds_an_empty_table():
    output = seed("--count", "40", "--if-empty")

    assert Participant.objects.count() == 40
    assert "Seeded 40 participants" in output


@pytest.mark.django_db
@pytest.mark.parametrize(("replace", "expected"), [([], 100 + 30), (["--replace"], 30)], ids=["adds", "replaces"])
def test_replace_deletes_every_participant_first_and_otherwise_seeding_adds(replace, expected):
    seed("--count", "100", "--seed", "1")

    seed("--count", "30", "--seed", "2", *replace)

    assert Participant.objects.count() == expected


@pytest.mark.django_db
def test_coordinates_are_on_the_globe_and_about_ninety_percent_are_public():
    seed("--count", "10000", "--seed", "3")
    participants = Participant.objects.all()

    assert (
        participants.filter(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180).count()
        == 10000
    )
    share_public = participants.filter(is_public=True).count() / 10000
    assert 0.88 <= share_public <= 0.92
    # Spread over the seed cities, each with its own country code.
    assert participants.values("city").distinct().count() >= 30
    assert all(len(country) == 2 and country.isupper() for country in participants.values_list("country", flat=True))


@pytest.mark.django_db
def test_negative_count_is_refused():
    with pytest.raises(CommandError, match="--count"):
        seed("--count", "-1")
    assert Participant.objects.count() == 0
