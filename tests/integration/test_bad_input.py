"""Bad input over a real socket to the Procfile's web process: request lines, headers and bodies too big or
malformed for HTTP are refused with a 4xx, and the process goes on serving (the requests are in
tests/support/raw_http.py)."""

import re

import pytest

from tests.support.processes import HOST, heroku_env, http_get, migrate
from tests.support.raw_http import BIG_BODY, crafted, exchange, post, status_of

PUBLIC = ["/health/", "/api/participants/map/", "/map/", "/", "/api/sentry-debug/"]


@pytest.fixture(scope="module")
def raw_web(module_dynos):
    env = heroku_env("web.1", DATABASE_URL=f"sqlite:///{module_dynos.folder / 'db.sqlite3'}")
    migrate(env)
    process, base_url = module_dynos.web(env)
    return process, base_url, int(base_url.rsplit(":", 1)[1])


def test_malformed_and_oversized_requests_over_a_socket_are_refused_cleanly_and_the_process_goes_on(raw_web):
    process, base_url, port = raw_web
    paths = [path.encode() for path in PUBLIC] + [b"/api/participants/map/?bbox=0,0,10,10"]
    cases = [case for path in paths for case in crafted(path)]

    wrong, json_errors = {}, 0
    for what, head, body_length, statuses in cases:
        answer = exchange(port, head, body_length)
        if status_of(answer) not in statuses:
            wrong[what, head[:60]] = answer[:200]
        elif status_of(answer) == 400 and head.startswith(b"GET /api/") and b"\r\nServer: gunicorn" in answer:
            # A 400 from the app (gunicorn's own refusals carry no Server header) is JSON with an error.
            assert b"Content-Type: application/json" in answer and b'"error"' in answer, answer
            json_errors += 1

    assert not wrong
    assert json_errors  # the bad percent-encodings reached the map view, which said what was wrong
    assert http_get(base_url + "/health/", {"Host": HOST})[0] == 200
    log = process.output()
    assert "Internal Server Error" not in log
    assert log.count("Booting worker") == 2  # no worker died on the way


def test_an_oversized_form_body_is_refused_with_413_before_django_reads_it(raw_web):
    """A form POST with a valid CSRF token, over DATA_UPLOAD_MAX_MEMORY_SIZE: the worker refuses it by its length."""
    _, base_url, port = raw_web
    _, headers, _ = http_get(base_url + "/admin/login/", {"Host": HOST})
    token = re.search(r"csrftoken=([^;]+)", " ".join(headers.get_all("Set-Cookie"))).group(1).encode()
    head = post(
        b"/admin/login/",
        BIG_BODY,
        b"Content-Type: application/x-www-form-urlencoded",
        b"Cookie: csrftoken=" + token,
        b"X-CSRFToken: " + token,
        b"Referer: https://" + HOST.encode() + b"/admin/login/",
    )

    assert status_of(exchange(port, head, BIG_BODY)) == 413
