"""Content coding and If-None-Match, as the map endpoint reads them."""

import pytest

from hub.negotiation import accepts_gzip, etag_matches


@pytest.mark.parametrize(
    ("header", "gzip"),
    [
        ("", False),
        ("gzip", True),
        ("gzip, deflate, br, zstd", True),
        ("GZIP", True),
        ("br;q=1.0, gzip;q=0.8, *;q=0.1", True),
        ("x-gzip", True),
        ("identity", False),
        ("br", False),
        ("gzip;q=0", False),
        ("gzip; q=0.000", False),
        ("*", True),
        ("*;q=0", False),
        ("gzip;q=0, *", False),  # named codings win over the wildcard
        ("gzip;q=abc", False),
        ("gzip;q=2", False),
        ("deflate, gzip ;q=0.5", True),
    ],
)
def test_accepts_gzip(header, gzip):
    assert accepts_gzip(header) is gzip


@pytest.mark.parametrize(
    ("if_none_match", "matches"),
    [
        ("", False),
        ('"abc"', True),
        ('W/"abc"', True),
        ('"x", "abc"', True),
        ('"x","abc"', True),
        ("*", True),
        ('"abc-gzip"', False),
        ("abc", False),
        ('"ABC"', False),
    ],
)
def test_etag_matches(if_none_match, matches):
    assert etag_matches(if_none_match, '"abc"') is matches
