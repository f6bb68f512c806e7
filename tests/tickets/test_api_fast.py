"""The records' and complaints' API lists, read as values (tickets.api.lists), answer exactly what
their serializers answer for the same rows: every field, nested references, dates, nulls, both
languages, byte for byte once rendered."""

import datetime

import pytest
from django.db.models import Prefetch
from django.utils import timezone, translation
from rest_framework.renderers import JSONRenderer

from tests.factories import CustomerFactory, DepartmentFactory, UserFactory
from tests.tickets.factories import RecordFactory, complaint_open
from tests.tickets.test_complaints import act, take, to_recheck
from tickets import selectors
from tickets.api import lists
from tickets.api.complaints import ComplaintOutputSerializer
from tickets.api.serializers import RecordOutputSerializer
from tickets.complaints import services as complaint_services
from tickets.complaints.models import ComplaintAction, ComplaintStepEntry, Step
from tickets.complaints.selectors import complaint_visible
from tickets.models import Fee, Priority, Status

pytestmark = pytest.mark.django_db
RECORDS = "/api/v1/service-records/"
COMPLAINTS = "/api/v1/complaints/"


def rendered(data) -> bytes:
    return JSONRenderer().render(data)


@pytest.fixture
def records(category, department, agent):
    """Records with every kind of value a list shows: nulls and not, collaborators, a Chinese
    assignee, a fee amount, an agreed date, each due state."""
    now = timezone.now()
    hour = datetime.timedelta(hours=1)
    other = DepartmentFactory(code="install", name_en="Installation", name_zh="安装部")
    chinese = UserFactory(username="wangli", first_name="丽", last_name="王")
    made = [
        RecordFactory(category=category),  # nothing set: no targets, no assignee
        RecordFactory(
            category=category,
            customer=CustomerFactory(name="李伟", management_tier="key"),
            assignee=agent,
            priority=Priority.HIGH,
            fee=Fee.PAID,
            fee_amount="1234.50",
            agreed_date=datetime.date(2026, 3, 4),
            first_response_due=now - hour,
            resolution_due=now + 100 * hour,
            collaborators=[other, department],
        ),
        RecordFactory(
            category=category, assignee=chinese, resolution_due=now - hour, description="说明"
        ),
        RecordFactory(category=category, resolution_due=now + hour),  # due soon
        RecordFactory(
            category=category,
            status=Status.RESOLVED,
            first_responded_at=now - 2 * hour,
            resolved_at=now - hour,
            resolution_due=now - 3 * hour,
        ),
    ]
    return made


def serializer_records(user, now) -> list:
    qs = selectors.with_due_state(selectors.record_list(user=user, due=False), now)
    qs = qs.prefetch_related("collaborating_departments")
    return RecordOutputSerializer(qs, many=True, context={"now": now}).data


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_record_items_equal_the_serializers(records, administrator, language):
    now = timezone.now()
    with translation.override(language):
        expected = serializer_records(administrator, now)
        rows = list(
            selectors.record_list(user=administrator, due=False).values(*lists.RECORD_COLUMNS)
        )
        got = lists.record_items(rows, now)
    assert len(got) == len(records)
    assert rendered(got) == rendered(expected)
    assert {item["due_state"] for item in got} == {
        "",
        "running",
        "breached",
        "response_late",
        "due_soon",
    }


def test_the_record_list_answers_the_serializers_items_page_by_page(records, agent, agent_api):
    """Over the API, as an agent (their department's records), two to a page along the cursor."""
    now = timezone.now()
    expected = serializer_records(agent, now)
    got, url = [], f"{RECORDS}?page_size=2"
    while url:
        body = agent_api.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").json()
        got += body["results"]
        url = body["next"]
    with translation.override("zh-hans"):
        expected = serializer_records(agent, now)
    assert rendered(got) == rendered(expected)
    filtered = agent_api.get(f"{RECORDS}?priority=high").json()["results"]
    assert [r["id"] for r in filtered] == [records[1].pk]


def test_an_empty_record_list(agent_api):
    assert agent_api.get(RECORDS).json() == {"next": None, "previous": None, "results": []}


@pytest.fixture
def complaints(agent, manager, complaint_category, department):
    first = complaint_open(agent, complaint_category)  # step 1, nothing taken
    second = complaint_open(
        agent,
        complaint_category,
        severity="serious",
        wants_manager=True,
        responsible_department_id=department.pk,
    )
    for step in (Step.RESPECT, Step.LISTEN, Step.RESTATE, Step.OPTIONS):
        take(second, step, agent)
    act(second, agent)  # step 5 with an open action
    third = to_recheck(complaint_open(agent, complaint_category), agent)
    take(third, Step.RECHECK, agent, {"result": "satisfied"})
    return [first, second, third]


def serializer_complaints(user) -> list:
    qs = (
        complaint_visible(user)
        .select_related("record__customer", "about_record", "responsible_department")
        .prefetch_related(
            Prefetch("entries", queryset=ComplaintStepEntry.objects.select_related("by")),
            Prefetch("actions", queryset=ComplaintAction.objects.select_related("owner")),
        )
        .order_by("-id")
    )
    return ComplaintOutputSerializer(qs, many=True).data


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_complaint_items_equal_the_serializers(complaints, administrator, language):
    with translation.override(language):
        expected = serializer_complaints(administrator)
        rows = list(
            complaint_visible(administrator).order_by("-id").values(*lists.COMPLAINT_COLUMNS)
        )
        got = lists.complaint_items(rows)
    assert [c["step"] for c in got] == [c["step"] for c in expected]
    assert {c["step"] for c in got} >= {"respect", "act"}
    assert any(c["actions"] for c in got) and any(c["steps"] for c in got)
    assert rendered(got) == rendered(expected)


def test_the_complaint_list_answers_the_serializers_items(complaints, agent, agent_api):
    got, url = [], f"{COMPLAINTS}?page_size=2"
    while url:
        body = agent_api.get(url).json()
        got += body["results"]
        url = body["next"]
    assert rendered(got) == rendered(serializer_complaints(agent))
    step_five = agent_api.get(f"{COMPLAINTS}?step=act").json()["results"]
    assert [c["id"] for c in step_five] == [complaints[1].pk]


def test_a_complaint_about_a_record_names_it(agent, complaint_category, administrator):
    record = RecordFactory(category=complaint_category)
    complaint_services.complaint_open(
        by=agent,
        customer_id=record.customer_id,
        stage=complaint_category.stage,
        category_id=complaint_category.pk,
        subject="又坏了",
        channel="phone",
        severity="general",
        about_record_id=record.pk,
    )
    rows = list(complaint_visible(administrator).values(*lists.COMPLAINT_COLUMNS))
    got = lists.complaint_items(rows)
    assert got[0]["about_record"]["id"] == record.pk
    assert rendered(got) == rendered(serializer_complaints(administrator))
