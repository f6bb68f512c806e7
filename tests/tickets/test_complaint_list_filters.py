"""The complaint list's filters: the period of the complaint's record (local days), its department
(lead or collaborating), stage, assignee, category and tier, surprise breaches, the fishbone's
words; bad values get a field message and list nothing; the query count stays fixed."""

from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone

from tests.factories import CustomerFactory, DepartmentFactory, UserFactory
from tests.tickets.factories import CategoryFactory, RecordFactory
from tests.tickets.rootcause_factories import ComplaintCauseFactory, bone
from tickets.complaints.models import Complaint, ComplaintAction, Outcome, Step
from tickets.models import Stage

TODAY = date(2025, 6, 30)


def at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


@pytest.fixture
def frozen(settings):
    with time_machine.travel(at(TODAY, 15), tick=False):
        yield


def complaint_on(day: date, hour: int = 12, **record) -> Complaint:
    """A complaint whose record was created at `hour` on `day` (local time)."""
    made = RecordFactory(created_at=at(day, hour), **record)
    return Complaint.objects.create(record=made, channel="phone", severity="general")


def listed(client, query: str) -> set[int]:
    response = client.get(f"/complaints/?{query}")
    assert response.status_code == 200, response.content[:1500]
    return {row.pk for row in response.context["page"].object_list}


def test_the_period_is_local_days_of_the_record_and_includes_both_ends(
    client, administrator, frozen
):
    # given: complaints at the edges of 10–12 June, local time (Asia/Shanghai)
    before = complaint_on(date(2025, 6, 9), 23)
    first = complaint_on(date(2025, 6, 10), 0)
    last = complaint_on(date(2025, 6, 12), 23)
    after = complaint_on(date(2025, 6, 13), 0)
    client.force_login(administrator)
    # when / then
    got = listed(client, "created_after=2025-06-10&created_before=2025-06-12")
    assert got == {first.pk, last.pk}
    assert listed(client, "created_after=2025-06-13") == {after.pk}
    assert listed(client, "created_before=2025-06-09") == {before.pk}


def test_department_is_the_records_lead_or_collaborating_department(client, administrator, frozen):
    install, finance = DepartmentFactory(code="install"), DepartmentFactory(code="finance")
    leads = complaint_on(TODAY, category=CategoryFactory(lead_department=install))
    helps = complaint_on(TODAY, collaborators=[install])
    other = complaint_on(TODAY, category=CategoryFactory(lead_department=finance))
    client.force_login(administrator)
    assert listed(client, f"department={install.pk}") == {leads.pk, helps.pk}
    assert other.pk in listed(client, f"department={finance.pk}")


def test_stage_assignee_category_and_tier_narrow_by_the_record(
    client, administrator, agent, frozen
):
    pre = CategoryFactory(stage=Stage.PRE_SALE)
    key = CustomerFactory(management_tier="key")
    a = complaint_on(TODAY, category=pre, assignee=agent, customer=key)
    b = complaint_on(TODAY, category=CategoryFactory(stage=Stage.AFTER_SALE))
    client.force_login(administrator)
    assert listed(client, "stage=pre_sale") == {a.pk}
    assert listed(client, f"assignee={agent.pk}") == {a.pk}
    assert listed(client, f"category={pre.pk}&customer_tier=key") == {a.pk}
    assert b.pk in listed(client, "stage=after_sale")


