"""Heroku's own errors, drained to the Procfile's web process, arrive in Sentry tagged with the dyno they are about.

Every batch is built byte for byte as Logplex posts it, from the line formats
Heroku documents (tests/support/logplex_lines.py). The receiving process is web.1;
what a user filters by is the dyno each line names.
"""

import pytest

from sentry_heroku.limits import clean, tag_value
from tests.support import logplex_lines as lines
from tests.support.drain_client import SECRET, fresh_dyno, line_count, platform_events, post, post_lines
from tests.support.processes import heroku_env, http_get
from tests.support.sentry_sink import settle, tags_of

ADMIN_USER = "/admin/auth/user/{}/change/"
ADMIN_USER_ROUTE = "/admin/auth/user/{object_id}/change/"  # as Sentry names the transaction


def drain_env(tmp_path, sink, dyno="web.1", **values):
    return heroku_env(
        dyno,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        SENTRY_DSN=sink.dsn,
        SENTRY_TRACES_SAMPLE_RATE="1.0",
        HEROKU_DRAIN_SECRET=SECRET,
        **values,
    )


@pytest.fixture(scope="module")
def drain_web(sentry_sink, module_dynos, redis_server):
    # As on Heroku with Heroku Redis: the two gunicorn workers share the throttle and the Frame-Ids seen.
    redis_server.client().flushall()
    return module_dynos.web(drain_env(module_dynos.folder, sentry_sink, REDIS_URL=redis_server.url))[1]


def wait_for_events(sink, count: int, **tags: str) -> list[dict]:
    return sink.wait_for(
        lambda s: (found := platform_events(s, **tags)) and len(found) >= count and found,
        what=f"{count} event(s) tagged {tags}",
    )


def test_router_errors_are_tagged_with_the_dyno_the_router_sent_the_request_to(drain_web, sentry_sink):
    dynos = {code: fresh_dyno() for code in ("H12", "H13", "H18", "H27")}
    batch = [
        ("heroku", "router", lines.router("H12", "Request timeout", dyno=dynos["H12"], request_id="rid-h12")),
        ("heroku", "router", lines.router("H13", "Connection closed without response", dyno=dynos["H13"])),
        ("heroku", "router", lines.router("H18", "Server Request Interrupted", dyno=dynos["H18"], sock="backend")),
        ("heroku", "router", lines.router("H27", "Client Request Interrupted", dyno=dynos["H27"], at="warning",
                                          sock="client", status="499")),
        ("heroku", "router", lines.router("H10", "App crashed", dyno="", path="/map/", connect="", service="")),
    ]  # fmt: skip
    assert post_lines(drain_web, batch) == 204

    [h12] = wait_for_events(sentry_sink, 1, heroku_error="H12", dyno=dynos["H12"])
    assert (tags_of(h12)["dyno_type"], tags_of(h12)["request_id"]) == ("web", "rid-h12")
    assert (tags_of(h12)["method"], tags_of(h12)["status"]) == ("GET", "503")
    assert tags_of(h12)["heroku_app"] == "bahk-test"  # the app's own tags still ride along
    assert h12["server_name"] == dynos["H12"]
    assert (h12["level"], h12["message"]) == ("error", "H12 Request timeout: GET /api/participants/map/")
    assert h12["fingerprint"] == ["heroku", "H12", "/api/participants/map/"]
    assert h12["contexts"]["heroku_log"]["service_ms"] == 30000
    assert h12["contexts"]["heroku"]["received_by"] == "web.1"

    for code in ("H13", "H18"):
        [event] = wait_for_events(sentry_sink, 1, heroku_error=code, dyno=dynos[code])
        assert (event["level"], event["server_name"]) == ("error", dynos[code])
    [h27] = wait_for_events(sentry_sink, 1, heroku_error="H27", dyno=dynos["H27"])
    assert (h27["level"], tags_of(h27)["status"]) == ("warning", "499")
    [h10] = wait_for_events(sentry_sink, 1, heroku_error="H10")
    assert (tags_of(h10)["dyno"], h10["fingerprint"]) == ("router", ["heroku", "H10", "/map/"])


