"""The Procfile's beat and worker, on Redis: each beat entry checks in (in_progress from beat, then ok or
error from the worker), with margins, and beat itself is initialised with the SDK (its liveness)."""

import pytest

from tests.support.processes import start_beat

# A crontab() entry is due at the next whole minute: up to 60 s, then the worker's run.
DUE_SECONDS = 100


@pytest.fixture
def dyno_values():
    return {"DJANGO_SETTINGS_MODULE": "tests.support.crons_settings", "SENTRY_LIVENESS_SECONDS": "5"}


def test_beat_entries_check_in_from_beat_and_worker_with_margins(dyno_env, sentry_sink, tmp_path, start_worker):
    worker = start_worker(dyno_env("worker.1"))
    # Beat's schedule file in the test's own folder: one left in /tmp by an earlier run (another user's,
    # as Heroku CI's pass after the main one) would stop it.
    beat = start_beat(dyno_env("beat.1") | {"TMPDIR": str(tmp_path)}, tmp_path / "beat.log")
    try:
        # beat initialised the SDK and the app: its own liveness check-in arrives.
        sentry_sink.wait_for(lambda sink: sink.checkins("heroku-beat"), timeout=30, what="beat's liveness")

        def finished(slug, status):
            return lambda sink: [c for c in sink.checkins(slug) if c["status"] == status]

        sentry_sink.wait_for(finished("every-minute-report", "ok"), timeout=DUE_SECONDS, what="the report's ok")
        sentry_sink.wait_for(finished("every-minute-failure", "error"), timeout=30, what="the failure's error")
        for slug, outcome in (("every-minute-report", "ok"), ("every-minute-failure", "error")):
            check_ins = sentry_sink.checkins(slug)
            assert [c["status"] for c in check_ins][:2] == ["in_progress", outcome], beat.output()
            assert check_ins[0]["check_in_id"] == check_ins[1]["check_in_id"]
            for check_in in check_ins[:2]:
                assert check_in["monitor_config"] == {
                    "schedule": {"type": "crontab", "value": "* * * * *"},
                    "timezone": "UTC",
                    "checkin_margin": 3,
                    "max_runtime": 10,  # the 300 s task time limit, plus 5 minutes' wait for a free worker
                }
    finally:
        beat.stop()
        worker.stop()
