"""The route a request path is grouped by: the name Sentry gives its transaction, else one name for any other path.

The drain's H12 for /users/12/ and the watchdog's warning for the same request
then carry the same name as the request's own transaction ("/users/{pk}/"),
and /users/12/ and /users/99/ are one issue.

A path the project does not route is UNROUTED, whatever it is. Anyone can
make the router write an H27 or H13 for a path they choose, so a route taken
from the path itself (its first segment, say) would let a stranger open a new
Sentry issue, with its own share of the quota, per request. One name per code
and dyno rather than a bounded number of distinct ones: a bounded set would
still be filled by whoever sends the most paths, pushing a real one out,
while the one group reports the whole storm as one issue with its count, and
the event's context keeps the path the router wrote. The paths the project
does serve keep their own routes, so no real page shares that group.
"""

from collections.abc import Callable
from functools import lru_cache

# How the SDK's DjangoIntegration (transaction_style="url") names a transaction.
from sentry_sdk.integrations.django.transactions import LEGACY_RESOLVER

UNROUTED = "<unrouted>"
# The router accepts request lines up to 8 KB; no route of this project is near this long, so a longer path is
# grouped without asking the URLconf (and never fills _project_route's cache with kilobytes per entry).
MAX_ROUTED_PATH = 2000


def route_for(path: str, resolve: Callable[[str], str | None]) -> str:
    if len(path) > MAX_ROUTED_PATH:
        return UNROUTED
    try:
        route = resolve(path)
    except Exception:  # a path from a log line may be anything; it still groups, as unrouted
        route = None
    return route or UNROUTED


def url_route(path: str) -> str:
    """route_for() with the project's URLconf."""
    return route_for(path, _project_route)


@lru_cache(maxsize=2048)
def _project_route(path: str) -> str | None:
    """Cached, as the same few paths come back in every storm; behind route_for's length check, so never 8 KB keys."""
    return LEGACY_RESOLVER.resolve(path)
