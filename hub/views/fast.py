"""GET /api/participants/map/: public participants as GeoJSON, fast, and traced as an example to copy.

The request, step by step, each step a breadcrumb and, when the Django
integration's transaction will be sent, a child span of it:

1. cache lookup: the data version (from this process's memory while Redis
   keeps it fresh, else one small Redis GET), then the gzipped body for
   this bbox, limit and version, from this process's memory or from Redis
   (a hit ends here);
2. on a miss, the database query, which writes the GeoJSON itself (hub/geojson.py);
3. serialisation: the FeatureCollection around the features, as bytes;
4. compression, once per body, and the cache store.

The answer is gzip when the client accepts it (every browser does), with a
strong ETag so a client that has the body gets a 304. A cache that cannot
be reached costs a breadcrumb, never the request. Anything unexpected is
sent to Sentry with the participants_map context and answered as JSON.
"""

import functools
import gzip
import hashlib

import sentry_sdk
from django.core.exceptions import TooManyFieldsSent
from django.http import HttpResponse, HttpResponseNotModified, JsonResponse, QueryDict
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from hub import geojson, map_cache
from hub.bbox import InvalidQuery, MapQuery, parse_map_query
from hub.negotiation import accepts_gzip, etag_matches

CONTENT_TYPE = "application/geo+json"
# Level 1 gives 15.5 % of the raw size in 9 ms on 10,000 participants; level 6
# gives 13.2 % in 17 ms. A miss waits for this, a hit does not care.
GZIP_LEVEL = 1


class FastParticipantsMapView(View):
    http_method_names = ["get", "head", "options"]

    @classmethod
    def as_view(cls, **initkwargs):
        # Read-only and cookie-free: no CSRF token to check, and a POST should hear "405" in JSON, not a CSRF
        # page. Exempted once here: method_decorator on dispatch would wrap it anew on every request.
        return csrf_exempt(super().as_view(**initkwargs))

    def http_method_not_allowed(self, request, *args, **kwargs):
        response = JsonResponse({"error": f"{request.method} is not allowed; use GET."}, status=405)
        response["Allow"] = ", ".join(self._allowed_methods())
        return response

    def get(self, request):
        try:
            query = parsed_query(request.META.get("QUERY_STRING", ""))
        except TooManyFieldsSent:
            return JsonResponse({"error": "The query string has too many parameters."}, status=400)
        except InvalidQuery as error:
            return JsonResponse({"error": str(error)}, status=400)

        summary = {"bbox": list(query.bbox), "limit": query.limit}
        sentry_sdk.set_context("participants_map", summary)
        try:
            body, cache_state = load(query)
        except Exception as error:  # whatever went wrong, the map answers JSON
            sentry_sdk.capture_exception(error)
            return JsonResponse({"error": "The map could not be loaded; the error has been reported."}, status=500)
        summary |= {"count": body.count, "cache_hit": cache_state == "hit", "cache": cache_state}
        sentry_sdk.set_context("participants_map", summary)
        return respond(request, body)


# The page asks for the same few views again and again, and parsing one
# (Django's QueryDict, then the bbox) cost a cache hit a third of its view time.
@functools.lru_cache(maxsize=1024)
def parsed_query(query_string: str) -> MapQuery:
    """The query string as request.GET would read it (WSGI hands it over as latin-1), checked; failures are not kept."""
    return parse_map_query(QueryDict(query_string.encode("iso-8859-1")).lists())


def load(query: MapQuery) -> tuple[map_cache.CachedMap, str]:
    """The body for this query and where it came from: hit, miss, unreachable or process-local."""
    if not map_cache.is_shared():
        return build(query), "process-local"
    key, cached = lookup(query)
    if key is None:
        return build(query), "unreachable"
    if cached is not None:
        return cached, "hit"
    body = build(query)
    store(key, body)
    return body, "miss"


