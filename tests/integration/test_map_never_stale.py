"""Two web dynos on one Redis: a participant saved through one is on the other's very next map answer,
and a warm answer asks Redis nothing.

Each dyno keeps the map's data version in memory (hub/redis_tracking.py),
so the other dyno's answer comes from its own copy unless Redis told it of
the save. Also after Redis restarts empty and after the invalidation
connection is killed: a dyno that may have missed the message must not
trust its copy. One gunicorn worker per dyno, so the process that answers
is the one whose copy was warmed.
"""

import gzip
import http.client
import json
import re
import uuid
from urllib.parse import urlencode, urlsplit

from tests.support.processes import HOST, heroku_env, http_get, migrate, run_command
from tests.support.servers import RedisServer
from tests.support.staff import session_cookie

MAP = "/api/participants/map/?bbox=-180,-90,180,90&limit=50000"
# The staff session's user may change participants.
GRANT_ADMIN = (
    "from django.contrib.auth.models import User; User.objects.filter(username='ops').update(is_superuser=True)"
)


def map_features(base_url: str) -> dict[int, dict]:
    status, _, body = http_get(base_url + MAP, {"Host": HOST, "Accept-Encoding": "gzip"})
    assert status == 200, body
    features = json.loads(gzip.decompress(body))["features"]
    return {feature["properties"]["id"]: feature for feature in features}


def request(base_url: str, method: str, path: str, headers: dict[str, str], body: str = ""):
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request(method, path, body=body, headers={"Host": HOST, "X-Forwarded-Proto": "https", **headers})
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode()
    finally:
        connection.close()


def rename_in_admin(base_url: str, cookie: str, feature: dict) -> str:
    """Save the participant under a new name through the admin's change form, as a staff member would."""
    path = f"/admin/hub/participant/{feature['properties']['id']}/change/"
    status, headers, page = request(base_url, "GET", path, {"Cookie": cookie})
    assert status == 200, page
    csrf_cookie = re.search(r"csrftoken=([^;]+)", headers["Set-Cookie"]).group(1)
    form_token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    name = f"Renamed {uuid.uuid4().hex[:8]}"
    longitude, latitude = feature["geometry"]["coordinates"]
    properties = feature["properties"]
    form = {
        "csrfmiddlewaretoken": form_token,
        "name": name,
        "city": properties["city"],
        "country": properties["country"],
        "latitude": latitude,
        "longitude": longitude,
        "is_public": "on",
        "_save": "Save",
    }
    headers = {
        "Cookie": f"{cookie}; csrftoken={csrf_cookie}",
        "Content-Type": "application/x-www-form-urlencoded",
        "Origin": f"https://{HOST}",
        "Referer": f"https://{HOST}{path}",
    }
    status, _, page = request(base_url, "POST", path, headers, urlencode(form))
    assert status == 302, page  # saved: back to the list
    return name


def warm(base_url: str) -> dict[int, dict]:
    """Two answers: the first may fill the copy, the second comes from it."""
    map_features(base_url)
    return map_features(base_url)


def test_a_save_through_one_dyno_is_on_the_other_dynos_next_answer(heroku_database_url, start_web):
    redis = RedisServer().start()
    try:

        def env(dyno: str) -> dict[str, str]:
            return heroku_env(dyno, DATABASE_URL=heroku_database_url, REDIS_URL=redis.url, WEB_CONCURRENCY="1")

        migrate(env("release.1"))
        seed = run_command(["python", "manage.py", "seed_participants", "--count", "50", "--seed", "4"], env("run.1"))
        assert seed.returncode == 0, seed.stderr
        cookie = session_cookie(env("run.1"))
        assert run_command(["python", "manage.py", "shell", "-c", GRANT_ADMIN], env("run.1")).returncode == 0
        web1, url1 = start_web(env("web.1"))
        web2, url2 = start_web(env("web.2"))
        with web1, web2:
            features = warm(url2)
            participant = next(iter(features.values()))
            pk = participant["properties"]["id"]

            # Both dynos listening to the same Redis.
            name = rename_in_admin(url1, cookie, participant)
            assert map_features(url2)[pk]["properties"]["name"] == name

            # Redis restarts empty on the same port: whatever web.2 kept predates it.
            warm(url2)
            redis.stop()
            redis.start()
            name = rename_in_admin(url1, cookie, participant)
            assert map_features(url2)[pk]["properties"]["name"] == name

            # The invalidation connections are cut, and the save lands before they are back: its message is lost.
            warm(url2)
            redis.client().client_kill_filter(_type="pubsub")
            name = rename_in_admin(url1, cookie, participant)
            assert map_features(url2)[pk]["properties"]["name"] == name

            # And once listening again, the copy is kept fresh as before.
            warm(url2)
            name = rename_in_admin(url1, cookie, participant)
            assert map_features(url2)[pk]["properties"]["name"] == name
            assert map_features(url1)[pk]["properties"]["name"] == name
    finally:
        redis.stop()


def commands_run(client) -> dict[str, int]:
    """How often Redis has run each command, but the listener's heartbeat and this question itself."""
    stats = client.info("commandstats")
    return {name: stat["calls"] for name, stat in stats.items() if name not in ("cmdstat_ping", "cmdstat_info")}


def test_warm_answers_make_no_redis_round_trip(heroku_database_url, start_web):
    redis = RedisServer().start()
    try:
        env = heroku_env("web.1", DATABASE_URL=heroku_database_url, REDIS_URL=redis.url, WEB_CONCURRENCY="1")
        migrate(env)
        seed = run_command(["python", "manage.py", "seed_participants", "--count", "50", "--seed", "4"], env)
        assert seed.returncode == 0, seed.stderr
        web, url = start_web(env)
        with web:
            # One answer per gunicorn thread at least, so every thread has read the version and the body.
            for _ in range(8):
                warm(url)
            asking = redis.client()  # one connection, made before counting
            before = commands_run(asking)
            answers = [map_features(url) for _ in range(20)]
            assert commands_run(asking) == before
            assert all(answer == answers[0] for answer in answers)
    finally:
        redis.stop()
