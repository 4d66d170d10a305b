"""The map API with the production cache, a real Redis: never stale, and answering when Redis stops."""

import io

import pytest
from django.core.management import call_command

from bahk import backing_services
from hub import map_cache
from hub.models import Participant
from tests.support.map_api import get, names
from tests.support.participants import add


@pytest.fixture
def redis_cache(settings, redis_url):
    """The production cache: Redis, shared by every process."""
    settings.CACHES = {"default": backing_services.redis_cache(redis_url)}


def test_a_change_gives_a_new_etag(client, transactional_db, redis_cache):
    add("Ana", -9.14, 38.72)
    before = get(client)["ETag"]
    add("Ben", 13.4, 52.5)
    assert get(client, **{"If-None-Match": before}).status_code == 200


def test_cache_serves_the_stored_body_until_the_data_version_changes(client, transactional_db, redis_cache):
    ana = add("Ana", -9.14, 38.72)
    assert names(client) == ["Ana"]
    # QuerySet.update() sends no signal: the cache, rightly, still answers what it stored...
    Participant.objects.filter(pk=ana.pk).update(name="Ana Renamed")
    assert names(client) == ["Ana"]
    # ...until the code that changed the rows bumps the version, as map_cache asks.
    map_cache.bump_version()
    assert names(client) == ["Ana Renamed"]


def test_cached_map_is_never_stale_after_save_delete_or_seed(client, transactional_db, redis_cache):
    ana = add("Ana", -9.14, 38.72)
    assert names(client) == ["Ana"]

    add("Ben", 13.4, 52.5)
    assert names(client) == ["Ana", "Ben"]

    ana.name = "Ana Moved"
    ana.save()
    assert names(client) == ["Ana Moved", "Ben"]

    ana.delete()
    assert names(client) == ["Ben"]

    call_command("seed_participants", count=20, seed=3, stdout=io.StringIO())
    assert len(names(client)) == Participant.objects.filter(is_public=True).count() > 1


@pytest.mark.own_servers
def test_answers_when_redis_stops_between_requests(client, transactional_db, settings, redis_server, redis_url):
    settings.CACHES = {"default": backing_services.redis_cache(redis_url)}
    add("Ana", -9.14, 38.72)
    assert names(client) == ["Ana"]
    redis_server.stop()
    try:
        add("Ben", 13.4, 52.5)  # the bump after this commit fails too, without failing the save
        assert names(client) == ["Ana", "Ben"]
    finally:
        redis_server.start()
