"""What the security log holds, and that the application can only append to it."""

import pytest
from django.test import Client
from django.urls import reverse

from servicedesk.core import services as core_services
from servicedesk.core.models import ApiToken
from servicedesk.core.roles import Role
from servicedesk.securitylog.models import AppendOnly, EventKind, SecurityEvent
from tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db


def last(kind):
    return SecurityEvent.objects.filter(kind=kind).first()


def test_sign_in_and_sign_out_are_logged_with_the_address(agent, password):
    client = Client()
    client.post(
        reverse("login"), {"username": "agent", "password": password}, REMOTE_ADDR="192.0.2.4"
    )
    client.post(reverse("logout"), REMOTE_ADDR="192.0.2.4")

    signed_in, signed_out = last(EventKind.SIGN_IN), last(EventKind.SIGN_OUT)
    assert (signed_in.user, str(signed_in.address)) == (agent, "192.0.2.4")
    assert signed_out.user == agent


def test_a_failed_sign_in_keeps_the_name_typed_and_never_the_password():
    Client().post(reverse("login"), {"username": "ghost", "password": "s3cret-guess"})
    event = last(EventKind.SIGN_IN_FAILED)
    assert event.username == "ghost" and event.user is None
    assert "s3cret-guess" not in str(event.detail)


def test_tokens_created_used_from_a_new_address_and_revoked(agent):
    token, key = core_services.api_token_create(user=agent, name="ERP sync")
    assert last(EventKind.TOKEN_CREATED).detail == {"token": token.prefix, "name": "ERP sync"}

    client = Client(HTTP_AUTHORIZATION=f"Token {key}")
    url = reverse("v1:customer-list")
    client.get(url, REMOTE_ADDR="192.0.2.10")  # its first address is not news
    client.get(url, REMOTE_ADDR="192.0.2.10")
    assert not SecurityEvent.objects.filter(kind=EventKind.TOKEN_NEW_ADDRESS).exists()
    client.get(url, REMOTE_ADDR="192.0.2.99")
    client.get(url, REMOTE_ADDR="192.0.2.99")
    moved = SecurityEvent.objects.filter(kind=EventKind.TOKEN_NEW_ADDRESS)
    assert [(str(e.address), e.user) for e in moved] == [("192.0.2.99", agent)]
    token.refresh_from_db()
    assert token.addresses == ["192.0.2.10", "192.0.2.99"]

    core_services.api_token_revoke(token=token)
    core_services.api_token_revoke(token=token)  # twice: logged once
    assert SecurityEvent.objects.filter(kind=EventKind.TOKEN_REVOKED).count() == 1


def test_role_and_department_changes_are_logged(administrator):
    user = UserFactory(username="newcomer", role=Role.AGENT)
    core_services.user_set_role(user=user, role=Role.MANAGER)
    changes = SecurityEvent.objects.filter(kind=EventKind.ROLE_CHANGED, user=user)
    assert [(e.detail["change"], e.detail["groups"]) for e in changes] == [
        ("add", [Role.MANAGER.value]),
        ("remove", [Role.AGENT.value]),
        ("add", [Role.AGENT.value]),
    ]

    department = DepartmentFactory()
    core_services.department_add_member(department=department, user=user)
    added = last(EventKind.DEPARTMENT_CHANGED)
    assert (added.user, added.detail["change"], added.detail["department"]) == (
        user,
        "add",
        department.pk,
    )


def test_the_application_cannot_change_or_delete_an_entry(agent):
    event = SecurityEvent.objects.create(kind=EventKind.SIGN_IN, user=agent, username="agent")
    with pytest.raises(AppendOnly):
        event.save()
    with pytest.raises(AppendOnly):
        event.delete()
    with pytest.raises(AppendOnly):
        SecurityEvent.objects.filter(pk=event.pk).update(username="someone else")
    with pytest.raises(AppendOnly):
        SecurityEvent.objects.all().delete()
    assert SecurityEvent.objects.get(pk=event.pk).username == "agent"


def test_an_administrator_searches_the_log_and_nobody_can_edit_it(
    administrator, agent, django_assert_max_num_queries
):
    for n in range(30):
        SecurityEvent.objects.create(kind=EventKind.SIGN_IN_FAILED, username=f"guess{n}")
    SecurityEvent.objects.create(kind=EventKind.SIGN_IN, user=agent, username="agent")
    client = Client()
    client.force_login(administrator)
    url = reverse("admin:securitylog_securityevent_changelist")

    with django_assert_max_num_queries(12):
        page = client.get(url, {"q": "agent", "kind__exact": EventKind.SIGN_IN})
    assert page.status_code == 200
    assert list(page.context["cl"].result_list.values_list("username", flat=True)) == ["agent"]
    event = SecurityEvent.objects.first()
    change = client.post(
        reverse("admin:securitylog_securityevent_change", args=[event.pk]), {"username": "x"}
    )
    assert change.status_code == 403
    assert client.get(reverse("admin:securitylog_securityevent_add")).status_code == 403

    client.force_login(agent)
    assert client.get(url).status_code == 302  # not staff: the admin sends them to sign in


def test_a_deleted_account_keeps_its_entries_by_name(agent):
    SecurityEvent.objects.create(kind=EventKind.SIGN_IN, user=agent, username="agent")
    agent.delete()
    assert SecurityEvent.objects.get(username="agent", kind=EventKind.SIGN_IN).user is None
    assert ApiToken.objects.count() == 0
