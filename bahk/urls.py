from django.contrib import admin
from django.urls import path

from hub.views.health import health
from hub.views.sentry_debug import sentry_debug

urlpatterns = [
    path("health/", health, name="health"),
    path("api/sentry-debug/", sentry_debug, name="sentry-debug"),
    path("admin/", admin.site.urls),
]
