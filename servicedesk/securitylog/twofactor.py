"""Two-factor sign-in with a TOTP authenticator app (django-otp). Optional for staff; required for
administrators when settings.TWO_FACTOR_REQUIRED_FOR_ADMINS is on."""

from base64 import b32encode

import segno
from django.conf import settings
from django.db import transaction
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from servicedesk.core.roles import Role, has_role

from . import services
from .models import EventKind


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def required_for(user) -> bool:
    return settings.TWO_FACTOR_REQUIRED_FOR_ADMINS and (
        user.is_superuser or has_role(user, Role.ADMINISTRATOR)
    )


def pending_device(user) -> TOTPDevice:
    """The device being set up: kept unconfirmed until the user proves it with a code, so a
    reload shows the same secret."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def enrolment(device: TOTPDevice) -> dict:
    """What the set-up page shows: the QR code as an image address, and the secret to type in."""
    return {
        "qr": segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2),
        "secret": b32encode(device.bin_key).decode().rstrip("="),
    }


@transaction.atomic
def confirm(request, device: TOTPDevice, token: str) -> bool:
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    if not device.verify_token(token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    # Only one authenticator per person: a finished set-up replaces any earlier one.
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    otp_login(request, device)
    services.record(EventKind.TWO_FACTOR_ON, request=request, user=device.user)
    return True


@transaction.atomic
def turn_off(request, user, token: str) -> bool:
    device = confirmed_device(user)
    if device is None or not device.verify_token(token):
        return False
    TOTPDevice.objects.filter(user=user).delete()
    services.record(EventKind.TWO_FACTOR_OFF, request=request, user=user)
    return True
