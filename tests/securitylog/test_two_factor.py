"""Two-factor sign-in with an authenticator app: set up on the account page, asked for at every
sign-in, guesses counted by the lock-out, and required of administrators when configured."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from servicedesk.securitylog.models import EventKind, SecurityEvent

pytestmark = pytest.mark.django_db


def code(device, at=None) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    if at is not None:
        totp.time = at.timestamp()
    return f"{totp.token():06d}"


def sign_in(client, password, otp=""):
    return client.post(
        reverse("login"), {"username": "agent", "password": password, "otp_token": otp}
    )


def set_up(client, user):
    page = client.get(reverse("two_factor"))
    assert page.status_code == 200
    assert page.context["qr"].startswith("data:image/svg+xml")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    # The key shown is the device's: what a person types into the app when they cannot scan.
    assert page.context["secret"]
    done = client.post(reverse("two_factor"), {"action": "on", "code": code(device)})
    assert done.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    return device


def test_set_up_then_every_sign_in_asks_for_the_code(agent, password):
    client = Client()
    client.force_login(agent)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        device = set_up(client, agent)
    assert SecurityEvent.objects.filter(kind=EventKind.TWO_FACTOR_ON, user=agent).exists()

    later = start + timedelta(minutes=5)
    with time_machine.travel(later, tick=False):
        fresh = Client()
        missing = sign_in(fresh, password)
        assert missing.status_code == 200
        assert "Enter the code your authenticator app shows" in missing.content.decode()
        wrong = sign_in(fresh, password, otp="000000" if code(device) != "000000" else "111111")
        assert "not right" in wrong.content.decode()
        assert "_auth_user_id" not in fresh.session
    with time_machine.travel(later + timedelta(minutes=1), tick=False):
        right = sign_in(fresh, password, otp=code(device))
    assert right.status_code == 302
    assert fresh.session["otp_device_id"] == device.persistent_id
    failed = SecurityEvent.objects.filter(kind=EventKind.SIGN_IN_FAILED, user=agent)
    assert [e.detail.get("reason") for e in failed] == ["authentication code"]


@override_settings(LOGIN_FAILURE_LIMIT_ACCOUNT=3)
def test_guessing_codes_locks_the_account_like_guessing_passwords(agent, password):
    device = TOTPDevice.objects.create(user=agent, name="app", confirmed=True)
    client = Client()
    start = timezone.now()
    for n in range(3):
        with time_machine.travel(start + timedelta(minutes=n), tick=False):
            guess = "123456" if code(device) != "123456" else "654321"
            sign_in(client, password, otp=guess)
    with time_machine.travel(start + timedelta(minutes=4), tick=False):
        page = sign_in(client, password, otp=code(device))
    assert "Too many failed sign-ins" in page.content.decode()
    assert "_auth_user_id" not in client.session


def test_turning_it_off_needs_a_current_code(agent):
    client = Client()
    client.force_login(agent)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        device = set_up(client, agent)
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        refused = client.post(reverse("two_factor"), {"action": "off", "code": "12"})
        assert refused.status_code == 200 and refused.context["form"].errors["code"]
        assert (
            client.post(reverse("two_factor"), {"action": "off", "code": code(device)}).status_code
            == 302
        )
    assert not TOTPDevice.objects.filter(user=agent).exists()
    assert SecurityEvent.objects.filter(kind=EventKind.TWO_FACTOR_OFF, user=agent).exists()


@override_settings(TWO_FACTOR_REQUIRED_FOR_ADMINS=True)
def test_administrators_must_set_it_up_when_required(administrator, agent):
    admin_client = Client()
    admin_client.force_login(administrator)
    for path in (reverse("core:my_work"), reverse("customers:index"), "/admin/"):
        page = admin_client.get(path)
        assert (page.status_code, page["Location"]) == (302, reverse("two_factor")), path
    assert admin_client.get(reverse("two_factor")).status_code == 200
    set_up(admin_client, administrator)  # signs this session in with the code
    assert admin_client.get(reverse("core:my_work")).status_code == 200
    cannot = admin_client.get(reverse("two_factor"))
    assert "must keep two-factor sign-in on" in cannot.content.decode()

    agent_client = Client()
    agent_client.force_login(agent)
    assert agent_client.get(reverse("core:my_work")).status_code == 200
