"""servicedesk.core.exact_cache: figures kept under keys naming their data, failing open."""

import logging
from array import array

from django.core.cache import cache

from servicedesk.core import exact_cache

LOCAL = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
DEAD_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens on port 9
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


def test_the_key_names_its_parts():
    assert exact_cache.key_of("x", 1, (2, 3)) == exact_cache.key_of("x", 1, (2, 3))
    assert exact_cache.key_of("x", 1, (2, 3)) != exact_cache.key_of("x", 1, (2, 4))
    assert exact_cache.key_of("x", 1).startswith("x:")


def test_what_is_kept_is_read_back(settings):
    settings.CACHES = LOCAL
    key = exact_cache.key_of("test-figures", "kept")
    exact_cache.set_many({key: [{"n": 3}]}, "test figures")
    assert exact_cache.get_many([key], "test figures") == {key: [{"n": 3}]}


def test_an_unreachable_cache_misses_and_drops_the_write(settings, caplog):
    settings.CACHES = DEAD_REDIS
    # Heard at the module's own logger: the desk's logging settings may stop propagation.
    logger = logging.getLogger(exact_cache.__name__)
    logger.addHandler(caplog.handler)
    try:
        caplog.set_level(logging.WARNING)
        key = exact_cache.key_of("test-figures", "lost")
        exact_cache.set_many({key: [1]}, "test figures")  # no error: the caller goes on
        # this process keeps its own copy (exact all the same); another one misses
        assert exact_cache.get_many([key], "test figures") == {key: [1]}
        exact_cache.forget_local()
        assert exact_cache.get_many([key], "test figures") == {}
        assert "test figures not cached" in caplog.text
        assert "test figures not read from the cache" in caplog.text
    finally:
        logger.removeHandler(caplog.handler)


def test_the_database_cache_keeps_nothing(settings):
    # reading it would cost the query the entry saves
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache"}}
    key = exact_cache.key_of("test-figures", "db")
    exact_cache.set_many({key: [1]}, "test figures")
    assert exact_cache.get_many([key], "test figures") == {}


def test_a_process_reads_its_own_copy_without_the_shared_cache(settings):
    settings.CACHES = LOCAL
    key = exact_cache.key_of("test-figures", "local")
    exact_cache.set_many({key: {"n": 1}}, "test figures")
    cache.clear()  # the shared entry gone (expired, or Redis flushed)
    assert exact_cache.get_many([key], "test figures") == {key: {"n": 1}}
    # and another process, with no copy of its own, reads the shared cache
    exact_cache.forget_local()
    assert exact_cache.get_many([key], "test figures") == {}


def test_the_copies_are_bounded_by_their_size_least_recently_read_first(settings, monkeypatch):
    settings.CACHES = LOCAL
    monkeypatch.setattr(exact_cache, "LOCAL_BYTES", 4_000_000)
    piece = lambda n: {"values": array("q", range(n))}  # noqa: E731 - 8 bytes an item
    first, second, third = (exact_cache.key_of("test-figures", n) for n in range(3))
    exact_cache.set_many({first: piece(150_000), second: piece(150_000)}, "test figures")
    exact_cache.get_many([first], "test figures")  # read again: the second is now the oldest
    exact_cache.set_many({third: piece(200_000)}, "test figures")  # 1.7 MB: over the budget
    cache.clear()
    kept = exact_cache.get_many([first, second, third], "test figures")
    assert sorted(kept) == sorted([first, third])
    # an entry over half the budget is left to the shared cache alone
    big = exact_cache.key_of("test-figures", "big")
    exact_cache.set_many({big: piece(300_000)}, "test figures")
    cache.clear()
    assert exact_cache.get_many([big], "test figures") == {}
