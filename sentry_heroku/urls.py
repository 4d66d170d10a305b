from django.urls import path

from .views import sentry_debug

urlpatterns = [
    path("api/sentry-debug/", sentry_debug, name="sentry-debug"),
]
