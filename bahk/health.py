"""GET /health/: is this dyno able to serve? For uptime monitors and the tests."""

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from redis.exceptions import RedisError


def database_status() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return "down"
    return "ok"


def redis_status() -> str:
    if not settings.REDIS_URL:
        return "not configured"
    try:
        cache.get("health:probe")
    except RedisError:
        return "down"
    return "ok"


@never_cache
def health(request):
    checks = {"database": database_status(), "redis": redis_status()}
    if checks["database"] != "ok":
        status = "down"
    elif checks["redis"] == "down":
        # The app still serves from the database; the worker and cache wait for Redis.
        status = "degraded"
    else:
        status = "ok"
    return JsonResponse({"status": status, **checks}, status=503 if status == "down" else 200)
