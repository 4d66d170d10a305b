"""The map page in headless Chromium against the Procfile's web process, with nothing let out past loopback."""

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support.participants import public_in
from tests.support.processes import clean_env, migrate, run_command
from tests.support.servers import require_binary

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
READY = "#status[data-state='ready']"
REDRAWN = "old => { const s = document.getElementById('status'); return s.dataset.state === 'ready' && "
REDRAWN += "s.dataset.bbox !== old }"


@pytest.fixture
def laptop_web(database, redis_url, start_web):
    """Unlike conftest's web: a laptop's environment (the browser sends Host 127.0.0.1), and no Sentry."""
    env = clean_env(DATABASE_URL=f"sqlite:///{database}", REDIS_URL=redis_url)
    # What Heroku's build does: whitenoise serves Leaflet and the page's files from STATIC_ROOT.
    collected = run_command(["python", "manage.py", "collectstatic", "--noinput"], env)
    assert collected.returncode == 0, collected.stderr
    migrate(env)
    seeded = run_command(["python", "manage.py", "seed_participants", "--count", "3000", "--seed", "7"], env)
    assert seeded.returncode == 0, seeded.stderr
    return start_web(env)


@pytest.fixture
def page(laptop_web):
    from playwright.sync_api import sync_playwright

    chromium = require_binary("chromium", "chromium")
    _, base_url = laptop_web
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1000, "height": 700})
        page = context.new_page()
        page.blocked = []

        def only_loopback(route):
            if route.request.url.startswith(base_url + "/"):
                route.continue_()
            else:
                page.blocked.append(route.request.url)
                route.abort()

        page.route("**/*", only_loopback)
        yield page
        browser.close()


def shown(page) -> tuple[int, tuple[float, ...]]:
    status = page.locator("#status")
    return int(status.get_attribute("data-count")), tuple(map(float, status.get_attribute("data-bbox").split(",")))


def test_map_draws_the_participants_in_view_and_redraws_when_zoomed(page, laptop_web, database, tmp_path):
    _, base_url = laptop_web
    api_requests = []
    page.on("request", lambda request: "/api/participants/map/" in request.url and api_requests.append(request.url))

    page.goto(base_url + "/")
    page.wait_for_selector(READY)

    assert page.url == base_url + "/map/"
    count, bbox = shown(page)
    assert bbox[2] - bbox[0] > 180  # the page opens on (most of) the world
    assert count == public_in(database, *bbox) > 1000
    assert page.locator("#status").inner_text() == f"{count:,} participants in view."
    # Tiles were asked of OpenStreetMap, refused here, and the points were drawn anyway.
    assert any(url.startswith("https://tile.openstreetmap.org/") for url in page.blocked)
    page.wait_for_selector("#tiles-note", state="visible")

    with page.expect_request(lambda request: "/api/participants/map/" in request.url) as zoomed:
        page.locator(".leaflet-control-zoom-in").click()
    page.wait_for_function(REDRAWN, arg=page.locator("#status").get_attribute("data-bbox"))
    zoomed_count, zoomed_bbox = shown(page)
    requested = tuple(map(float, parse_qs(urlsplit(api_requests[-1]).query)["bbox"][0].split(",")))
    assert zoomed.value.url in api_requests
    assert requested == zoomed_bbox
    # One zoom level in: half the width (plus the outward rounding).
    assert zoomed_bbox[2] - zoomed_bbox[0] < (bbox[2] - bbox[0]) * 0.6
    assert zoomed_count == public_in(database, *zoomed_bbox) < count

    page.screenshot(path=tmp_path / "map.png")
    assert (tmp_path / "map.png").stat().st_size > 10_000


def test_map_says_so_when_the_api_cannot_be_reached(page, laptop_web):
    process, base_url = laptop_web
    page.goto(base_url + "/map/")
    page.wait_for_selector(READY)

    process.stop()
    page.locator(".leaflet-control-zoom-in").click()

    page.wait_for_selector("#status[data-state='error']")
    assert page.locator("#status").inner_text() == "Participants could not be loaded: the server could not be reached."
    assert page.locator("#status").get_attribute("data-count") == "0"
