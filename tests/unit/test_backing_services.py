"""bahk/backing_services.py: the add-on URLs a dyno must have, and what a well-formed REDIS_URL is."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import given
from hypothesis import strategies as st
from redis.connection import parse_url

from bahk.backing_services import celery_redis, redis_cache, require_addons

PASSWORD = "s3cr3t-redis-pass-98b1"

hosts = st.one_of(
    st.from_regex(r"[a-z][a-z0-9-]{0,20}(\.[a-z][a-z0-9-]{0,10}){0,3}", fullmatch=True),
    st.ip_addresses(v=4).map(str),
    st.ip_addresses(v=6).map(lambda address: f"[{address}]"),
)
passwords = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~", min_size=1, max_size=40
)


@given(
    scheme=st.sampled_from(["redis", "rediss"]),
    password=st.none() | passwords,
    host=hosts,
    port=st.none() | st.integers(min_value=1, max_value=65535),
    database=st.none() | st.integers(min_value=0, max_value=15),
)
def test_every_well_formed_redis_url_is_accepted_and_means_what_redis_py_reads(scheme, password, host, port, database):
    url = f"{scheme}://{f':{password}@' if password else ''}{host}{f':{port}' if port else ''}"
    url += f"/{database}" if database is not None else ""

    assert redis_cache(url)["LOCATION"] == url
    assert celery_redis(url, task_time_limit=300)["broker_url"] == url
    read = parse_url(url)
    assert read["host"] == host.strip("[]")
    assert read.get("port") == port
    assert read.get("db", 0) == (database or 0)


MALFORMED = [
    ("redis://127.0.0.1:", "the port after ':' is empty or 0"),
    (f"redis://:{PASSWORD}@ec2-1-2-3-4.compute-1.amazonaws.com:", "the port after ':' is empty or 0"),
    ("redis://[::1]:", "the port after ':' is empty or 0"),
    ("redis://h:0", "the port after ':' is empty or 0"),
    ("redis://h:6379/abc", "must be a database number"),
    ("redis://h:6379/1/2", "must be a database number"),
    ("redis://h:65536", "malformed"),
    ("redis://h:port", "malformed"),
    (f"redis://:{PASSWORD}@:6379", "the host is missing"),
    ("http://h:6379", "got scheme 'http'"),
]


@pytest.mark.parametrize(("url", "reason"), MALFORMED)
def test_a_malformed_redis_url_fails_naming_the_variable_and_never_its_password(url, reason):
    with pytest.raises(ImproperlyConfigured) as refused:
        redis_cache(url)

    message = str(refused.value)
    assert message.startswith("REDIS_URL must look like")
    assert reason in message
    assert PASSWORD not in message


@given(junk=st.text(max_size=60))
def test_any_redis_url_is_either_accepted_or_refused_with_a_message_naming_it(junk):
    for url in (junk, f"redis://{junk}", f"redis://h:{junk}"):
        try:
            redis_cache(url)
        except ImproperlyConfigured as refused:
            assert str(refused).startswith("REDIS_URL must look like")


@pytest.mark.parametrize(
    ("database_url", "redis_url", "named"),
    [
        ("", "redis://h:6379", ["DATABASE_URL"]),
        ("postgres://u:p@h/db", "", ["REDIS_URL"]),
        ("", "", ["DATABASE_URL", "REDIS_URL"]),
    ],
)
def test_a_dyno_without_an_addon_is_refused_with_the_command_that_adds_it(database_url, redis_url, named):
    with pytest.raises(ImproperlyConfigured) as refused:
        require_addons(database_url=database_url, redis_url=redis_url, on_heroku=True)

    message = str(refused.value)
    assert "\n" not in message
    for name in named:
        assert f"{name} is not set" in message
    assert ("heroku addons:create heroku-postgresql:essential-0" in message) == ("DATABASE_URL" in named)
    assert ("heroku addons:create heroku-redis:mini" in message) == ("REDIS_URL" in named)


@pytest.mark.parametrize(("database_url", "redis_url"), [("", ""), ("postgres://u:p@h/db", "redis://h:6379")])
def test_off_heroku_the_embedded_defaults_are_fine(database_url, redis_url):
    require_addons(database_url=database_url, redis_url=redis_url, on_heroku=False)
