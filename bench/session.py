"""One JSON line for bench/run.py: a logged-in session of the bench user, an API token for the
write benchmark, and the endpoint list with ids picked from the data.

    python bench/session.py            # {"cookie", "headers", "token", "endpoints"}
    python bench/session.py --cleanup  # delete the records and tokens the write benchmark made
"""

import json
import sys

from endpoints import FACTS, api_token, bench_user, cleanup, endpoints  # noqa: I001 - sets up Django

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore


def login_cookie() -> str:
    user = bench_user()
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


if __name__ == "__main__":
    if "--cleanup" in sys.argv:
        print(json.dumps(cleanup()))
    else:
        token = api_token()
        print(
            json.dumps(
                {
                    "cookie": login_cookie(),
                    "headers": {"Accept-Language": "en"},
                    "token": token,
                    "endpoints": endpoints(token),
                    "facts": FACTS,
                },
                ensure_ascii=False,
            )
        )
