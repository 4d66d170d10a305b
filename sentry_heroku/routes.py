"""The route a request path is grouped by: the name Sentry gives its transaction, else its first segment.

The drain's H12 for /users/12/ and the watchdog's warning for the same request
then carry the same name as the request's own transaction ("/users/{pk}/"),
and /users/12/ and /users/99/ are one issue. A path the project does not
route falls back to its first segment ("/wp-admin/setup.php" → "/wp-admin/").
"""

from collections.abc import Callable
from functools import lru_cache

# How the SDK's DjangoIntegration (transaction_style="url") names a transaction.
from sentry_sdk.integrations.django.transactions import LEGACY_RESOLVER


def route_for(path: str, resolve: Callable[[str], str | None]) -> str:
    try:
        route = resolve(path)
    except Exception:  # a path from a log line may be anything; the fallback below still groups it
        route = None
    if route:
        return route
    first, slash, _ = path.lstrip("/").partition("/")
    return f"/{first}{slash}" if first else "/"


@lru_cache(maxsize=2048)
def url_route(path: str) -> str:
    """route_for() with the project's URLconf; cached, as the same few paths come back in every storm."""
    return route_for(path, LEGACY_RESOLVER.resolve)
