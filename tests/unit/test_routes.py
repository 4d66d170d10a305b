"""The route a path is grouped by: the SDK's transaction name for it, else its first segment."""

import pytest

from sentry_heroku.routes import route_for, url_route

ROUTES = {"/users/12/": "/users/{pk}/", "/users/99/": "/users/{pk}/", "/": "/"}


@pytest.mark.parametrize(
    ("path", "route"),
    [("/users/12/", "/users/{pk}/"), ("/users/99/", "/users/{pk}/"), ("/", "/"),
     ("/unknown/page/3/", "/unknown/"), ("", "/"), ("//", "/")],
)  # fmt: skip
def test_a_path_groups_by_its_route_or_else_its_first_segment(path, route):
    assert route_for(path, ROUTES.get) == route


def test_a_resolver_that_raises_falls_back_to_the_first_segment():
    def broken(path):
        raise ValueError(path)

    assert route_for("/users/12/", broken) == "/users/"


@pytest.mark.parametrize(
    ("path", "route"),
    [
        ("/admin/auth/user/12/change/", "/admin/auth/user/{object_id}/change/"),
        ("/api/participants/map/", "/api/participants/map/"),
        ("/wp-login.php", "/wp-login.php"),
        ("/%ff/\x00", "/%ff/"),
    ],
)
def test_the_projects_urls_name_routes_as_sentry_names_their_transactions(path, route):
    assert url_route(path) == route
