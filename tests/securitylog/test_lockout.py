"""The sign-in lock-out: per account and per address, counted in the security log (so shared by
every process, with or without Redis), on every sign-in form, and never checking a password while
locked."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import authenticate
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from servicedesk.securitylog.models import EventKind, SecurityEvent
from servicedesk.securitylog.services import lock_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LIMITS = {"LOGIN_FAILURE_LIMIT_ACCOUNT": 3, "LOGIN_FAILURE_LIMIT_ADDRESS": 6}


def sign_in(client, username, password, address="203.0.113.7"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def kinds(username):
    return list(
        SecurityEvent.objects.filter(username=username)
        .exclude(kind=EventKind.ROLE_CHANGED)  # the factory's
        .order_by("at", "id")
        .values_list("kind", flat=True)
    )


@override_settings(**LIMITS, LOGIN_LOCKOUT_MINUTES=15)
def test_an_account_is_locked_after_its_limit_even_for_the_right_password(password):
    UserFactory(username="wang")
    client = Client()
    for _ in range(3):
        page = sign_in(client, "wang", "wrong")
        assert page.status_code == 200
        assert "do not match" in page.content.decode()

    page = sign_in(client, "wang", password)

    assert page.status_code == 200, "the right password must not get in while locked"
    body = page.content.decode()
    assert "Too many failed sign-ins" in body
    assert "_auth_user_id" not in client.session
    assert kinds("wang") == [EventKind.SIGN_IN_FAILED] * 3 + [EventKind.LOCKED_OUT]
    # The lock does not count itself: it lifts 15 minutes after the last real failure.
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        page = sign_in(client, "wang", password)
    assert page.status_code == 302
    assert kinds("wang")[-1] == EventKind.SIGN_IN


@override_settings(**LIMITS)
def test_the_account_count_is_per_account_and_ignores_case(password):
    UserFactory(username="wang")
    UserFactory(username="li")
    client = Client()
    for name in ("wang", "WANG", "Wang"):
        sign_in(client, name, "wrong")
    assert "Too many failed sign-ins" in sign_in(client, "wang", password).content.decode()
    assert sign_in(client, "li", password).status_code == 302


@override_settings(**LIMITS)
def test_a_successful_sign_in_starts_the_count_again(password):
    UserFactory(username="wang")
    for _ in range(2):
        sign_in(Client(), "wang", "wrong")
    assert sign_in(Client(), "wang", password).status_code == 302
    for _ in range(2):
        sign_in(Client(), "wang", "wrong")
    assert sign_in(Client(), "wang", password).status_code == 302


@override_settings(**LIMITS)
def test_an_address_is_locked_after_guessing_many_accounts(password):
    UserFactory(username="zhao")
    for n in range(6):
        sign_in(Client(), f"guess{n}", "wrong", address="198.51.100.9")

    page = sign_in(Client(), "zhao", password, address="198.51.100.9")
    assert "Too many failed sign-ins" in page.content.decode()
    assert SecurityEvent.objects.filter(
        kind=EventKind.LOCKED_OUT, detail__reason="address"
    ).exists()
    # The same account from another address is not locked.
    assert sign_in(Client(), "zhao", password, address="198.51.100.10").status_code == 302


def test_the_admin_signs_in_through_the_desk_form_with_its_lock_out():
    page = Client().get(reverse("admin:login") + "?next=/admin/")
    assert page.status_code == 302
    assert page["Location"] == reverse("login") + "?next=/admin/"


@override_settings(**LIMITS)
def test_a_locked_attempt_never_checks_the_password(password, django_assert_max_num_queries):
    user = UserFactory(username="wang")
    for _ in range(3):
        authenticate(username="wang", password="wrong")
    # While locked: the lock's reads and its log entry, and no read of the user to check.
    with django_assert_max_num_queries(6) as ctx:
        assert authenticate(username="wang", password=password) is None
    assert not any('"auth_user"' in q["sql"] for q in ctx.captured_queries)
    assert lock_for("wang", None).reason == "account"
    user.refresh_from_db()
    assert user.last_login is None


@override_settings(**LIMITS)
def test_the_message_is_the_same_for_an_unknown_account():
    client = Client()
    for _ in range(3):
        sign_in(client, "nobody", "wrong")
    assert "Too many failed sign-ins" in sign_in(client, "nobody", "x").content.decode()
