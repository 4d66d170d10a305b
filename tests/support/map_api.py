"""GET /api/participants/map/ through Django's test client, and what it answered."""

import gzip
import json

URL = "/api/participants/map/"


def get(client, query: str = "", **headers):
    return client.get(URL, QUERY_STRING=query, headers=headers)


def decoded(response) -> dict:
    body = response.content
    if response.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return json.loads(body)


def features(client, query: str = "") -> list[dict]:
    response = get(client, query)
    assert response.status_code == 200, response.content
    return decoded(response)["features"]


def names(client, query: str = "") -> list[str]:
    return [feature["properties"]["name"] for feature in features(client, query)]