def test_an_r14_on_worker_1_received_by_web_1_is_found_by_dyno_worker_1(drain_web, sentry_sink):
    worker = "worker.1"  # no other test here sends this module's web.1 a line about worker.1
    batch = [
        ("heroku", worker, "Process running mem=1028M(103.3%)"),
        ("heroku", worker, lines.R14),
    ]
    assert post_lines(drain_web, batch) == 204

    [event] = wait_for_events(sentry_sink, 1, heroku_error="R14", dyno=worker)
    tags = tags_of(event)
    assert (tags["dyno"], tags["dyno_type"], event["server_name"]) == (worker, "worker", worker)
    assert "web.1" not in (tags["dyno"], event["server_name"])
    assert event["fingerprint"] == ["heroku", "R14", "worker"]
    assert event["contexts"]["heroku_log"]["memory_mb"] == 1028
    assert "request_id" not in tags  # the drain POST's own request id is not this line's


def test_boot_timeouts_memory_kills_and_crashes_are_tagged_with_their_dyno(drain_web, sentry_sink):
    booting, killed, crashed = fresh_dyno(), fresh_dyno("worker"), fresh_dyno()
    batch = [
        ("heroku", booting, lines.R10),
        ("heroku", booting, "Stopping process with SIGKILL"),
        ("heroku", killed, "Process running mem=1029M(201.0%)"),
        ("heroku", killed, lines.R15),
        ("heroku", crashed, "Process exited with status 1"),
        ("heroku", crashed, "State changed from up to crashed"),
    ]
    assert post_lines(drain_web, batch) == 204

    [r10] = wait_for_events(sentry_sink, 1, heroku_error="R10", dyno=booting)
    assert r10["message"] == f"R10 Boot timeout: {booting}"
    [r15] = wait_for_events(sentry_sink, 1, heroku_error="R15", dyno=killed)
    assert r15["server_name"] == killed
    [crash] = wait_for_events(sentry_sink, 1, heroku_error="crashed", dyno=crashed)
    assert crash["message"] == f"Dyno crashed: {crashed} (exit status 1)"
    assert crash["level"] == "error"


def test_a_scheduler_dyno_killed_for_memory_is_an_error_check_in_for_its_declared_job(drain_web, sentry_sink):
    # bahk/settings.py declares clearsessions; the run's lines reach the drain in two batches, to either worker.
    dyno = fresh_dyno("scheduler")
    assert post_lines(drain_web, lines.scheduler_run(dyno, "python manage.py clearsessions")) == 204
    assert post_lines(drain_web, [("heroku", dyno, message) for message in lines.KILLED_OVER_MEMORY]) == 204

    [check_in] = sentry_sink.wait_for(lambda s: s.checkins("clearsessions"), what="the job's error check-in")
    assert check_in["status"] == "error"
    assert check_in["monitor_config"]["schedule"] == {"type": "crontab", "value": "0 3 * * *"}
    settle(1)
    assert len(sentry_sink.checkins("clearsessions")) == 1


def test_drain_buffer_overflow_is_a_warning(drain_web, sentry_sink):
    assert post_lines(drain_web, [("heroku", "logplex", lines.L10)]) == 204
    [event] = wait_for_events(sentry_sink, 1, heroku_error="L10")
    assert (event["level"], tags_of(event)["dyno"]) == ("warning", "logplex")
    assert event["contexts"]["heroku_log"]["dropped"] == 500


