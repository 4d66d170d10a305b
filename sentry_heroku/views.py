"""/api/sentry-debug/: prove, from a deployed app, that errors reach Sentry.

Staff only: anyone else gets the same 404 as a URL that does not exist,
whatever the method. A GET shows a form with one button per action; only a
POST with the form's CSRF token acts, so a cross-site link or form cannot
make a logged-in staff member send events or tasks. The POSTed action:
  error    an unhandled ZeroDivisionError in this web dyno (the default);
  log      an error logged with logger.error (an event, no exception);
  celery   a task that fails in the worker dyno, in the same trace (202; without Celery no button, and 501).
A POSTed form or JSON body stays in the failing frame's locals, so what the
event carries of it can be checked: secrets in it must arrive filtered.
"""

import json
import logging
from functools import wraps
from importlib.util import find_spec

from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt, csrf_protect

logger = logging.getLogger(__name__)

_ACTIONS = {
    "error": "Raise an error in this web dyno",
    "log": "Log an error",
    "celery": "Fail a task in the worker dyno",
}


def _staff_only(view):
    """Anyone but staff gets Http404 before the view's CSRF check, so a stranger's POST is no 403 that gives it away."""

    # Exempt from the site-wide check only to come first; the view checks CSRF itself (csrf_protect).
    @csrf_exempt
    @wraps(view)
    def gate(request):
        if not (request.user.is_authenticated and request.user.is_staff):
            raise Http404
        return view(request)

    return gate


@_staff_only
@csrf_protect
def sentry_debug(request):
    if request.method == "GET":
        return render(request, "sentry_heroku/sentry_debug.html", {"actions": available_actions()})
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    action = request.POST.get("action", "error")
    if action == "celery":
        return send_failing_task()
    if action == "log":
        logger.error("sentry-debug: an error logged on purpose by %s", request.user.pk)
        return JsonResponse({"logged": True})
    if action != "error":
        return JsonResponse({"error": f"action must be one of {', '.join(_ACTIONS)}."}, status=400)
    submitted = request.POST.dict() if request.POST else _submitted_json(request)
    return JsonResponse({"result": 1 / 0, "submitted": submitted})


def available_actions() -> dict[str, str]:
    """The form's buttons: the celery one only where the project has Celery."""
    return {action: label for action, label in _ACTIONS.items() if action != "celery" or find_spec("celery")}


def send_failing_task() -> JsonResponse:
    # Imported here: tasks.py needs Celery, which a project may not have.
    if not find_spec("celery"):
        return JsonResponse({"error": "The celery action needs Celery: this project does not have it."}, status=501)
    from .tasks import fail_for_sentry_debug

    result = fail_for_sentry_debug.delay()
    return JsonResponse({"task_id": result.id}, status=202)


def _submitted_json(request) -> object:
    if request.content_type != "application/json" or not request.body:
        return None
    try:
        return json.loads(request.body)
    except ValueError:
        return None
