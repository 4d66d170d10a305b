"""The map endpoint's query parameters: what is accepted, and what each refusal says."""

import pytest

from hub.bbox import DEFAULT_LIMIT, WORLD, InvalidQuery, MapQuery, parse_map_query


def params(**values):
    return [(name, value if isinstance(value, list) else [value]) for name, value in values.items()]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({}, MapQuery(WORLD, DEFAULT_LIMIT)),
        ({"bbox": "-10,-20,30,40"}, MapQuery((-10.0, -20.0, 30.0, 40.0), DEFAULT_LIMIT)),
        ({"bbox": " -10 , -20 , 30 , 40 "}, MapQuery((-10.0, -20.0, 30.0, 40.0), DEFAULT_LIMIT)),
        ({"bbox": "-180,-90,180,90", "limit": "1"}, MapQuery(WORLD, 1)),
        ({"bbox": "+1.,.5,2.25,3"}, MapQuery((1.0, 0.5, 2.25, 3.0), DEFAULT_LIMIT)),
        ({"limit": "50000"}, MapQuery(WORLD, 50_000)),
        ({"limit": "007"}, MapQuery(WORLD, 7)),
        ({"bbox": "1.12345649,2.1234565,3,4"}, MapQuery((1.123456, 2.123457, 3.0, 4.0), DEFAULT_LIMIT)),
        ({"format": "xml", "_": "1700000000"}, MapQuery(WORLD, DEFAULT_LIMIT)),  # other parameters are ignored
    ],
)
def test_valid_parameters_give_a_query(given, expected):
    assert parse_map_query(params(**given)) == expected


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"bbox": ""}, "four comma-separated numbers"),
        ({"bbox": "1,2,3"}, "got 3 values"),
        ({"bbox": "1,2,3,4,5"}, "got 5 values"),
        ({"bbox": "a,2,3,4"}, "minLon must be a decimal number; got 'a'"),
        ({"bbox": "1,2,3,nan"}, "maxLat must be a decimal number"),
        ({"bbox": "1,2,inf,4"}, "maxLon must be a decimal number"),
        ({"bbox": "1e2,2,3,4"}, "minLon must be a decimal number"),
        ({"bbox": "1_0,2,3,4"}, "minLon must be a decimal number"),
        ({"bbox": "\u0661,2,3,4"}, "minLon must be a decimal number"),  # Arabic-Indic digit one
        ({"bbox": "-181,0,10,10"}, "minLon must be between -180 and 180; got -181"),
        ({"bbox": "0,0,180.0000001,10"}, None),  # rounds to 180: accepted
        ({"bbox": "0,-90.5,10,10"}, "minLat must be between -90 and 90"),
        ({"bbox": "0,0,10,91"}, "maxLat must be between -90 and 90"),
        ({"bbox": "10,0,10,5"}, "minLon must be below maxLon"),
        ({"bbox": "170,0,-170,5"}, "minLon must be below maxLon"),
        ({"bbox": "0,5,10,1"}, "minLat must be below maxLat"),
        ({"bbox": "0,1.0000001,10,1.0000002"}, "minLat must be below maxLat"),  # equal at 6 decimals
        ({"bbox": ["0,0,1,1", "0,0,2,2"]}, "bbox was given 2 times"),
        ({"bbox": "1" * 201}, "at most 200 are accepted"),
        ({"limit": ""}, "limit must be a whole number from 1 to 50000; got ''"),
        ({"limit": "0"}, "got 0"),
        ({"limit": "50001"}, "got 50001"),
        ({"limit": "-5"}, "got '-5'"),
        ({"limit": "10.5"}, "got '10.5'"),
        ({"limit": "ten"}, "got 'ten'"),
        ({"limit": ["5", "6"]}, "limit was given 2 times"),
    ],
)
def test_invalid_parameters_say_what_is_wrong(given, message):
    if message is None:
        parse_map_query(params(**given))
        return
    with pytest.raises(InvalidQuery) as raised:
        parse_map_query(params(**given))
    assert message in str(raised.value)


def test_queries_for_the_same_participants_share_a_cache_key():
    assert parse_map_query(params(bbox="1,2,3,4")).key == parse_map_query(params(bbox="1.0000001,2,3.0,4")).key
    assert parse_map_query(params(bbox="1,2,3,4")).key != parse_map_query(params(bbox="1,2,3,4", limit="5")).key
