"""GET /map/: the participants map page. Leaflet draws what /api/participants/map/ answers for the viewport."""

from django.shortcuts import render

from hub.bbox import DEFAULT_LIMIT


def map_page(request):
    return render(request, "hub/map.html", {"limit": DEFAULT_LIMIT})