def test_memory_near_the_quota_warns_once_per_dyno(drain_web, sentry_sink):
    high, low = fresh_dyno(), fresh_dyno()
    batch = [("heroku", high, lines.memory_sample(high, 490)), ("heroku", low, lines.memory_sample(low, 200))]
    assert post_lines(drain_web, batch) == 204
    assert post_lines(drain_web, [("heroku", high, lines.memory_sample(high, 495))]) == 204

    [event] = wait_for_events(sentry_sink, 1, heroku_error="memory", dyno=high)
    assert event["level"] == "warning"
    assert event["contexts"]["heroku_log"]["memory_quota_mb"] == 512.0
    settle(1)
    assert len(platform_events(sentry_sink, heroku_error="memory", dyno=high)) == 1
    assert platform_events(sentry_sink, dyno=low) == []


def test_app_lines_are_left_to_the_sdk_in_that_dyno(drain_web, sentry_sink):
    dyno = fresh_dyno()
    batch = [
        ("app", dyno, lines.R14),
        ("app", dyno, lines.router("H12", "Request timeout", dyno=dyno)),
        ("app", dyno, "Traceback (most recent call last):"),
        ("heroku", "router", lines.R14),  # the wrong source for an R code: the router never writes one
        ("heroku", dyno, lines.router_ok(dyno=dyno)),
    ]
    assert post_lines(drain_web, batch) == 204
    settle(1)
    assert platform_events(sentry_sink, dyno=dyno) == []


def test_a_300_line_mixed_batch_gives_exactly_its_errors(drain_web, sentry_sink):
    h12, h13, worker, crashed = fresh_dyno(), fresh_dyno(), fresh_dyno("worker"), fresh_dyno()
    errors = [
        *[("heroku", "router", lines.router("H12", "Request timeout", dyno=h12)) for _ in range(3)],
        ("heroku", "router", lines.router("H13", "Connection closed without response", dyno=h13,
                                          path=ADMIN_USER.format(12))),
        ("heroku", "router", lines.router("H13", "Connection closed without response", dyno=h13,
                                          path=ADMIN_USER.format(99))),
        ("heroku", worker, lines.R14),
        ("heroku", crashed, "State changed from up to crashed"),
        ("heroku", "logplex", lines.L11),
    ]  # fmt: skip
    noise = [
        *[("heroku", "router", lines.router_ok(dyno=h12)) for _ in range(240)],
        *[("app", h12, f"INFO hub.views: served participant {number}") for number in range(30)],
        *[("heroku", dyno, lines.load_sample(dyno)) for dyno in (h12, h13) * 5],
        *[("heroku", worker, lines.memory_sample(worker, 200)) for _ in range(20 - len(errors))],
    ]
    batch = list(noise)
    for index, error in enumerate(errors):  # spread through the batch, as they would come
        batch.insert(index * 37, error)
    assert len(batch) == 300
    assert post_lines(drain_web, batch) == 204

    expected = {("H12", h12): 3, ("H13", h13): 2, ("R14", worker): 1, ("crashed", crashed): 1, ("L11", "logplex"): 1}
    for (code, dyno), count in expected.items():
        [event] = wait_for_events(sentry_sink, 1, heroku_error=code, dyno=dyno)
        assert line_count(event) == count
    [h13_event] = platform_events(sentry_sink, heroku_error="H13", dyno=h13)
    assert h13_event["fingerprint"] == ["heroku", "H13", ADMIN_USER_ROUTE]  # /users/12/ and /users/99/: one issue
    settle(1)
    ours = {h12, h13, worker, crashed}
    found = [
        (tags_of(e)["heroku_error"], tags_of(e)["dyno"])
        for e in platform_events(sentry_sink)
        if tags_of(e)["dyno"] in ours
    ]
    assert sorted(found) == sorted(key for key in expected if key[1] in ours)
    assert len(platform_events(sentry_sink, heroku_error="L11")) == 1


