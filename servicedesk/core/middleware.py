import time
import zoneinfo
from urllib.parse import unquote_to_bytes

from django.contrib.auth import SESSION_KEY
from django.utils import timezone

SESSION_TZ_KEY = "desk_time_zone"
FORM_ENCODED = "application/x-www-form-urlencoded"


class UndecodableFormMiddleware:
    """A form sent in bytes that are not UTF-8 is a 400 before any view reads it. Django would
    decode it with replacement characters (U+FFFD) and the view would store text nobody typed.
    Browsers send the desk's UTF-8 pages' forms in UTF-8, so only a hand-made request meets this.
    Multipart bodies (uploads) are left to their forms: their files are bytes by nature."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and request.content_type == FORM_ENCODED:
            try:
                for pair in request.body.split(b"&"):
                    unquote_to_bytes(pair.replace(b"+", b" ")).decode("utf-8")
            except UnicodeDecodeError:
                from .errors import bad_request

                return bad_request(request)
        return self.get_response(request)


class UserTimezoneMiddleware:
    """Show dates in the user's own time zone (stored in UTC; the default is settings.TIME_ZONE)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = request.session.get(SESSION_TZ_KEY) if hasattr(request, "session") else None
        try:
            timezone.activate(zoneinfo.ZoneInfo(name)) if name else timezone.deactivate()
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        return self.get_response(request)


TOUCHED_KEY = "desk_touched"
TOUCH_EVERY = 60  # seconds: how stale the idle clock may be, in exchange for fewer session writes


class IdleSessionMiddleware:
    """Sign out after settings.SESSION_IDLE_MINUTES without a request. The session's expiry is
    SESSION_COOKIE_AGE (the idle time) from its last save; saving on every request would write
    the session row on every page, so it is saved at most once a minute, which moves the expiry."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        # The session's own sign-in mark, not request.user: a view that never reads the user
        # (the health check, the bench's floor) does not load it for this.
        if session is not None and SESSION_KEY in session:
            touch_session(session)
        return self.get_response(request)


def touch_session(session) -> None:
    """Mark the session used (it is then saved, which moves its expiry), at most once a minute."""
    now = int(time.time())
    if now - session.get(TOUCHED_KEY, 0) >= TOUCH_EVERY:
        session[TOUCHED_KEY] = now
