"""Django's cache for figures kept under keys that name their data exactly (the query, and the
stamps of the day sums it read), so that a stale entry is never read again, only left to expire.

The database stays the source of truth: when the cache is unreachable, reads miss and writes are
dropped (logged), and the caller reads the database, only slower. With the database cache (the
embedded set-up without Redis) nothing is kept: reading it would cost the query it saves.

Each process also keeps the entries it used last, up to LOCAL_BYTES: as a key names its data,
a copy in memory is as exact as the shared one, and a dashboard's cold record pieces (a few MB
at 1M records) then cost no transfer and no unpickling (16 of ~260 ms a request). Values are
shared between the requests that read them: callers read them and never change them.
"""

import hashlib
import logging
import sys
import threading
from array import array
from collections import OrderedDict

from django.conf import settings
from django.core.cache import cache

log = logging.getLogger(__name__)

KEEP_SECONDS = 7 * 24 * 3600  # a key names its data exactly; this only frees unused ones
LOCAL_BYTES = 16 * 1024 * 1024  # per process: a few periods' record pieces at 1M records

_local: OrderedDict = OrderedDict()  # key -> (value, bytes), least recently used first
_local_bytes = 0
_local_lock = threading.Lock()  # runserver serves requests on threads


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
    found = _recalled(keys)
    wanted = [key for key in keys if key not in found]
    if wanted:
        try:
            shared = cache.get_many(wanted)
        except Exception as exc:  # noqa: BLE001 - an unreachable cache: read the database instead
            log.warning("%s not read from the cache: %s", what, exc)
            shared = {}
        _remember(shared)
        found |= shared
    return found


def set_many(values: dict, what: str) -> None:
    if not in_use():
        return
    _remember(values)
    try:
        cache.set_many(values, timeout=KEEP_SECONDS)
    except Exception as exc:  # noqa: BLE001 - the next request reads the database again
        log.warning("%s not cached: %s", what, exc)


def read_through(reads: dict, what: str) -> dict:
    """{key: value} for each key of `reads` (key → a function reading its value): one cache
    round trip, then each missing value read and kept."""
    found = get_many(list(reads), what)
    missing = {key: read() for key, read in reads.items() if key not in found}
    if missing:
        set_many(missing, what)
    return found | missing


def forget_local() -> None:
    """Drop this process's copies (the tests, whose frozen clocks repeat stamps)."""
    global _local_bytes
    with _local_lock:
        _local.clear()
        _local_bytes = 0


def _recalled(keys: list[str]) -> dict:
    with _local_lock:
        found = {}
        for key in keys:
            if key in _local:
                _local.move_to_end(key)
                found[key] = _local[key][0]
        return found


def _remember(values: dict) -> None:
    global _local_bytes
    with _local_lock:
        for key, value in values.items():
            size = _size_of(value)
            if size > LOCAL_BYTES // 2:
                continue  # one entry must not push out all the others
            if key in _local:
                _local_bytes -= _local.pop(key)[1]
            _local[key] = (value, size)
            _local_bytes += size
        while _local_bytes > LOCAL_BYTES:
            _local_bytes -= _local.popitem(last=False)[1][1]


def _size_of(value, depth: int = 4) -> int:
    """Roughly the bytes a value holds: its arrays' buffers and its containers' items."""
    size = sys.getsizeof(value)
    if depth == 0 or isinstance(value, (str, bytes, array)):
        return size
    if isinstance(value, dict):
        items = [*value.keys(), *value.values()]
    elif isinstance(value, (list, tuple, set)):
        items = value
    elif hasattr(value, "__dict__"):
        items = list(vars(value).values())
    else:
        return size
    return size + sum(_size_of(item, depth - 1) for item in items)