def test_breached_lists_complaints_with_an_action_late_or_done_late(client, administrator, frozen):
    owner = UserFactory()
    yesterday = TODAY - timedelta(days=1)
    open_late, done_late, on_time, told = (complaint_on(TODAY) for _ in range(4))
    ComplaintAction.objects.create(
        complaint=open_late, description="x", owner=owner, due_date=yesterday
    )
    ComplaintAction.objects.create(
        complaint=open_late, description="y", owner=owner, due_date=yesterday
    )
    ComplaintAction.objects.create(
        complaint=done_late, description="x", owner=owner, due_date=yesterday - timedelta(days=2),
        done_at=at(yesterday, 10),
    )  # fmt: skip
    ComplaintAction.objects.create(
        complaint=on_time, description="x", owner=owner, due_date=yesterday,
        done_at=at(yesterday, 23),
    )  # fmt: skip
    # Told in advance, the date moved: not due yet, so no breach.
    ComplaintAction.objects.create(
        complaint=told, description="x", owner=owner, due_date=TODAY + timedelta(days=2),
        original_due_date=yesterday, told_at=at(yesterday, 9),
    )  # fmt: skip
    client.force_login(administrator)
    response = client.get("/complaints/?breached=1")
    assert {r.pk for r in response.context["page"].object_list} == {open_late.pk, done_late.pk}
    # Three actions broke their date, in two complaints; two of them are still open.
    assert response.context["counted"] == {"overdue": 2, "breached": 3}
    assert 'data-actions-breached="3"' in response.content.decode()
    overdue = client.get("/complaints/?overdue=1")
    assert {r.pk for r in overdue.context["page"].object_list} == {open_late.pk}
    assert overdue.context["counted"]["overdue"] == 2


def test_a_bone_link_keeps_the_responsible_department_and_takes_the_record_filters(
    client, administrator, frozen
):
    install = DepartmentFactory(code="install")
    process = bone("process")
    ours, theirs = (
        complaint_on(TODAY),
        complaint_on(TODAY, category=CategoryFactory(stage="pre_sale")),
    )
    for c in (ours, theirs):
        Complaint.objects.filter(pk=c.pk).update(
            step=Step.CLOSED, outcome=Outcome.SATISFIED, closed_at=at(TODAY, 9),
            responsible_department=install,
        )  # fmt: skip
        ComplaintCauseFactory(complaint=c, bone=process)
    client.force_login(administrator)
    words = f"bone={process.pk}&closed_from={TODAY}&closed_to={TODAY}"
    # The fishbone page's own links name the responsible department.
    assert listed(client, f"{words}&responsible_department={install.pk}") == {ours.pk, theirs.pk}
    assert listed(client, f"{words}&responsible_department={install.pk}&stage=pre_sale") == {
        theirs.pk
    }
    other = DepartmentFactory(code="other")
    assert listed(client, f"{words}&responsible_department={other.pk}") == set()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("created_after=2025-06-12&created_before=2025-06-10", "created_before"),
        ("created_after=2025-13-40", "created_after"),
        ("created_after=1900-01-01", "created_after"),
        ("department=999999", "department"),
        ("department=abc", "department"),
        ("assignee=999999", "assignee"),
        ("category=-1", "category"),
        ("stage=nowhere", "stage"),
        ("customer_tier=gold", "customer_tier"),
        ("step=nowhere", "step"),
        ("bone=abc", "bone"),
    ],
)
def test_bad_filters_get_a_field_message_and_list_nothing(
    client, administrator, frozen, query, field
):
    complaint_on(TODAY)
    client.force_login(administrator)
    response = client.get(f"/complaints/?{query}")
    assert response.status_code == 400
    assert field in response.context["filter"].errors
    assert not response.context["page"].object_list
    assert "These filters cannot be used" in response.content.decode()


def test_the_filtered_list_runs_a_fixed_number_of_queries(
    client, administrator, frozen, django_assert_max_num_queries
):
    department = DepartmentFactory(code="install")
    category = CategoryFactory(lead_department=department, stage=Stage.AFTER_SALE)
    owner = UserFactory()
    for i in range(30):
        complaint = complaint_on(TODAY - timedelta(days=i % 5), category=category)
        ComplaintAction.objects.create(
            complaint=complaint, description="x", owner=owner, due_date=TODAY - timedelta(days=3)
        )
    client.force_login(administrator)
    # The session's first request marks it used (one write); the measured one is the second.
    client.get("/complaints/")
    query = (
        f"created_after={TODAY - timedelta(days=10)}&created_before={TODAY}"
        f"&department={department.pk}&stage=after_sale&category={category.pk}&breached=1"
    )
    # Session, user, roles, departments; the department and category checked; the department
    # control; the action counts; the page's rows; the notification count.
    with django_assert_max_num_queries(11):
        response = client.get(f"/complaints/?{query}")
    assert len(response.context["page"].object_list) == 25
    assert response.context["counted"]["breached"] == 30
