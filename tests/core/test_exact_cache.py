"""servicedesk.core.exact_cache: figures kept under keys naming their data, failing open."""

import logging

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
