"""Fixed-window rate limits shared by every process, through Django's cache (Redis, or the
database table when there is no Redis; settings.CACHES)."""

import logging
import time

from django.core.cache import cache

log = logging.getLogger(__name__)


def client_address(request) -> str:
    """The caller's address as the web server saw it ("" if none): the key of the per-address
    limits and what the security log records. A proxy in front must set REMOTE_ADDR from the
    forwarded header (e.g. gunicorn's --forwarded-allow-ips)."""
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


def allow(key: str, *, limit: int, window: int) -> bool:
    """Count one attempt under `key`; False once more than `limit` fall in the current window of
    `window` seconds. If the cache is unreachable the attempt is allowed: a dead Redis must not
    lock customers out, and the requests are still checked by everything else."""
    bucket = f"ratelimit:{key}:{int(time.time() // window)}"
    try:
        cache.add(bucket, 0, timeout=window * 2)
        count = cache.incr(bucket)
    except ValueError:  # expired between add and incr: this is the window's first attempt
        cache.set(bucket, 1, timeout=window * 2)
        count = 1
    except Exception as exc:  # noqa: BLE001 - any cache failure: fail open, loudly
        log.warning("rate limit %s not checked, cache unavailable: %s", key, exc)
        return True
    return count <= limit
