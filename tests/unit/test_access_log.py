import pytest

from sentry_heroku.gunicorn_hooks import without_secrets


@pytest.mark.parametrize(
    ("atom", "logged"),
    [
        ("GET /health/?token=abc123&bbox=1,2,3,4 HTTP/1.1", "GET /health/?token=[Filtered]&bbox=1,2,3,4 HTTP/1.1"),
        (
            "GET /a?Api-Key=k1&API_KEY=k2&limit=5 HTTP/1.1",
            "GET /a?Api-Key=[Filtered]&API_KEY=[Filtered]&limit=5 HTTP/1.1",
        ),
        ("password=hunter22&next=/", "password=[Filtered]&next=/"),  # %(q)s: the query string alone
        ("https://h/p?next=https%3A%2F%2Fu%3Apass%40db&x=1", "https://h/p?next=[Filtered]&x=1"),  # a URL in a value
        ("GET /map/?bbox=-180,-90,180,90 HTTP/1.1", "GET /map/?bbox=-180,-90,180,90 HTTP/1.1"),
        ("GET /plain/ HTTP/1.1", "GET /plain/ HTTP/1.1"),
        ("GET /flag?debug HTTP/1.1", "GET /flag?debug HTTP/1.1"),
        ("-", "-"),
    ],
)
def test_only_secret_query_values_are_filtered_from_request_lines_urls_and_query_strings(atom, logged):
    assert without_secrets(atom) == logged
