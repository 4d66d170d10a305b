"""The project's URLs plus what bench/map.py compares FastParticipantsMapView with.

/bench/naive/: the map written the usual way (model instances, a dict per
row, JsonResponse), same filter, order and limit.
/bench/ceiling/: the Django ceiling, the view's own bytes and headers
(captured by the bench into BENCH_MAP_BODY and BENCH_MAP_HEADERS) from a
view that does nothing else, through the same middleware.
"""

import functools
import json
import os
from pathlib import Path

from django.http import HttpResponse, JsonResponse
from django.urls import path

from bahk.urls import urlpatterns as project_urlpatterns
from hub.bbox import DEFAULT_LIMIT
from hub.models import Participant

# What the view itself sets; SecurityMiddleware and friends add the rest.
VIEW_HEADERS = ("Content-Type", "Content-Encoding", "ETag", "Vary", "Cache-Control")


def naive(request):
    participants = Participant.objects.filter(
        is_public=True, longitude__range=(-180, 180), latitude__range=(-90, 90)
    ).order_by("id")[:DEFAULT_LIMIT]
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [p.longitude, p.latitude]},
            "properties": {"id": p.id, "name": p.name, "city": p.city, "country": p.country},
        }
        for p in participants
    ]
    return JsonResponse({"type": "FeatureCollection", "features": features})


@functools.cache
def captured() -> tuple[bytes, dict[str, str]]:
    headers = json.loads(Path(os.environ["BENCH_MAP_HEADERS"]).read_text())
    return Path(os.environ["BENCH_MAP_BODY"]).read_bytes(), {name: headers[name] for name in VIEW_HEADERS}


def ceiling(request):
    body, headers = captured()
    return HttpResponse(body, headers=headers)


urlpatterns = [path("bench/naive/", naive), path("bench/ceiling/", ceiling), *project_urlpatterns]
