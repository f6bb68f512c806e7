from django.conf import settings
from rest_framework.throttling import BaseThrottle

from ..ratelimit import allow, client_address

WINDOW = 60


class TokenRateThrottle(BaseThrottle):
    """settings.API_RATE_PER_MINUTE requests a minute per API token (or per signed-in user for
    session calls), shared by every process through the cache. If the cache is down the request
    is let through (ratelimit.allow): the API keeps working without Redis."""

    def allow_request(self, request, view) -> bool:
        limit = settings.API_RATE_PER_MINUTE
        if not limit:
            return True
        token = request.auth
        if token is not None and getattr(token, "pk", None):
            key = f"api:token:{token.pk}"
        elif request.user and request.user.is_authenticated:
            key = f"api:user:{request.user.pk}"
        else:
            # Anonymous calls are refused by the permissions anyway; count them per address.
            key = f"api:addr:{client_address(request)}"
        return allow(key, limit=limit, window=WINDOW)

    def wait(self) -> float:
        return WINDOW
