"""/api/sentry-debug/ acts only on a staff POST carrying the form's CSRF token; a GET only shows the form."""

import logging
import re

import pytest
from celery.signals import before_task_publish
from django.test import Client

DEBUG = "/api/sentry-debug/"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def staff(admin_user):
    """A staff member's browser: Django checks its CSRF tokens, as it does for a real one."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    return client


@pytest.fixture
def published():
    """The names of the tasks sent while the test runs, as Celery announces them."""
    names = []

    def record(sender, **kwargs):
        names.append(sender)

    before_task_publish.connect(record, weak=False)
    yield names
    before_task_publish.disconnect(record)


def form_token(client) -> str:
    return TOKEN.search(client.get(DEBUG).content.decode())[1]


@pytest.mark.parametrize("query", [{}, {"celery": "true"}, {"log": "true"}, {"action": "celery"}])
def test_a_staff_get_shows_one_button_per_action_and_triggers_nothing(staff, published, caplog, query):
    with caplog.at_level(logging.ERROR):
        response = staff.get(DEBUG, query)

    assert response.status_code == 200
    html = response.content.decode()
    assert re.findall(r'<button type="submit" name="action" value="(\w+)">', html) == ["error", "log", "celery"]
    assert TOKEN.search(html)
    assert published == []
    assert [record for record in caplog.records if record.levelno >= logging.ERROR] == []


def test_the_celery_action_sends_the_failing_task(staff, published):
    response = staff.post(DEBUG, {"action": "celery", "csrfmiddlewaretoken": form_token(staff)})

    assert response.status_code == 202
    assert response.json()["task_id"]
    assert published == ["sentry_heroku.tasks.fail_for_sentry_debug"]


def test_the_log_action_logs_an_error(staff, admin_user, caplog):
    with caplog.at_level(logging.ERROR):
        response = staff.post(DEBUG, {"action": "log", "csrfmiddlewaretoken": form_token(staff)})

    assert response.json() == {"logged": True}
    assert [record.getMessage() for record in caplog.records] == [
        f"sentry-debug: an error logged on purpose by {admin_user.pk}"
    ]


def test_the_error_action_raises_in_the_view(staff):
    with pytest.raises(ZeroDivisionError):
        staff.post(DEBUG, {"action": "error", "csrfmiddlewaretoken": form_token(staff)})


def test_a_post_without_the_forms_token_is_refused(staff, published):
    staff.get(DEBUG)  # the CSRF cookie is set; a cross-site form has the cookie but not the token

    assert staff.post(DEBUG, {"action": "celery"}).status_code == 403
    assert published == []


def test_an_unknown_action_names_the_ones_there_are(staff):
    response = staff.post(DEBUG, {"action": "everything", "csrfmiddlewaretoken": form_token(staff)})

    assert response.status_code == 400
    assert response.json()["error"] == "action must be one of error, log, celery."


def test_a_post_from_anyone_else_is_the_same_404_as_a_url_that_does_not_exist(django_user_model, published):
    visitor = Client(enforce_csrf_checks=True)
    visitor.force_login(django_user_model.objects.create_user("visitor", "visitor@example.com", "x-9-long-password"))
    for client in (Client(enforce_csrf_checks=True), visitor):
        response = client.post(DEBUG, {"action": "celery"})
        unknown = client.post("/api/no-such-page/", {"action": "celery"})
        assert (response.status_code, response.content) == (404, unknown.content)
    assert published == []
