"""Liveness: when it is on, the interval a dyno's processes share, and the probe's Host."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from sentry_heroku.crons import sends_liveness
from sentry_heroku.crons._liveness import IntervalClaim, WebLiveness, probe_host
from sentry_heroku.dyno import read_dyno
from tests.support.servers import free_port


@pytest.mark.parametrize(
    ("environ", "seconds"),
    [
        ({}, 60),
        ({"SENTRY_LIVENESS_SECONDS": "5"}, 5),
        ({"SENTRY_LIVENESS_SECONDS": "0"}, 0),
        ({"HEROKU_PR_NUMBER": "123"}, 0),
        ({"HEROKU_BRANCH": "fix-map", "SENTRY_LIVENESS_SECONDS": "30"}, 0),
    ],
)
def test_liveness_interval_and_off_on_review_apps(sentry_config, environ, seconds):
    assert sentry_config(**environ).liveness_seconds == seconds


@pytest.mark.parametrize("value", ["61", "-1", "1.5", "soon"])
def test_bad_liveness_interval_names_the_variable(sentry_config, value):
    with pytest.raises(ImproperlyConfigured, match="SENTRY_LIVENESS_SECONDS"):
        sentry_config(SENTRY_LIVENESS_SECONDS=value)


@pytest.mark.parametrize(
    ("allowed_hosts", "host"),
    [
        ([".herokuapp.com", "bahk.herokuapp.com"], "herokuapp.com"),
        (["shop.example.com"], "shop.example.com"),
        (["*"], "localhost"),
        ([], "localhost"),
    ],
)
def test_probe_host_is_one_the_project_allows(allowed_hosts, host):
    assert probe_host(allowed_hosts) == host


def test_processes_of_one_dyno_share_the_interval_without_redis(tmp_path):
    first, second = IntervalClaim("production", "web", 60), IntervalClaim("production", "web", 60)
    first.local_path = second.local_path = str(tmp_path / "claim")
    assert first.take_on_this_dyno() is True
    assert second.take_on_this_dyno() is False
    assert first.take_on_this_dyno() is False


def test_web_process_vouches_for_itself_only_while_it_answers():
    web = WebLiveness(IntervalClaim("production", "web", 60), "heroku-web", port=free_port(), host="localhost")
    web.start = lambda: None  # the heartbeat thread is not what this test is about
    assert web.serves() is False  # no request this interval, and nothing answers its probe
    web.answered()
    assert web.serves() is True


@pytest.mark.parametrize(
    ("environ", "sends"),
    [
        ({"DYNO": "web.1"}, True),
        ({"DYNO": "worker.3"}, True),
        ({"DYNO": "beat.1"}, True),
        ({"DYNO": "web-12a34b56d-e78f9"}, True),  # Fir
        ({"DYNO": "run.1234"}, False),
        ({"DYNO": "release.9768"}, False),
        ({"DYNO": "scheduler.4242"}, False),
        ({"DYNO": "web.1", "HEROKU_PR_NUMBER": "17"}, False),
        ({"DYNO": "web.1", "SENTRY_LIVENESS_SECONDS": "0"}, False),
        ({"DYNO": "web.1", "LOCAL_DYNO": "1"}, False),  # bin/dev
        ({"DYNO": "web.1", "CI": "true"}, False),  # Heroku CI
        ({}, False),
    ],
)
def test_liveness_only_from_long_running_dynos(sentry_config, environ, sends):
    assert sends_liveness(read_dyno(environ), sentry_config(**environ)) is sends
