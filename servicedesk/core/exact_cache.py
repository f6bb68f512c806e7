"""Django's cache for figures kept under keys that name their data exactly (the query, and the
stamps of the day sums it read), so that a stale entry is never read again, only left to expire.

The database stays the source of truth: when the cache is unreachable, reads miss and writes are
dropped (logged), and the caller reads the database, only slower. With the database cache (the
embedded set-up without Redis) nothing is kept: reading it would cost the query it saves.
"""

import hashlib
import logging

from django.conf import settings
from django.core.cache import cache

log = logging.getLogger(__name__)

KEEP_SECONDS = 7 * 24 * 3600  # a key names its data exactly; this only frees unused ones


def key_of(prefix: str, *parts) -> str:
    """A short cache key for `parts` (their repr: dates, ids, tuples and strings)."""
    return f"{prefix}:{hashlib.sha256(repr(parts).encode()).hexdigest()}"


def in_use() -> bool:
    """Whether the default cache lives apart from the database."""
    backend = settings.CACHES["default"]["BACKEND"]
    return not backend.endswith(("db.DatabaseCache", "dummy.DummyCache"))


def get_many(keys: list[str], what: str) -> dict:
    if not in_use():
        return {}
    try:
        return cache.get_many(keys)
    except Exception as exc:  # noqa: BLE001 - an unreachable cache: read the database instead
        log.warning("%s not read from the cache: %s", what, exc)
        return {}


def set_many(values: dict, what: str) -> None:
    if not in_use():
        return
    try:
        cache.set_many(values, timeout=KEEP_SECONDS)
    except Exception as exc:  # noqa: BLE001 - the next request reads the database again
        log.warning("%s not cached: %s", what, exc)
