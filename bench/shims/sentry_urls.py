"""The project's URLs plus /bench/cached/, the cheap request of bench/sentry_overhead.py."""

from django.core.cache import cache
from django.http import JsonResponse
from django.urls import path

from bahk.urls import urlpatterns as project_urlpatterns

CACHE_KEY = "bench:sentry:cached"


def cached(request):
    """A cache hit and a small JSON answer: what a warm API endpoint costs."""
    value = cache.get(CACHE_KEY)
    if value is None:
        value = {"participants": [{"id": number, "lat": 52.0, "lon": 4.3} for number in range(20)]}
        cache.set(CACHE_KEY, value, None)
    return JsonResponse(value)


urlpatterns = [path("bench/cached/", cached), *project_urlpatterns]
