"""/api/v1/reviews/ and /api/v1/check-forms/: visibility (an agent never sees another's review),
strict inputs, the project's error shape, acknowledging once, and bounded queries."""

import pytest
from rest_framework.test import APIClient

from servicedesk.audit.models import Review
from tests.factories import MembershipFactory, UserFactory

from .factories import ComplaintFactory, full_marks, handled_record, review

pytestmark = pytest.mark.django_db


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _body(form, record=None, complaint=None, **extra) -> dict:
    scores = [{"item": pk, "points": p} for pk, p in full_marks(form, 4).items()]
    body = {"form": form.pk, "scores": scores, "comment": "Good"}
    if record is not None:
        body["record"] = record.pk
    if complaint is not None:
        body["complaint"] = complaint.pk
    return body | extra


@pytest.fixture
def colleague(department):
    user = UserFactory(username="colleague")
    MembershipFactory(user=user, department=department)
    return user


def test_a_manager_creates_a_review(manager, agent, record, six_steps):
    response = _client(manager).post("/api/v1/reviews/", _body(six_steps, record), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["subject"] == f"record:{record.pk}" and data["complaint"] is None
    assert (data["points"], data["max_points"], data["share"]) == (24, 30, 0.8)
    assert data["agent"]["id"] == agent.pk and data["reviewer"]["username"] == "manager"
    assert [s["points"] for s in data["scores"]] == [4] * 6
    assert data["scores"][0]["label"] == "Respected the customer"
    assert data["acknowledged_at"] is None


def test_a_complaint_review_over_the_api(manager, agent, department, six_steps):
    complaint = ComplaintFactory(record=handled_record(department, agent, status="open"))
    response = _client(manager).post(
        "/api/v1/reviews/", _body(six_steps, complaint=complaint), format="json"
    )
    assert response.status_code == 201 and response.json()["complaint"] == complaint.pk


def test_inputs_are_strict_and_errors_in_the_projects_shape(manager, record, six_steps):
    client = _client(manager)
    unknown = client.post(
        "/api/v1/reviews/", _body(six_steps, record, agent=1, colour="red"), format="json"
    ).json()["error"]
    assert unknown["code"] == "invalid"
    assert unknown["fields"]["colour"] == ["Unknown field."]
    assert "assignee" in unknown["fields"]["agent"][0]
    nested = _body(six_steps, record)
    nested["scores"][0]["extra"] = 1
    assert client.post("/api/v1/reviews/", nested, format="json").status_code == 400
    both = client.post(
        "/api/v1/reviews/", {**_body(six_steps, record), "complaint": record.pk}, format="json"
    ).json()["error"]
    assert "either" in both["fields"]["record"][0]
    too_high = _body(six_steps, record)
    too_high["scores"][0]["points"] = 6
    error = client.post("/api/v1/reviews/", too_high, format="json").json()["error"]
    assert "from 0 to 5" in error["fields"]["scores"][0]
    client.post("/api/v1/reviews/", _body(six_steps, record), format="json")
    again = client.post("/api/v1/reviews/", _body(six_steps, record), format="json").json()
    assert "already been reviewed" in again["error"]["fields"]["record"][0]
    assert Review.objects.count() == 1


def test_an_agent_may_not_create(agent, colleague, department, six_steps):
    record = handled_record(department, colleague)
    response = _client(agent).post("/api/v1/reviews/", _body(six_steps, record), format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_an_agent_never_sees_another_agents_review(
    manager, agent, colleague, department, six_steps
):
    mine = review(manager, six_steps, record=handled_record(department, agent))
    theirs = review(manager, six_steps, record=handled_record(department, colleague))
    as_agent = _client(agent)
    listed = as_agent.get("/api/v1/reviews/").json()["results"]
    assert [r["id"] for r in listed] == [mine.pk]
    assert as_agent.get(f"/api/v1/reviews/{theirs.pk}/").status_code == 404
    assert as_agent.get(f"/api/v1/reviews/?agent={colleague.pk}").json()["results"] == []
    assert as_agent.post(f"/api/v1/reviews/{theirs.pk}/acknowledge/", {}).status_code == 404
    as_manager = _client(manager).get("/api/v1/reviews/").json()["results"]
    assert {r["id"] for r in as_manager} == {mine.pk, theirs.pk}


def test_the_agent_acknowledges_once(manager, agent, record, six_steps):
    made = review(manager, six_steps, record=record)
    refused = _client(manager).post(f"/api/v1/reviews/{made.pk}/acknowledge/", {}, format="json")
    assert refused.status_code == 403
    client = _client(agent)
    done = client.post(f"/api/v1/reviews/{made.pk}/acknowledge/", {"reply": "收到"}, format="json")
    assert done.status_code == 200 and done.json()["agent_reply"] == "收到"
    assert done.json()["acknowledged_at"]
    twice = client.post(f"/api/v1/reviews/{made.pk}/acknowledge/", {}, format="json")
    assert twice.status_code == 400 and "already" in str(twice.json()["error"]["fields"])
    filtered = client.get("/api/v1/reviews/?acknowledged=true").json()["results"]
    assert [r["id"] for r in filtered] == [made.pk]


def test_the_list_runs_a_fixed_number_of_queries(
    manager, agent, department, six_steps, django_assert_max_num_queries
):
    for _ in range(27):
        review(manager, six_steps, record=handled_record(department, agent))
    client = _client(manager)
    # Role; the page of reviews with their joins; their scores with the items.
    with django_assert_max_num_queries(4):
        response = client.get("/api/v1/reviews/")
    data = response.json()
    assert len(data["results"]) == 25 and data["next"]
    second = client.get(data["next"]).json()
    assert len(second["results"]) == 2
    ids = [r["id"] for r in data["results"] + second["results"]]
    assert ids == sorted(ids, reverse=True)


def test_check_forms_with_their_items(agent, six_steps):
    client = _client(agent)
    forms = client.get("/api/v1/check-forms/").json()["results"]
    six = next(f for f in forms if f["key"] == "six-steps")
    assert six["kind"] == "grade" and six["max_points"] == 30
    assert [i["label_zh"] for i in six["items"]][:2] == ["尊重客户", "倾听"]
    one = client.get(f"/api/v1/check-forms/{six_steps.pk}/").json()
    assert one["items"][-1]["label"] == "Re-checked with the customer"
    assert client.post("/api/v1/check-forms/", {}, format="json").status_code == 405
