"""Print a logged-in session cookie and the endpoint list as one JSON line for bench/run.py."""

import json

from endpoints import bench_user, endpoints  # noqa: I001 - sets up Django first

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

user = bench_user()
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.save()
print(
    json.dumps(
        {
            "cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}",
            "headers": {"Accept-Language": "en"},
            "endpoints": endpoints(),
        }
    )
)
