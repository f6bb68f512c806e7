import pytest
from django.contrib.auth.models import Group

from servicedesk.core import outbox, services
from servicedesk.core.exceptions import DomainError
from servicedesk.core.models import TaskOutbox, WorkerPing
from servicedesk.core.roles import ROLE_PERMISSIONS, Role, user_role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_role_groups_exist_with_their_permissions():
    admin_group = Group.objects.get(name=Role.ADMINISTRATOR)
    codes = {
        f"{p.content_type.app_label}.{p.codename}"
        for p in admin_group.permissions.select_related("content_type")
    }
    assert "core.change_department" in codes
    assert codes <= ROLE_PERMISSIONS[Role.ADMINISTRATOR]
    assert not Group.objects.get(name=Role.AGENT).permissions.filter(codename="change_department")


def test_user_set_role_keeps_one_role_and_staff_flag():
    user = UserFactory(role=Role.AGENT)
    services.user_set_role(user=user, role=Role.ADMINISTRATOR)
    user.refresh_from_db()
    assert list(user.groups.values_list("name", flat=True)) == [Role.ADMINISTRATOR]
    assert user.is_staff
    assert user_role(user) == Role.ADMINISTRATOR
    with pytest.raises(DomainError):
        services.user_set_role(user=user, role="wizard")


def test_api_token_needs_a_name():
    user = UserFactory()
    with pytest.raises(DomainError) as err:
        services.api_token_create(user=user, name="  ")
    assert err.value.field == "name"


def test_revoking_twice_keeps_first_time():
    user = UserFactory()
    token, _key = services.api_token_create(user=user, name="x")
    first = services.api_token_revoke(token=token).revoked_at
    assert services.api_token_revoke(token=token).revoked_at == first


def test_enqueue_publishes_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ping = services.worker_ping_create()
    row = TaskOutbox.objects.get()
    assert row.sent_at is None, "nothing is published before the transaction commits"
    assert row.task_name == "core.worker_ping_complete" and row.args == [ping.pk]
    for callback in callbacks:
        callback()
    row.refresh_from_db()
    assert row.sent_at is not None and row.attempts == 1


def test_broker_down_keeps_task_and_resend_delivers_later(
    monkeypatch, dead_broker_app, django_capture_on_commit_callbacks
):
    # given a broker that refuses connections
    monkeypatch.setattr(outbox, "current_app", dead_broker_app)
    # when the page's work enqueues a task, the page still succeeds
    with django_capture_on_commit_callbacks(execute=True):
        services.worker_ping_create()
    row = TaskOutbox.objects.get()
    assert row.sent_at is None and row.attempts == 1 and row.last_error
    # then once the broker is back, the sweep publishes it
    monkeypatch.undo()
    TaskOutbox.objects.update(created_at=row.created_at - outbox.timezone.timedelta(minutes=5))
    assert outbox.resend_unsent() == 1
    row.refresh_from_db()
    assert row.sent_at is not None


def test_resend_leaves_young_rows_to_their_commit_hook(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        services.worker_ping_create()
    assert outbox.resend_unsent() == 0


def test_worker_ping_completion_is_idempotent():
    ping = WorkerPing.objects.create()
    assert services.worker_ping_complete(ping_id=ping.pk, worker="w1") is True
    assert services.worker_ping_complete(ping_id=ping.pk, worker="w2") is False
    ping.refresh_from_db()
    assert ping.worker == "w1"


def test_time_zone_must_exist():
    user = UserFactory()
    with pytest.raises(DomainError):
        services.profile_set_time_zone(user=user, time_zone="Mars/Base")
    assert (
        services.profile_set_time_zone(user=user, time_zone="Asia/Tokyo").time_zone == "Asia/Tokyo"
    )
