from django.conf import settings
from django.shortcuts import redirect

from .twofactor import required_for

# Where an administrator who must set up two-factor sign-in may still go.
OPEN_PATHS = {"two_factor", "logout", "set_language", "healthz"}


class RequireTwoFactorMiddleware:
    """With settings.TWO_FACTOR_REQUIRED_FOR_ADMINS, an administrator who has not signed in with
    an authenticator code is sent to set one up before anything else. (Signing in with a code is
    what verifies a session; someone with an authenticator cannot sign in without one.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.TWO_FACTOR_REQUIRED_FOR_ADMINS:
            return None  # without reading request.user, which would load it for every view
        user = request.user
        if (
            user.is_authenticated
            and required_for(user)
            and not user.is_verified()
            and request.resolver_match.url_name not in OPEN_PATHS
        ):
            return redirect("two_factor")
        return None
