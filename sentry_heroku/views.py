"""/api/sentry-debug/: prove, from a deployed app, that errors reach Sentry.

Staff only: anyone else gets the same 404 as a URL that does not exist.
  GET            an unhandled ZeroDivisionError in this web dyno;
  ?log=true      an error logged with logger.error (an event, no exception);
  ?celery=true   a task that fails in the worker dyno, in the same trace (202).
A POSTed form or JSON body stays in the failing frame's locals, so what the
event carries of it can be checked: secrets in it must arrive filtered.
"""

import json
import logging

from django.http import Http404, JsonResponse

from sentry_heroku.tasks import fail_for_sentry_debug

logger = logging.getLogger(__name__)


def sentry_debug(request):
    if not (request.user.is_authenticated and request.user.is_staff):
        raise Http404
    if request.GET.get("celery") == "true":
        result = fail_for_sentry_debug.delay()
        return JsonResponse({"task_id": result.id}, status=202)
    if request.GET.get("log") == "true":
        logger.error("sentry-debug: an error logged on purpose by %s", request.user.pk)
        return JsonResponse({"logged": True})
    submitted = request.POST.dict() if request.POST else submitted_json(request)
    return JsonResponse({"result": 1 / 0, "submitted": submitted})


def submitted_json(request) -> object:
    if request.content_type != "application/json" or not request.body:
        return None
    try:
        return json.loads(request.body)
    except ValueError:
        return None