def lookup(query: MapQuery) -> tuple[str | None, map_cache.CachedMap | None]:
    """(cache key, cached body or None); no key at all when the cache cannot be reached."""
    with step(op="map.cache_lookup", name="participants map cache lookup") as span:
        try:
            key = map_cache.body_key(query, map_cache.data_version())
            cached, tier = map_cache.read(key)
        except map_cache.CACHE_ERRORS as error:
            span.set_data("cache.error", type(error).__name__)
            crumb("cache unreachable; answering from the database", level="warning", error=type(error).__name__)
            return None, None
        span.set_data("cache.hit", cached is not None)
        if cached is not None:
            span.set_data("cache.tier", tier)
    if cached is None:
        crumb("cache miss")
    else:
        crumb("cache hit", tier=tier, bytes=len(cached.gzipped))
    return key, cached


def store(key: str, body: map_cache.CachedMap) -> None:
    with step(op="map.cache_store", name="participants map cache store") as span:
        span.set_data("bytes", len(body.gzipped))
        try:
            map_cache.store(key, body)
        except map_cache.CACHE_ERRORS as error:
            # Full (Redis's noeviction policy) or gone since the lookup: this answer is still good.
            span.set_data("cache.error", type(error).__name__)
            crumb("cache store failed; answered anyway", level="warning", error=type(error).__name__)
            return
    crumb("cached", bytes=len(body.gzipped))


def build(query: MapQuery) -> map_cache.CachedMap:
    with step(op="map.query", name="public participants in bbox") as span:
        count, features = geojson.feature_rows(query)
        span.set_data("row_count", count)
    crumb("queried", rows=count)
    with step(op="map.serialize", name="GeoJSON FeatureCollection") as span:
        raw = geojson.feature_collection(features)
        span.set_data("bytes", len(raw))
    crumb("serialised", bytes=len(raw))
    with step(op="map.compress", name="gzip body") as span:
        # mtime=0: the same rows give the same bytes in every process, so the same ETag.
        gzipped = gzip.compress(raw, compresslevel=GZIP_LEVEL, mtime=0)
        span.set_data("bytes", len(gzipped))
        span.set_data("ratio", round(len(gzipped) / len(raw), 3))
    crumb("compressed", bytes=len(gzipped))
    return map_cache.CachedMap(count=count, gzipped=gzipped, tag=hashlib.sha256(gzipped).hexdigest()[:32])


def respond(request, body: map_cache.CachedMap) -> HttpResponse:
    # META rather than request.headers, which copies every header on first use.
    use_gzip = accepts_gzip(request.META.get("HTTP_ACCEPT_ENCODING", ""))
    # A strong ETag names one representation: the gzip and identity bodies differ.
    etag = f'"{body.tag}-gzip"' if use_gzip else f'"{body.tag}"'
    if etag_matches(request.META.get("HTTP_IF_NONE_MATCH", ""), etag):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body.gzipped if use_gzip else gzip.decompress(body.gzipped), content_type=CONTENT_TYPE)
        if use_gzip:
            response["Content-Encoding"] = "gzip"
    response["ETag"] = etag
    response["Vary"] = "Accept-Encoding"
    # Keep it, but ask every time: a participant may have moved, and a 304 is cheap.
    response["Cache-Control"] = "no-cache"
    return response


class Unrecorded:
    """Where a step's span would be when no one will read it."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return None

    def set_data(self, key, value) -> None:
        pass


UNRECORDED = Unrecorded()


def step(op: str, name: str):
    """A child span of the request's transaction when that transaction will be sent.

    The SDK builds a whole Span (and copies the scope) for every start_span,
    even with Sentry off or the transaction unsampled: 18 µs of a cache hit's
    75 µs in the view, measured in-process.
    """
    current = sentry_sdk.get_current_span()
    if current is None or not current.sampled:
        return UNRECORDED
    return sentry_sdk.start_span(op=op, name=name)


def crumb(message: str, level: str = "info", **data) -> None:
    # With Sentry off the SDK logs each dropped breadcrumb to its own (silenced) logger.
    if sentry_sdk.get_client().is_active():
        sentry_sdk.add_breadcrumb(category="participants_map", message=message, level=level, data=data)
