"""The test suite: SQLite by default, PostgreSQL and Redis when DATABASE_URL / REDIS_URL are set."""

import uuid

from .base import *  # noqa: F403
from .base import REDIS_PUBLISH_OPTIONS, REDIS_URL, env

SECRET_KEY = "test-only-not-secret"  # noqa: S105
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed; tests only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Without Redis, messages go to the in-process memory transport; worker tests need REDIS_URL.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_BROKER_TRANSPORT_OPTIONS = (
    REDIS_PUBLISH_OPTIONS if CELERY_BROKER_URL.startswith("redis") else {}
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LANGUAGE_CODE = "en"
# Subscribers run in the commit hook, so a test sees their effects without a worker; the worker
# tests turn this off to deliver through Redis.
DESK_EVENTS_SYNC = True
SITE_URL = "https://desk.example.test"
# Off: without Redis the limit counts in the database cache, which adds queries to every API
# call's pinned count (and on SQLite a rolled-back test frees its ids, so one user id would serve
# many tests a minute). Its own tests turn it on (tests/securitylog/test_sessions_and_throttle.py).
API_RATE_PER_MINUTE = 0
# Many tests travel days ahead with a signed-in client; the idle sign-out has its own test
# (tests/securitylog/test_sessions_and_throttle.py), with the shipped two hours.
SESSION_IDLE_MINUTES = 60 * 24 * 30
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
# Each run counts from zero on a Redis that outlives it (rate limits).
CACHES["default"]["KEY_PREFIX"] = f"test-{uuid.uuid4().hex[:8]}"  # noqa: F405
