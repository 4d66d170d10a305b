"""GET /api/participants/map/ in-process: GeoJSON, filters, errors, conditional and gzip answers, a cache that fails."""

import gzip
import string

import pytest
from django.db import connection
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from bahk import backing_services
from tests.support.map_api import decoded, features, get, names
from tests.support.participants import add
from tests.support.servers import free_port


def test_answers_a_feature_collection_of_public_participants(client, db):
    ana = add('Ana "the pin" <b>Silva</b>', -9.14, 38.72, city="Lisbon", country="PT")
    add("Hidden Person", -9.15, 38.73, is_public=False)

    response = get(client)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json"
    assert decoded(response) == {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [-9.14, 38.72]},
                "properties": {"id": ana.pk, "name": 'Ana "the pin" <b>Silva</b>', "city": "Lisbon", "country": "PT"},
            }
        ],
    }


def test_an_empty_box_gives_an_empty_collection(client, db):
    add("Ana", -9.14, 38.72)
    assert features(client, "bbox=100,10,101,11") == []


def test_bbox_selects_the_participants_inside_it_edges_included(client, db):
    add("inside", 10, 10)
    add("on the corner", 20, 20)
    add("west of it", 9.9, 15)
    add("north of it", 15, 20.1)
    assert sorted(names(client, "bbox=10,10,20,20")) == ["inside", "on the corner"]


def test_limit_keeps_the_first_participants_by_id(client, db):
    for number in range(5):
        add(f"p{number}", number, number)
    assert names(client, "limit=3") == ["p0", "p1", "p2"]


def test_coordinates_are_rounded_to_six_decimals(client, db):
    add("precise", 4.123456789, 52.987654321)
    assert features(client)[0]["geometry"]["coordinates"] == [4.123457, 52.987654]


def test_unicode_names_arrive_intact(client, db):
    add("Zoë Ångström ☃", 0, 0, city="Bogotá", country="CO")
    assert features(client)[0]["properties"] | {"id": 0} == {
        "id": 0,
        "name": "Zoë Ångström ☃",
        "city": "Bogotá",
        "country": "CO",
    }


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("bbox=1,2,3", "bbox must be four comma-separated numbers"),
        ("bbox=0,0,200,10", "maxLon must be between -180 and 180"),
        ("bbox=0,0,10,nan", "maxLat must be a decimal number"),
        ("bbox=5,0,1,10", "minLon must be below maxLon"),
        ("limit=0", "limit must be a whole number from 1 to 50000"),
        ("limit=100000", "limit must be a whole number from 1 to 50000"),
        ("limit=1&limit=2", "limit was given 2 times"),
        ("bbox=%ff%fe,1,2,3", "minLon must be a decimal number"),
    ],
)
def test_bad_parameters_get_400_with_a_json_error(client, db, query, message):
    response = get(client, query)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert message in response.json()["error"]


def test_too_many_parameters_get_400_with_a_json_error(client, db, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    response = get(client, "&".join(f"p{number}=1" for number in range(11)))
    assert response.status_code == 400
    assert "too many parameters" in response.json()["error"]


def test_gzip_when_accepted_and_identity_otherwise(client, db):
    for number in range(50):
        add(f"p{number}", number, 0)

    zipped = get(client, **{"Accept-Encoding": "gzip, deflate, br"})
    plain = get(client)
    refused = get(client, **{"Accept-Encoding": "gzip;q=0, br"})

    assert zipped["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in plain
    assert "Content-Encoding" not in refused
    assert gzip.decompress(zipped.content) == plain.content == refused.content
    assert len(zipped.content) < len(plain.content) / 4
    for response in (zipped, plain):
        assert response["Vary"] == "Accept-Encoding"


def test_strong_etag_per_representation_and_304_when_it_matches(client, db):
    add("Ana", -9.14, 38.72)
    plain, zipped = get(client), get(client, **{"Accept-Encoding": "gzip"})
    assert plain["ETag"].startswith('"') and not plain["ETag"].startswith("W/")
    assert plain["ETag"] != zipped["ETag"]

    not_modified = get(client, **{"Accept-Encoding": "gzip", "If-None-Match": zipped["ETag"]})
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified["ETag"] == zipped["ETag"]
    assert not_modified["Vary"] == "Accept-Encoding"

    weak = get(client, **{"If-None-Match": f'"other", W/{plain["ETag"]}'})
    assert weak.status_code == 304
    # The gzip validator does not stand for the identity body.
    assert get(client, **{"If-None-Match": zipped["ETag"]}).status_code == 200


def test_answers_from_the_database_when_the_cache_is_unreachable(client, db, settings):
    # Nothing listens on this loopback port: every cache call fails as with Redis stopped.
    settings.CACHES = {"default": backing_services.redis_cache(f"redis://127.0.0.1:{free_port()}/0")}
    add("Ana", -9.14, 38.72)
    response = get(client, **{"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert [feature["properties"]["name"] for feature in decoded(response)["features"]] == ["Ana"]
    assert get(client, **{"Accept-Encoding": "gzip", "If-None-Match": response["ETag"]}).status_code == 304


def test_an_unexpected_failure_is_answered_as_json_500(client, db):
    add("Ana", -9.14, 38.72)
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE hub_participant RENAME TO hub_participant_away")
    response = get(client)
    assert response.status_code == 500
    assert response.json() == {"error": "The map could not be loaded; the error has been reported."}


# What a WSGI server hands Django: the query string as latin-1 text.
QUERY_TEXT = st.text(alphabet=st.characters(codec="latin-1"), max_size=300)
NUMBERISH = st.text(alphabet=string.digits + "+-.,eE_ %naif", max_size=40)
PARAMETER_VALUE = st.one_of(
    QUERY_TEXT,
    NUMBERISH,
    st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=0, max_size=6).map(
        lambda values: ",".join(map(str, values))
    ),
    st.integers(min_value=-(10**60), max_value=10**60).map(str),
)


@hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    raw=st.one_of(
        QUERY_TEXT,
        st.lists(
            st.tuples(st.sampled_from(["bbox", "limit", "bbox[]", "Limit", "x"]), PARAMETER_VALUE), max_size=4
        ).map(lambda pairs: "&".join(f"{name}={value}" for name, value in pairs)),
    )
)
def test_no_query_string_gives_a_500_and_every_refusal_is_json(client, db, raw):
    response = get(client, raw)
    assert response.status_code in (200, 400), (raw, response.status_code)
    if response.status_code == 400:
        assert response["Content-Type"] == "application/json"
        assert response.json()["error"]
    else:
        assert decoded(response)["type"] == "FeatureCollection"
