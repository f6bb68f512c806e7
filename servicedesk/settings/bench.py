"""The load benchmark (bench/run.py): local settings, production-like switches, and the floor.

Gunicorn runs with DJANGO_SETTINGS_MODULE=servicedesk.settings.bench; DATABASE_URL and REDIS_URL
come from bench/run.py. ROOT_URLCONF adds `bench/floor/` (bench/urls.py): one indexed query and a
tiny response, measured in the same run as the pages.
"""

from .local import *  # noqa: F403
from .local import ALLOWED_HOSTS, env

DEBUG = env.bool("DEBUG", default=False)
# The in-process query counter (bench/count_queries.py) uses Django's test client.
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
ROOT_URLCONF = "bench.urls"
# Only the bench login uses this (its sessions are made directly, not through a login form).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Sent e-mails (e.g. acknowledgements of created records) are rendered but not printed.
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
# One token drives the whole load: a limit it never reaches, so each request still pays the check.
API_RATE_PER_MINUTE = env.int("API_RATE_PER_MINUTE", default=1_000_000)
