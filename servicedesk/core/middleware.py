import zoneinfo

from django.utils import timezone

SESSION_TZ_KEY = "desk_time_zone"


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
