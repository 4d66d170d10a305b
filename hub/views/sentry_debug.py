"""GET /api/sentry-debug/: prove, from a deployed app, that errors reach Sentry.

Staff only: anyone else gets the same 404 as a URL that does not exist.
Plain: an unhandled ZeroDivisionError in this web dyno.
?celery=true: a task that fails in the worker dyno, in the same trace.
"""

from django.http import Http404, JsonResponse

from hub.tasks import fail_for_sentry_debug


def sentry_debug(request):
    if not (request.user.is_authenticated and request.user.is_staff):
        raise Http404
    if request.GET.get("celery") == "true":
        result = fail_for_sentry_debug.delay()
        return JsonResponse({"task_id": result.id}, status=202)
    return JsonResponse({"result": 1 / 0})
