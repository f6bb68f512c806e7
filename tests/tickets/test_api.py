import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from drf_spectacular.validation import validate_schema

from servicedesk.core.users import display_name
from tests.factories import CustomerFactory, DepartmentFactory
from tests.tickets.factories import CategoryFactory, RecordFactory
from tickets.models import ServiceRecord

pytestmark = pytest.mark.django_db
URL = "/api/v1/service-records/"


def payload(customer, category, **extra):
    return {
        "customer": customer.pk,
        "stage": category.stage,
        "category": category.pk,
        "subject": "Install the wardrobe",
        **extra,
    }


def test_create_and_read_a_record(agent_api, customer, category):
    response = agent_api.post(URL, payload(customer, category), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["lead_department"]["code"] == "customer-service"
    assert body["nature"] == "technical" and body["version"] == 1
    got = agent_api.get(f"{URL}{body['id']}/")
    assert got["ETag"] == '"1"'


def test_unknown_category_for_the_stage_is_a_400_with_field(agent_api, customer, category):
    response = agent_api.post(URL, payload(customer, category, stage="pre_sale"), format="json")
    assert response.status_code == 400
    assert "category" in response.json()["error"]["fields"]
    assert not ServiceRecord.objects.exists()


def test_paid_without_amount_is_a_400_with_field(agent_api, customer, category):
    response = agent_api.post(URL, payload(customer, category, fee="paid"), format="json")
    assert response.status_code == 400
    assert "fee_amount" in response.json()["error"]["fields"]
    assert not ServiceRecord.objects.exists()


def test_missing_fields_are_listed(agent_api):
    response = agent_api.post(URL, {}, format="json")
    assert response.status_code == 400
    assert {"customer", "stage", "category", "subject"} <= set(response.json()["error"]["fields"])


def test_stale_version_is_a_409_showing_what_changed(agent_api, customer, category):
    record_id = agent_api.post(URL, payload(customer, category), format="json").json()["id"]
    first = agent_api.patch(f"{URL}{record_id}/", {"subject": "A", "version": 1}, format="json")
    assert first.status_code == 200 and first.json()["version"] == 2
    second = agent_api.patch(
        f"{URL}{record_id}/", {"priority": "high"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert second.status_code == 409
    error = second.json()["error"]
    assert error["current"] == 2
    assert error["changes"]["subject"]["now"] == "A"
    assert ServiceRecord.objects.get(pk=record_id).priority == "normal"


def test_update_without_version_is_a_400(agent_api, customer, category):
    record = RecordFactory(category=category, customer=customer)
    response = agent_api.patch(f"{URL}{record.pk}/", {"subject": "x"}, format="json")
    assert response.status_code == 400
    assert "version" in response.json()["error"]["fields"]


def test_illegal_transition_is_a_400_on_status(agent_api, customer, category):
    record = RecordFactory(category=category, customer=customer)
    response = agent_api.post(f"{URL}{record.pk}/transition/", {"status": "closed"}, format="json")
    assert response.status_code == 400
    assert "status" in response.json()["error"]["fields"]
    ok = agent_api.post(f"{URL}{record.pk}/transition/", {"status": "open"}, format="json")
    assert ok.status_code == 200 and ok.json()["status"] == "open"


def test_messages_and_attachments(agent_api, customer, category):
    record = RecordFactory(category=category, customer=customer)
    base = f"{URL}{record.pk}"
    assert (
        agent_api.post(
            f"{base}/messages/", {"kind": "note", "body": "called"}, format="json"
        ).status_code
        == 201
    )
    assert [m["kind"] for m in agent_api.get(f"{base}/messages/").json()] == ["note"]
    upload = SimpleUploadedFile("scan.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    created = agent_api.post(f"{base}/attachments/", {"file": upload}, format="multipart")
    assert created.status_code == 201, created.json()
    download = agent_api.get(created.json()["download_url"])
    assert download["Content-Disposition"].startswith("attachment")
    svg = SimpleUploadedFile("x.png", b"<svg onload=alert(1)>", content_type="image/png")
    refused = agent_api.post(f"{base}/attachments/", {"file": svg}, format="multipart")
    assert refused.status_code == 400 and "file" in refused.json()["error"]["fields"]


def test_list_filters_and_visibility(agent_api, customer, category):
    RecordFactory(category=category, customer=customer, priority="high")
    RecordFactory(category=category, customer=CustomerFactory(management_tier="key"))
    other = CategoryFactory(lead_department=DepartmentFactory(code="finance"))
    RecordFactory(category=other)  # not the agent's department
    assert len(agent_api.get(URL).json()["results"]) == 2
    assert len(agent_api.get(f"{URL}?priority=high").json()["results"]) == 1
    assert len(agent_api.get(f"{URL}?customer_tier=key").json()["results"]) == 1
    assert agent_api.get(f"{URL}?breached=true").json()["results"] == []


def test_other_departments_record_is_404(agent_api):
    record = RecordFactory(category=CategoryFactory(lead_department=DepartmentFactory()))
    assert agent_api.get(f"{URL}{record.pk}/").status_code == 404


def test_categories_endpoint(agent_api, category):
    body = agent_api.get("/api/v1/categories/?stage=after_sale").json()
    assert [c["code"] for c in body["results"]] == ["installation"]


def test_list_query_count_is_fixed(agent_api, category, django_assert_max_num_queries):
    RecordFactory.create_batch(30, category=category)
    with django_assert_max_num_queries(8):
        body = agent_api.get(URL).json()
    assert len(body["results"]) == 25 and body["next"] and body["previous"] is None
    rest = agent_api.get(body["next"]).json()
    assert len(rest["results"]) == 5 and rest["next"] is None
    seen = [r["id"] for r in body["results"] + rest["results"]]
    assert len(set(seen)) == 30  # the cursor neither repeats nor skips a record


def test_openapi_schema_is_valid_and_lists_the_endpoints(agent_api):
    response = agent_api.get("/api/schema/?format=json")
    schema = response.json()
    validate_schema(schema)
    for path in (
        "/api/v1/service-records/",
        "/api/v1/service-records/{id}/transition/",
        "/api/v1/service-records/{id}/messages/",
        "/api/v1/service-records/{id}/attachments/",
        "/api/v1/categories/",
        "/api/v1/departments/",
    ):
        assert path in schema["paths"], path


def test_patch_with_a_refused_assignee_saves_nothing(agent_api, customer, category):
    # given a record and a colleague of another department (not assignable to it)
    from servicedesk.core.roles import Role
    from tests.factories import MembershipFactory, UserFactory

    record = RecordFactory(category=category, customer=customer, subject="Old subject")
    outsider = UserFactory(username="outsider", role=Role.AGENT)
    MembershipFactory(user=outsider, department=DepartmentFactory(code="finance"))
    history_rows = record.history.count()

    # when one PATCH changes the subject and sets that assignee
    response = agent_api.patch(
        f"{URL}{record.pk}/",
        {"subject": "New subject", "assignee": outsider.pk, "version": record.version},
        format="json",
    )

    # then the assignee is refused and the subject is not saved either (one transaction)
    assert response.status_code == 400
    assert "assignee" in response.json()["error"]["fields"]
    record.refresh_from_db()
    assert (record.subject, record.version, record.assignee_id) == ("Old subject", 1, None)
    assert record.history.count() == history_rows


def test_patch_changing_fields_and_assignee_is_one_success(agent, agent_api, customer, category):
    record = RecordFactory(category=category, customer=customer)
    response = agent_api.patch(
        f"{URL}{record.pk}/",
        {"subject": "Taken", "assignee": agent.pk, "version": 1},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["subject"] == "Taken" and body["assignee"]["id"] == agent.pk
    assert body["version"] == 3 and response["ETag"] == '"3"'


def test_history_lists_changes_newest_first_with_people_and_labels(
    agent, agent_api, customer, category
):
    # given a record created, edited, assigned and opened by the agent
    from tickets import services

    record = RecordFactory(category=category, customer=customer, subject="Door")
    services.record_update(
        by=agent, record_id=record.pk, version=None, changes={"priority": "high"}
    )
    services.record_assign(by=agent, record_id=record.pk, assignee_id=agent.pk)
    services.record_transition(by=agent, record_id=record.pk, to_status="open", reason="called")

    # when the API reads its history
    response = agent_api.get(f"{URL}{record.pk}/history/")

    # then the entries are newest first, with raw and human values
    assert response.status_code == 200
    entries = response.json()
    assert [e["kind"] for e in entries] == ["changed", "changed", "changed", "created"]
    opened, assigned, edited, created = entries
    assert opened["reason"] == "called"
    assert opened["by"] == {"id": agent.pk, "username": "agent", "name": display_name(agent)}
    status = next(c for c in opened["changes"] if c["field"] == "status")
    assert status == {
        "field": "status",
        "label": "Status",
        "old": "new",
        "new": "open",
        "old_display": "New",
        "new_display": "Open",
    }
    responded = next(c for c in opened["changes"] if c["field"] == "first_responded_at")
    assert responded["old"] is None and responded["old_display"] == "—"
    assert responded["new"].endswith("+00:00")
    (assignee,) = assigned["changes"]
    assert (assignee["label"], assignee["old"], assignee["new"]) == ("Assignee", None, agent.pk)
    assert assignee["new_display"] == display_name(agent)
    assert [(c["field"], c["new_display"]) for c in edited["changes"]] == [("priority", "High")]
    assert created["changes"] == [] and created["by"] is None  # written by the factory
    assert opened["at"] >= created["at"] and opened["at"][-6] in "+-"


def test_history_of_an_invisible_record_is_404(agent_api):
    record = RecordFactory(category=CategoryFactory(lead_department=DepartmentFactory()))
    assert agent_api.get(f"{URL}{record.pk}/history/").status_code == 404


def test_history_query_count_is_fixed(
    manager, agent_api, customer, category, django_assert_max_num_queries
):
    # given 40 changes naming several people, contacts and categories
    from tests.factories import ContactFactory, MembershipFactory, UserFactory
    from tickets import services

    record = RecordFactory(category=category, customer=customer)
    people = [UserFactory(username=f"colleague{i}") for i in range(5)]
    for person in people:
        MembershipFactory(user=person, department=category.lead_department)
    contacts = [ContactFactory(customer=customer, is_primary=False) for _ in range(5)]
    other = CategoryFactory(code="other", lead_department=category.lead_department)
    for i in range(20):
        services.record_assign(by=manager, record_id=record.pk, assignee_id=people[i % 5].pk)
        services.record_update(
            by=manager,
            record_id=record.pk,
            version=None,
            changes={
                "contact_id": contacts[i % 5].pk,
                "category_id": (other if i % 2 else category).pk,
                "agreed_date": datetime.date(2030, 1, i + 1),
            },
        )

    # when the history is read, then the queries do not grow with its rows
    with django_assert_max_num_queries(12):
        entries = agent_api.get(f"{URL}{record.pk}/history/").json()
    assert len(entries) == 41
    names = {c["new_display"] for e in entries for c in e["changes"] if c["field"] == "assignee"}
    assert names == {display_name(p) for p in people}
    categories = {
        c["new_display"] for e in entries for c in e["changes"] if c["field"] == "category"
    }
    assert categories == {category.name, other.name}
