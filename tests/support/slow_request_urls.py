"""The project's URLs plus /test/sleep/<seconds>/, a request as slow as the test asks."""

import time

from django.http import HttpResponse
from django.urls import path

from bahk.urls import urlpatterns as project_urlpatterns


def sleep(request, seconds):
    time.sleep(seconds)  # the watchdog's event must point at this line
    return HttpResponse("slept")


urlpatterns = [path("test/sleep/<int:seconds>/", sleep), *project_urlpatterns]
