"""Writes are whole: a refused write leaves nothing behind, and every change keeps its history."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from servicedesk.core.exceptions import DomainError
from servicedesk.core.selectors import status_changes
from tests.factories import (
    CustomerFactory,
    DepartmentFactory,
    MembershipFactory,
    UserFactory,
)
from tests.tickets.factories import CalendarFactory, CategoryFactory, PolicyFactory
from tickets import services
from tickets.models import DepartmentRoutingPolicy, ServiceRecord

pytestmark = pytest.mark.django_db
URL = "/api/v1/service-records/"


def body(customer, category, **extra):
    return {
        "customer": customer.pk,
        "stage": category.stage,
        "category": category.pk,
        "subject": "Door misaligned",
        **extra,
    }


def _fields(response) -> dict:
    assert response.status_code == 400, response.content
    return response.json()["error"]["fields"]


def test_unknown_collaborating_department_is_a_400_and_nothing_is_saved(
    agent_api, customer, category
):
    # Before: 201, then the M2M insert failed at commit (a 500 on PostgreSQL).
    response = agent_api.post(
        URL, body(customer, category, collaborating_departments=[999999]), format="json"
    )
    assert "999999" in _fields(response)["collaborating_departments"][0]
    assert not ServiceRecord.objects.exists()


def test_inactive_collaborating_department_is_refused(agent_api, customer, category):
    closed = DepartmentFactory(code="closed-dept", is_active=False)
    response = agent_api.post(
        URL, body(customer, category, collaborating_departments=[closed.pk]), format="json"
    )
    assert "collaborating_departments" in _fields(response)
    assert not ServiceRecord.objects.exists()


def test_archived_customer_is_refused(agent_api, category):
    survivor = CustomerFactory(name="Li Wei")
    merged = CustomerFactory(name="Li Wei (dup)", is_archived=True, merged_into=survivor)
    response = agent_api.post(URL, body(merged, category), format="json")
    assert "merged" in _fields(response)["customer"][0]
    assert not ServiceRecord.objects.exists()


def test_inactive_or_unknown_category_is_refused(agent_api, customer, department):
    retired = CategoryFactory(code="retired", lead_department=department, is_active=False)
    assert "category" in _fields(agent_api.post(URL, body(customer, retired), format="json"))
    unknown = {**body(customer, retired), "category": 987654}
    assert "category" in _fields(agent_api.post(URL, unknown, format="json"))
    assert not ServiceRecord.objects.exists()


def test_create_the_creator_could_not_read_is_refused_before_saving(token_for, customer):
    # given a finance user and a category routed to the sales department
    finance = DepartmentFactory(code="finance")
    sales = DepartmentFactory(code="sales", name_en="Sales")
    clerk = UserFactory(username="clerk")
    MembershipFactory(user=clerk, department=finance)
    to_sales = CategoryFactory(code="order", lead_department=sales)
    api = token_for(clerk)

    # Before: the record was saved, then the read-back answered 404, and a retry made a double.
    for _attempt in range(2):
        response = api.post(URL, body(customer, to_sales), format="json")
        assert "Sales" in _fields(response)["category"][0]
    assert not ServiceRecord.objects.exists()

    # naming their own department as collaborating makes it a record they can follow
    response = api.post(
        URL, body(customer, to_sales, collaborating_departments=[finance.pk]), format="json"
    )
    assert response.status_code == 201
    assert response.json()["lead_department"]["code"] == "sales"


@pytest.fixture
def office_hours():
    calendar = CalendarFactory()
    PolicyFactory(
        name="normal", priority="normal", calendar=calendar, first_response_minutes=120,
        resolution_minutes=960,
    )  # fmt: skip
    PolicyFactory(
        name="urgent", priority="urgent", calendar=calendar, first_response_minutes=30,
        resolution_minutes=120,
    )  # fmt: skip
    return calendar


# A Wednesday, 10:00 in Shanghai: targets fall inside the same working days.
WEDNESDAY = "2026-03-04T02:00:00+00:00"


@time_machine.travel(WEDNESDAY, tick=False)
def test_priority_change_recomputes_the_targets(agent, customer, category, office_hours):
    record = services.record_create(
        by=agent, customer_id=customer.pk, stage=category.stage, category_id=category.pk,
        subject="Leaking tap",
    )  # fmt: skip
    before = record.resolution_due
    record = services.record_update(
        by=agent, record_id=record.pk, version=record.version, changes={"priority": "urgent"}
    )
    assert record.resolution_due == record.created_at + timedelta(hours=2)
    assert record.resolution_due < before


@time_machine.travel(WEDNESDAY, tick=False)
def test_category_change_recomputes_the_targets(agent, customer, category, office_hours):
    quick = CategoryFactory(code="quick", lead_department=category.lead_department)
    PolicyFactory(
        name="quick", category=quick, calendar=office_hours, first_response_minutes=10,
        resolution_minutes=60,
    )  # fmt: skip
    record = services.record_create(
        by=agent, customer_id=customer.pk, stage=category.stage, category_id=category.pk,
        subject="Leaking tap",
    )  # fmt: skip
    record = services.record_update(
        by=agent, record_id=record.pk, version=record.version, changes={"category_id": quick.pk}
    )
    assert record.resolution_due == record.created_at + timedelta(hours=1)


def test_reopen_counts_a_fresh_resolution_target_from_now(agent, customer, category, office_hours):
    with time_machine.travel(WEDNESDAY, tick=False) as clock:
        record = services.record_create(
            by=agent, customer_id=customer.pk, stage=category.stage, category_id=category.pk,
            subject="Leaking tap",
        )  # fmt: skip
        for to in ("open", "resolved"):
            services.record_transition(by=agent, record_id=record.pk, to_status=to)
        clock.shift(timedelta(hours=2))
        reopened = services.record_transition(by=agent, record_id=record.pk, to_status="open")
        # 16 business hours from Wednesday 12:00: the end of Friday's first hour is not reached
        assert reopened.resolution_due > record.resolution_due
        assert reopened.resolution_due - timezone.now() > timedelta(hours=16)
        # a later priority change counts from the reopening, not from the creation
        changed = services.record_update(
            by=agent, record_id=record.pk, version=reopened.version, changes={"priority": "urgent"}
        )
        assert changed.resolution_due == timezone.now() + timedelta(hours=2)
        # …and leaves the first response, long met, where the reopening left it
        assert changed.first_response_due == reopened.first_response_due


def test_auto_assignment_is_in_the_creating_history_row(agent, customer, category, department):
    DepartmentRoutingPolicy.objects.create(department=department, mode="round_robin")
    record = services.record_create(
        by=None, customer_id=customer.pk, stage=category.stage, category_id=category.pk,
        subject="From the web form",
    )  # fmt: skip
    # Before: a raw UPDATE set the assignee after the save, so history said "nobody".
    (created,) = record.history.all()
    assert created.assignee_id == agent.pk
    assert record.assignee == agent


def test_back_dated_create_is_true_in_history_and_the_log(agent, customer, category):
    then = timezone.now() - timedelta(days=40)
    record = services.record_create(
        by=agent, customer_id=customer.pk, stage=category.stage, category_id=category.pk,
        subject="Imported", created_at=then,
    )  # fmt: skip
    record.refresh_from_db()
    assert record.created_at == then
    (created,) = record.history.all()
    assert (created.created_at, created.history_date) == (then, then)
    assert status_changes(record).get().at == then


def test_assignee_outside_the_departments_is_refused_before_saving(manager, customer, category):
    stranger = UserFactory(username="stranger")
    with pytest.raises(DomainError) as exc:
        services.record_create(
            by=manager, customer_id=customer.pk, stage=category.stage, category_id=category.pk,
            subject="x", assignee_id=stranger.pk,
        )  # fmt: skip
    assert exc.value.field == "assignee"
    assert not ServiceRecord.objects.exists()


def test_admin_cannot_edit_status_version_or_due_times(client, administrator, category):
    from tests.tickets.factories import RecordFactory

    record = RecordFactory(category=category, status="new")
    client.force_login(administrator)
    page = client.get(f"/admin/tickets/servicerecord/{record.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="subject"' in html
    for field in ("status", "version", "resolution_due", "first_response_due"):
        assert f'name="{field}"' not in html


def test_back_dated_records_are_not_news(
    agent, customer, category, department, django_capture_on_commit_callbacks
):
    from servicedesk.core.models import Notification

    colleague = UserFactory(username="colleague")
    MembershipFactory(user=colleague, department=department)
    with django_capture_on_commit_callbacks(execute=True):
        services.record_create(
            by=agent, customer_id=customer.pk, stage=category.stage, category_id=category.pk,
            subject="Imported", created_at=timezone.now() - timedelta(days=3),
        )  # fmt: skip
    assert not Notification.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        services.record_create(
            by=agent, customer_id=customer.pk, stage=category.stage, category_id=category.pk,
            subject="Today",
        )  # fmt: skip
    assert Notification.objects.filter(recipient=colleague, verb="record_new").count() == 1


def test_an_agent_cannot_take_a_colleagues_record(agent, customer, category, department):
    colleague = UserFactory(username="colleague")
    MembershipFactory(user=colleague, department=department)
    record = services.record_create(
        by=colleague, customer_id=customer.pk, stage=category.stage, category_id=category.pk,
        subject="Mine", assignee_id=colleague.pk,
    )  # fmt: skip
    with pytest.raises(DomainError) as exc:
        services.record_assign(by=agent, record_id=record.pk, assignee_id=agent.pk)
    assert exc.value.field == "assignee"
    record.refresh_from_db()
    assert record.assignee == colleague


def test_a_closed_record_takes_no_files(agent, customer, category):
    from django.core.files.uploadedfile import SimpleUploadedFile

    record = services.record_create(
        by=agent, customer_id=customer.pk, stage=category.stage, category_id=category.pk,
        subject="Done",
    )  # fmt: skip
    for to in ("open", "resolved", "closed"):
        services.record_transition(by=agent, record_id=record.pk, to_status=to)
    upload = SimpleUploadedFile("note.txt", b"hello", content_type="text/plain")
    with pytest.raises(DomainError) as exc:
        services.attachment_add(by=agent, record_id=record.pk, upload=upload)
    assert exc.value.field == "file"
    assert not record.attachments.exists()


def test_a_back_dated_reply_is_history_not_an_e_mail(agent, category):
    from tests.factories import ContactFactory, EmailFactory

    contact = ContactFactory()
    EmailFactory(contact=contact, value="li.wei@example.com")
    record = services.record_create(
        by=agent, customer_id=contact.customer_id, stage=category.stage, category_id=category.pk,
        subject="Imported", created_at=timezone.now() - timedelta(days=2),
    )  # fmt: skip
    then = timezone.now() - timedelta(days=2, hours=-1)
    message = services.message_add(
        by=agent, record_id=record.pk, kind="reply", body="Done then.", created_at=then
    )
    assert message.email is None and message.created_at == then
    live = services.message_add(by=agent, record_id=record.pk, kind="reply", body="Now.")
    assert live.email is not None and live.email.to == "li.wei@example.com"