def test_a_flood_of_1000_h12_gives_at_most_the_limit_of_events_counting_all_1000(drain_web, sentry_sink):
    dyno = fresh_dyno()
    flood = [("heroku", "router", lines.router("H12", "Request timeout", dyno=dyno)) for _ in range(1000)]
    assert post_lines(drain_web, flood) == 204

    events = wait_for_events(sentry_sink, 1, heroku_error="H12", dyno=dyno)
    settle(1)
    events = platform_events(sentry_sink, heroku_error="H12", dyno=dyno)
    assert 1 <= len(events) <= 3
    assert sum(map(line_count, events)) == 1000


def test_a_storm_over_many_batches_sends_at_most_the_limit_a_minute(drain_web, sentry_sink):
    dyno = fresh_dyno()
    for _ in range(10):
        storm = [("heroku", "router", lines.router("H12", "Request timeout", dyno=dyno)) for _ in range(100)]
        assert post_lines(drain_web, storm) == 204

    wait_for_events(sentry_sink, 3, heroku_error="H12", dyno=dyno)
    settle(1)
    events = platform_events(sentry_sink, heroku_error="H12", dyno=dyno)
    assert [line_count(event) for event in events] == [100, 100, 100]


def test_malformed_frames_are_skipped_and_the_valid_ones_in_the_batch_still_count(drain_web, sentry_sink):
    dyno = fresh_dyno("worker")
    valid = lines.frame("heroku", dyno, lines.R14)
    body = b"garbage\xff\xfe 12 <13>" + valid + b"99999999 <158>1 cut short" + b"5" + valid[:-30]
    assert post(drain_web, body, lines.headers(3, secret=SECRET))[0] == 204
    [event] = wait_for_events(sentry_sink, 1, heroku_error="R14", dyno=dyno)
    assert line_count(event) == 1


def test_drain_batches_are_not_traced_and_set_no_cookie(drain_web, sentry_sink):
    status, headers = post(
        drain_web, lines.body([("heroku", "router", lines.router_ok())]), lines.headers(1, secret=SECRET)
    )
    assert status == 204
    assert "Set-Cookie" not in headers
    http_get(drain_web + "/admin/login/", headers={"Host": lines.HOST})
    sentry_sink.wait_for(lambda s: any(t["transaction"] == "/admin/login/" for t in s.transactions()))
    assert not [t for t in sentry_sink.transactions() if "heroku/logs" in t["transaction"]]


def test_access_log_has_no_line_per_drain_batch(sentry_sink, tmp_path, start_web):
    process, base_url = start_web(drain_env(tmp_path, sentry_sink))
    with process:
        for _ in range(3):
            assert post_lines(base_url, [("heroku", "router", lines.router_ok())]) == 204
        assert post_lines(base_url, [("heroku", "router", lines.router_ok())], secret="wrong" * 6) == 401
        http_get(base_url + "/admin/login/", headers={"Host": lines.HOST})
    output = process.output()
    assert '"GET /admin/login/ HTTP/1.1"' in output
    assert '"POST /heroku/logs/ HTTP/1.1" 401' in output  # a caller without the secret is logged
    assert '"POST /heroku/logs/ HTTP/1.1" 204' not in output


def test_two_dynos_sharing_redis_handle_a_retried_batch_once(sentry_sink, tmp_path, redis_url, start_web):
    dyno = fresh_dyno("worker")
    batch = [("heroku", dyno, lines.R14)]
    web1, url1 = start_web(drain_env(tmp_path, sentry_sink, REDIS_URL=redis_url))
    web2, url2 = start_web(drain_env(tmp_path, sentry_sink, "web.2", REDIS_URL=redis_url))
    with web1, web2:
        assert post_lines(url1, batch, frame_id="7A1B2C3D4E5F60718293A4B5C6D7E8F9") == 204
        assert post_lines(url2, batch, frame_id="7A1B2C3D4E5F60718293A4B5C6D7E8F9") == 204
    [event] = wait_for_events(sentry_sink, 1, heroku_error="R14", dyno=dyno)
    assert event["server_name"] == dyno
    assert len(platform_events(sentry_sink, dyno=dyno)) == 1


