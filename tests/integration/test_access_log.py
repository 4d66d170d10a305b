"""The web process's access lines on stdout (what `heroku logs` and the log drain carry) hold no credential."""

import base64
import http.client
import urllib.parse

import pytest

from tests.support.drain_client import SECRET
from tests.support.processes import HOST, heroku_env

# A drain URL written https://SECRET@host/heroku/logs/ (no "drain:" user) sends the secret as the Basic user.
SECRET_AS_USER = "Basic " + base64.b64encode(f"{SECRET}:".encode()).decode()
QUERY_SECRET = "q7Zt9Xw2Lm4Rv8Kp"
COOKIE_SECRET = "c3Hn6Jd1Qs5Wb0Yf"
# Every atom that could carry them, for a project that logs more than gunicorn's default line.
VERBOSE_FORMAT = '%(u)s "%(r)s" %(q)s "%(f)s" %({authorization}i)s %({cookie}i)s %({http_authorization}e)s'


def request(base_url: str, method: str, path: str, headers: dict[str, str]) -> int:
    url = urllib.parse.urlsplit(base_url)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    try:
        connection.request(
            method,
            path,
            body=b"" if method == "POST" else None,
            headers={"Host": HOST, "X-Forwarded-Proto": "https", **headers},
        )
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def pieces(secret: str, size: int = 8) -> set[str]:
    return {secret[start : start + size] for start in range(len(secret) - size + 1)}


@pytest.mark.parametrize("access_format", [None, VERBOSE_FORMAT], ids=["default", "every-credential-atom"])
def test_access_lines_hold_no_part_of_the_drain_secret_sent_as_user_nor_of_query_or_cookie_secrets(
    sentry_sink, start_web, access_format
):
    values = {"GUNICORN_CMD_ARGS": f"--access-logformat '{access_format}'"} if access_format else {}
    env = heroku_env("web.1", SENTRY_DSN=sentry_sink.dsn, HEROKU_DRAIN_SECRET=SECRET, **values)
    process, base_url = start_web(env)
    drain = {"Authorization": SECRET_AS_USER, "Referer": f"https://{HOST}/?api_key={QUERY_SECRET}"}
    assert request(base_url, "POST", "/heroku/logs/", drain) == 401
    page = {"Cookie": f"sessionid={COOKIE_SECRET}"}
    assert request(base_url, "GET", f"/health/?token={QUERY_SECRET}&bbox=1,2,3,4", page) == 200
    process.stop()  # its last access line is written
    requests = ('"POST /heroku/logs/ HTTP/1.1"', '"GET /health/?')
    lines = [line for line in process.output().splitlines() if any(request in line for request in requests)]
    assert len(lines) == 2, process.output()
    leaked = {
        piece
        for secret in (SECRET, SECRET_AS_USER.split()[1], QUERY_SECRET, COOKIE_SECRET)
        for piece in pieces(secret)
        if any(piece in line for line in lines)
    }
    assert not leaked, lines
    # Each worker writes its line once its response has left, so the two may come in either order.
    [page_line] = [line for line in lines if '"GET /health/?' in line]
    assert "bbox=1,2,3,4" in page_line  # what is no secret stays readable
