"""The route a path is grouped by: the SDK's transaction name for it, else the one name of every unrouted path."""

import pytest

from sentry_heroku.routes import MAX_ROUTED_PATH, UNROUTED, route_for, url_route

ROUTES = {"/users/12/": "/users/{pk}/", "/users/99/": "/users/{pk}/", "/": "/"}


@pytest.mark.parametrize(
    ("path", "route"),
    [("/users/12/", "/users/{pk}/"), ("/users/99/", "/users/{pk}/"), ("/", "/"),
     ("/unknown/page/3/", UNROUTED), ("/wp-admin/setup.php", UNROUTED), ("", UNROUTED), ("//", UNROUTED)],
)  # fmt: skip
def test_a_path_groups_by_its_route_or_else_as_unrouted(path, route):
    assert route_for(path, ROUTES.get) == route


def test_a_resolver_that_raises_groups_the_path_as_unrouted():
    def broken(path):
        raise ValueError(path)

    assert route_for("/users/12/", broken) == UNROUTED


def test_240_paths_a_stranger_chose_are_one_route():
    assert {url_route(f"/{number}-{'x' * number}.php") for number in range(240)} == {UNROUTED}


def test_a_path_longer_than_any_route_is_unrouted_without_asking_the_urlconf():
    asked = []
    assert route_for("/users/" + "9" * MAX_ROUTED_PATH, lambda path: asked.append(path) or "/users/{pk}/") == UNROUTED
    assert asked == []


@pytest.mark.parametrize(
    ("path", "route"),
    [
        ("/admin/auth/user/12/change/", "/admin/auth/user/{object_id}/change/"),
        ("/admin/no/such/page/", "/admin/{url}"),
        ("/api/participants/map/", "/api/participants/map/"),
        ("/wp-login.php", UNROUTED),
        ("/%ff/\x00", UNROUTED),
    ],
)
def test_the_projects_urls_name_routes_as_sentry_names_their_transactions(path, route):
    assert url_route(path) == route