def test_an_adversarial_storm_of_240_chosen_paths_sends_a_few_events_per_code_each_tagged_by_its_dyno(
    drain_web, sentry_sink
):
    # Anyone can make the router write these: requests to paths, with methods, Hosts and addresses of their choosing.
    dyno = fresh_dyno()
    storm = lines.attacker_lines(240, dyno)
    for start in range(0, 240, 30):
        assert post_lines(drain_web, storm[start : start + 30]) == 204

    wait_for_events(sentry_sink, 4, dyno=dyno)
    settle(1)
    events = platform_events(sentry_sink, dyno=dyno)
    per_code = {
        code: [e for e in events if tags_of(e)["heroku_error"] == code] for code in ("H27", "H13", "H18", "H26")
    }
    assert {code: len(found) for code, found in per_code.items()} == {"H27": 3, "H13": 3, "H18": 3, "H26": 3}
    assert {tuple(event["fingerprint"]) for event in per_code["H27"]} == {("heroku", "H27", "<unrouted>")}
    assert {event["transaction"] for event in events} == {"<unrouted>"}
    assert {event["server_name"] for event in events} == {dyno}
    # The first three batches' lines; the other five batches' are held back for the summary after the minute.
    assert sum(map(line_count, events)) == 90
    assert {event["contexts"]["heroku_log"]["held_back"] for event in events} == {0}


def test_control_characters_and_a_9_kb_path_reach_no_tag_server_name_transaction_or_fingerprint(drain_web, sentry_sink):
    request_id = "b5a1c0de-0000-4000-8000-000000000017"
    line = lines.router(
        "H12",
        "Request timeout",
        dyno="web.1\x1b[31m\x00\x7f",
        path="/x\r\x1b[2J" + "a" * 9000,
        method="GET\x1b[0m",
        request_id=request_id,
    )
    assert post_lines(drain_web, [("heroku", "router", line)]) == 204

    [event] = wait_for_events(sentry_sink, 1, request_id=request_id)
    tags = tags_of(event)
    sent = [*tags.values(), event["server_name"], event["transaction"], *event["fingerprint"]]
    assert [value for value in sent if any(ord(c) < 32 or 127 <= ord(c) < 160 for c in value)] == []
    assert (tags["dyno"], event["server_name"], tags["method"]) == ("unknown", "unknown", tag_value("GET\x1b[0m"))
    assert (event["transaction"], event["fingerprint"]) == ("<unrouted>", ["heroku", "H12", "<unrouted>"])
    context = event["contexts"]["heroku_log"]
    assert context["dyno_in_line"] == clean("web.1\x1b[31m\x00\x7f", 200)
    assert context["path"] == clean("/x\r\x1b[2J" + "a" * 9000, 200)
    assert len(event["message"]) <= 1000


def test_redis_and_postgres_near_their_connection_limit_warn_once_per_window(drain_web, sentry_sink):
    for process, sample, limit in (("heroku-redis", lines.redis_metrics, 200),
                                   ("heroku-postgres", lines.postgres_metrics, 400)):  # fmt: skip
        assert post_lines(drain_web, [("app", process, sample(limit * 79 // 100, limit))]) == 204
        settle(1)
        assert platform_events(sentry_sink, dyno=process) == []
        assert post_lines(drain_web, [("app", process, sample(limit * 81 // 100, limit))]) == 204
        [warning] = wait_for_events(sentry_sink, 1, dyno=process, heroku_error="connections")
        assert (warning["level"], warning["logger"]) == ("warning", "heroku.addon")
        assert f"at 81% of its connection limit ({limit * 81 // 100} of {limit})" in warning["message"]
        assert "python manage.py capacity" in warning["message"]
        assert post_lines(drain_web, [("app", process, sample(limit * 81 // 100, limit))]) == 204
        settle(1)
        assert len(platform_events(sentry_sink, dyno=process)) == 1
