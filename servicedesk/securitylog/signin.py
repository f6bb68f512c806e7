from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_otp import match_token

from . import services
from .models import EventKind
from .twofactor import confirmed_device

MISSING = _("Enter the code your authenticator app shows: this account signs in with one.")
WRONG = _("That authentication code is not right. Enter the one your app shows now.")


def second_factor(request, user, token: str) -> None:
    """After the password: someone with an authenticator must give its current code. A wrong code
    counts as a failed sign-in, so the lock-out limits guessing codes as it does passwords. The
    device is put on the user, which django-otp keeps in the session as it signs them in."""
    if user is None or confirmed_device(user) is None:
        return
    token = (token or "").strip()
    if not token:
        raise ValidationError(MISSING, code="otp_missing")
    device = match_token(user, token)
    if device is None:
        services.record(
            EventKind.SIGN_IN_FAILED, request=request, user=user, reason="authentication code"
        )
        raise ValidationError(WRONG, code="otp_invalid")
    user.otp_device = device
