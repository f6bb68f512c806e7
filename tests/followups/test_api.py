"""/api/v1/callbacks/ and /api/v1/callback-rules/: the same services as the staff pages, answered
in the API's one error shape, versioned, and scoped to what the caller may see."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from followups.models import CallbackAttempt, CallbackRule, CallbackVisit, VisitStatus
from tests.factories import DepartmentFactory, MembershipFactory, PhoneFactory, UserFactory
from tests.followups.factories import RuleFactory, VisitFactory
from tickets.models import ServiceRecord

pytestmark = pytest.mark.django_db
URL = "/api/v1/callbacks/"
RULES = "/api/v1/callback-rules/"


def _fields(response, status=400) -> dict:
    assert response.status_code == status, response.content
    return response.json()["error"]["fields"]


@pytest.fixture
def manager_api(manager):
    client = APIClient()
    client.force_login(manager)
    return client


@pytest.fixture
def admin_api(administrator):
    client = APIClient()
    client.force_login(administrator)
    return client


@pytest.fixture
def visit(department, customer, calendar):
    return VisitFactory(department=department, customer=customer)


@pytest.fixture
def foreign_visit(customer):
    return VisitFactory(department=DepartmentFactory(code="finance"), customer=customer)


# --- reading ------------------------------------------------------------------------------------


def test_the_list_shows_the_callers_departments_only(agent_api, visit, foreign_visit):
    phone = PhoneFactory(contact=visit.customer.contacts.get())
    body = agent_api.get(URL).json()
    assert [v["id"] for v in body["results"]] == [visit.pk]
    assert body["results"][0]["timing"] == "upcoming"
    assert body["results"][0]["phone"] == phone.value
    assert agent_api.get(f"{URL}{foreign_visit.pk}/").status_code == 404


def test_the_list_pages_by_cursor_in_due_order_with_a_fixed_number_of_queries(
    agent_api, department, customer, calendar, django_assert_max_num_queries
):
    now = timezone.now()
    for i in range(30):
        VisitFactory(department=department, customer=customer, due_at=now + timedelta(hours=i))
    with django_assert_max_num_queries(6):
        body = agent_api.get(URL).json()
    assert len(body["results"]) == 25 and body["next"] and "count" not in body
    rest = agent_api.get(body["next"]).json()
    due = [v["due_at"] for v in body["results"] + rest["results"]]
    assert len(due) == 30 and due == sorted(due)


def test_filters_narrow_the_list_and_bad_ones_are_field_errors(agent_api, visit, department):
    done = VisitFactory(
        department=department, status=VisitStatus.DONE, reached=True, completed_at=timezone.now()
    )
    assert [v["id"] for v in agent_api.get(f"{URL}?status=done").json()["results"]] == [done.pk]
    assert "due_after" in _fields(agent_api.get(f"{URL}?due_after=0001-01-01T00:00"))
    assert "status" in _fields(agent_api.get(f"{URL}?status=lost"))


def test_detail_carries_its_version_as_etag(agent_api, visit):
    response = agent_api.get(f"{URL}{visit.pk}/")
    assert response["ETag"] == '"1"'
    assert response.json()["reference"] == visit.reference


# --- writing ------------------------------------------------------------------------------------


def test_an_ad_hoc_visit_is_created_in_the_callers_department(
    agent_api, department, customer, calendar
):
    due = (timezone.now() + timedelta(days=1)).isoformat()
    response = agent_api.post(
        URL, {"customer": customer.pk, "due_at": due, "department": department.pk}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["purpose"] == "ad_hoc" and body["status"] == "scheduled"
    assert CallbackVisit.objects.filter(pk=body["id"], created_by__username="agent").exists()


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"due_at": "2020-01-01T09:00:00+08:00"}, "due_at"),
        ({"status": "done"}, "status"),
        ({"purpose": "periodic"}, "purpose"),
        ({"priority": "high"}, "priority"),  # unknown fields are refused, not ignored
        ({"method": "on_site", "address": ""}, "address"),
    ],
)
def test_a_bad_create_is_a_400_on_its_field_and_saves_nothing(
    agent_api, department, customer, calendar, extra, field
):
    body = {
        "customer": customer.pk,
        "due_at": (timezone.now() + timedelta(days=1)).isoformat(),
        "department": department.pk,
        **extra,
    }
    assert field in _fields(agent_api.post(URL, body, format="json"))
    assert not CallbackVisit.objects.exists()


def test_an_outcome_completes_the_visit_and_opens_the_new_issue(agent_api, visit, category):
    response = agent_api.post(
        f"{URL}{visit.pk}/outcome/",
        {
            "version": 1,
            "reached_person": "Li Wei",
            "product_state": "problem",
            "satisfaction": 4,
            "expectation": "as_expected",
            "new_issue": "The left door squeaks",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "done" and body["satisfaction"] == 4
    record = ServiceRecord.objects.get(pk=body["new_issue_record"]["id"])
    assert (record.category, record.customer_id) == (category, visit.customer_id)
    assert response["ETag"] == f'"{body["version"]}"'


def test_a_stale_outcome_is_a_409_and_changes_nothing(agent_api, visit):
    agent_api.post(f"{URL}{visit.pk}/not-reached/", {"version": 1}, format="json")
    response = agent_api.post(
        f"{URL}{visit.pk}/outcome/", {"version": 1, "reached_person": "Li Wei"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["error"]["current"] == 2
    visit.refresh_from_db()
    assert visit.status == VisitStatus.SCHEDULED and visit.reached_person == ""


def test_a_write_without_a_version_is_a_400_on_version(agent_api, visit):
    response = agent_api.post(f"{URL}{visit.pk}/cancel/", {"reason": "moved"}, format="json")
    assert "version" in _fields(response)
    ok = agent_api.post(
        f"{URL}{visit.pk}/cancel/", {"reason": "moved"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert ok.status_code == 200 and ok.json()["status"] == "cancelled"


def test_not_reached_is_an_attempt_until_the_last_marks_the_visit_missed(agent_api, visit):
    version = 1
    for _ in range(3):  # the ad hoc terms: three attempts
        response = agent_api.post(
            f"{URL}{visit.pk}/not-reached/", {"version": version}, format="json"
        )
        assert response.status_code == 200, response.json()
        version = response.json()["version"]
    assert response.json()["status"] == "missed" and response.json()["attempts"] == 3
    assert CallbackAttempt.objects.filter(visit=visit, reached=False).count() == 3
    again = agent_api.post(f"{URL}{visit.pk}/not-reached/", {"version": version}, format="json")
    assert "status" in _fields(again)


def test_a_time_after_the_window_is_a_400_on_due_at(agent_api, visit):
    late = (visit.window_end + timedelta(hours=1)).isoformat()
    response = agent_api.post(
        f"{URL}{visit.pk}/reschedule/", {"version": 1, "due_at": late}, format="json"
    )
    assert "due_at" in _fields(response)
    visit.refresh_from_db()
    assert visit.version == 1


def test_an_agent_takes_a_queued_visit(agent_api, agent, visit):
    response = agent_api.post(
        f"{URL}{visit.pk}/assign/", {"version": 1, "assignee": agent.pk}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["assignee"]["id"] == agent.pk


def test_a_foreign_visit_cannot_be_acted_on(agent_api, foreign_visit):
    response = agent_api.post(
        f"{URL}{foreign_visit.pk}/cancel/", {"version": 1, "reason": "x"}, format="json"
    )
    assert response.status_code == 404
    foreign_visit.refresh_from_db()
    assert foreign_visit.status == VisitStatus.SCHEDULED


# --- rules --------------------------------------------------------------------------------------


def _rule_body(department, **extra) -> dict:
    return {
        "code": "after-repair",
        "name_en": "After a repair",
        "name_zh": "维修后回访",
        "trigger": "record_resolved",
        "delay_days": 2,
        "window_days": 3,
        "method": "phone",
        "assign_to": "record_assignee",
        "department": department.pk,
        **extra,
    }


def test_every_role_reads_the_rules_and_only_administrators_write(
    agent_api, manager_api, admin_api, department
):
    RuleFactory(code="after-installation", department=department)
    assert [r["code"] for r in agent_api.get(RULES).json()["results"]] == ["after-installation"]
    for client in (agent_api, manager_api):
        assert client.post(RULES, _rule_body(department), format="json").status_code == 403
    created = admin_api.post(RULES, _rule_body(department), format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["purpose"] == "after_service"


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"delay_days": -1}, "delay_days", "A delay cannot be negative."),
        ({"trigger": "periodic"}, "interval_days", "A periodic rule needs an interval in days."),
        ({"retry_minutes": 10**7}, "retry_minutes", None),
        ({"secret": 1}, "secret", None),
    ],
)
def test_a_bad_rule_is_a_400_with_the_field_message(admin_api, department, extra, field, message):
    fields = _fields(admin_api.post(RULES, _rule_body(department, **extra), format="json"))
    assert field in fields
    if message:
        assert fields[field] == [message]
    assert not CallbackRule.objects.exists()


def test_a_stale_rule_edit_is_a_409(admin_api, department):
    rule = RuleFactory(code="after-installation", department=department)
    first = admin_api.patch(f"{RULES}{rule.pk}/", {"delay_days": 5, "version": 1}, format="json")
    assert first.status_code == 200 and first.json()["version"] == 2
    second = admin_api.patch(f"{RULES}{rule.pk}/", {"window_days": 9, "version": 1}, format="json")
    assert second.status_code == 409
    rule.refresh_from_db()
    assert (rule.delay_days, rule.window_days) == (5, 2)


def test_a_manager_of_another_department_sees_no_visit_of_this_one(visit):
    other = DepartmentFactory(code="sales")
    outsider = UserFactory(username="outsider")
    MembershipFactory(user=outsider, department=other, is_manager=True)
    client = APIClient()
    client.force_login(outsider)
    assert client.get(URL).json()["results"] == []


def test_an_agent_adds_visits_for_themselves_or_the_queue_only(
    agent_api, department, customer, calendar
):
    colleague = UserFactory(username="colleague")
    MembershipFactory(user=colleague, department=department)
    body = {
        "customer": customer.pk,
        "due_at": (timezone.now() + timedelta(days=1)).isoformat(),
        "department": department.pk,
        "assignee": colleague.pk,
    }
    assert "assignee" in _fields(agent_api.post(URL, body, format="json"))
    assert not CallbackVisit.objects.exists()


def test_a_visit_cannot_follow_a_record_its_author_cannot_see(
    agent_api, department, customer, calendar
):
    from tests.tickets.factories import CategoryFactory, RecordFactory

    finance = DepartmentFactory(code="finance")
    hidden = RecordFactory(
        customer=customer, category=CategoryFactory(code="billing", lead_department=finance)
    )
    body = {
        "customer": customer.pk,
        "due_at": (timezone.now() + timedelta(days=1)).isoformat(),
        "department": department.pk,
        "source_record": hidden.pk,
    }
    assert "source_record" in _fields(agent_api.post(URL, body, format="json"))
