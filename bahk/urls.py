from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from bahk.health import health
from hub.views.fast import FastParticipantsMapView
from hub.views.map_page import map_page

urlpatterns = [
    path("health/", health, name="health"),
    path("", include("sentry_heroku.urls")),
    path("admin/", admin.site.urls),
    path("api/participants/map/", FastParticipantsMapView.as_view(), name="participants-map"),
    path("map/", map_page, name="map"),
    path("", RedirectView.as_view(pattern_name="map"), name="home"),
]
