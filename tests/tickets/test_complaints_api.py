"""/api/v1/complaints/: scoped like records, steps taken in order with field messages, versioned."""

import pytest

from tests.factories import CustomerFactory, DepartmentFactory
from tests.tickets.factories import CategoryFactory, complaint_open
from tickets.complaints import services
from tickets.complaints.models import Complaint, ComplaintStepEntry
from tickets.models import Stage

pytestmark = pytest.mark.django_db
URL = "/api/v1/complaints/"


def _body(category, **extra):
    return {
        "customer": CustomerFactory().pk,
        "stage": Stage.AFTER_SALE,
        "category": category.pk,
        "subject": "安装师傅迟到",
        "channel": "phone",
        "severity": "severe",
        **extra,
    }


def test_create_read_and_take_the_first_step(agent_api, complaint_category):
    created = agent_api.post(URL, _body(complaint_category), format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["step"], body["severity"], body["steps"]) == ("respect", "severe", [])
    taken = agent_api.post(
        f"{URL}{body['id']}/steps/",
        {"step": "respect", "data": {"words": "谢谢您把情况告诉我"}, "version": body["version"]},
        format="json",
    )
    assert taken.status_code == 200, taken.json()
    assert taken.json()["step"] == "listen"
    assert taken.json()["steps"][0]["data"]["words"] == "谢谢您把情况告诉我"


def test_a_step_out_of_order_is_a_400_naming_the_expected_step(
    agent_api, agent, complaint_category
):
    complaint = complaint_open(agent, complaint_category)
    response = agent_api.post(
        f"{URL}{complaint.pk}/steps/",
        {"step": "options", "data": {}, "version": 1},
        format="json",
    )
    assert response.status_code == 400
    assert "1 Show respect" in response.json()["error"]["fields"]["step"][0]
    assert not ComplaintStepEntry.objects.exists()


def test_missing_step_data_is_named_under_data(agent_api, agent, complaint_category):
    complaint = complaint_open(agent, complaint_category)
    response = agent_api.post(
        f"{URL}{complaint.pk}/steps/", {"step": "respect", "data": {}, "version": 1}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"data.words"}


def test_a_stale_version_is_a_409(agent_api, agent, complaint_category):
    complaint = complaint_open(agent, complaint_category)
    services.complaint_take_step(
        by=agent, complaint_id=complaint.pk, version=1, step="respect", data={"words": "您好"}
    )
    response = agent_api.post(
        f"{URL}{complaint.pk}/steps/",
        {"step": "listen", "data": {"feeling": "a", "want": "b", "thinking": "c", "facts": "d"},
         "version": 1},
        format="json",
    )  # fmt: skip
    assert response.status_code == 409
    assert Complaint.objects.get(pk=complaint.pk).step == "listen"


def test_unknown_fields_are_refused(agent_api, complaint_category):
    response = agent_api.post(URL, _body(complaint_category, step="closed"), format="json")
    assert response.status_code == 400 and "step" in response.json()["error"]["fields"]
    assert not Complaint.objects.exists()


def test_another_departments_complaint_is_not_found(agent_api, administrator):
    finance = DepartmentFactory(code="finance")
    category = CategoryFactory(code="billing", stage=Stage.AFTER_SALE, lead_department=finance)
    foreign = complaint_open(administrator, category)
    assert agent_api.get(f"{URL}{foreign.pk}/").status_code == 404
    assert agent_api.get(URL).json()["results"] == []
    response = agent_api.post(
        f"{URL}{foreign.pk}/steps/",
        {"step": "respect", "data": {"words": "x"}, "version": 1},
        format="json",
    )
    assert response.status_code == 404


def test_the_list_runs_a_fixed_number_of_queries(
    agent_api, agent, complaint_category, django_assert_max_num_queries
):
    for _ in range(30):
        complaint = complaint_open(agent, complaint_category)
        services.complaint_take_step(
            by=agent, complaint_id=complaint.pk, version=1, step="respect", data={"words": "您好"}
        )
    with django_assert_max_num_queries(8):
        body = agent_api.get(f"{URL}?step=listen").json()
    assert len(body["results"]) == 25 and body["next"]
    assert all(len(c["steps"]) == 1 for c in body["results"])


def test_step_5_actions_are_done_and_moved_through_the_api(agent_api, agent, complaint_category):
    from datetime import timedelta

    from django.utils import timezone

    complaint = complaint_open(agent, complaint_category)
    steps = [
        ("respect", {"words": "您好"}),
        ("listen", {"feeling": "a", "want": "b", "thinking": "c", "facts": "d"}),
        ("restate", {"request": "r", "confirmed": True}),
        ("options", {"options": [{"description": "o", "remedy": "refund"}], "choice": 0}),
    ]
    for step, data in steps:
        services.complaint_take_step(
            by=agent, complaint_id=complaint.pk, version=None, step=step, data=data
        )
    tomorrow = timezone.localdate() + timedelta(days=1)
    actions = [{"description": "退款", "owner": agent.pk, "due_date": tomorrow.isoformat()}]
    services.complaint_take_step(
        by=agent, complaint_id=complaint.pk, version=None, step="act", data={"actions": actions}
    )
    action = complaint.actions.get()
    later = (tomorrow + timedelta(days=2)).isoformat()
    moved = agent_api.post(
        f"{URL}{complaint.pk}/actions/{action.pk}/new-date/", {"new_due_date": later}, format="json"
    )
    assert moved.status_code == 200, moved.json()
    assert moved.json()["actions"][0]["due_date"] == later
    past = agent_api.post(
        f"{URL}{complaint.pk}/actions/{action.pk}/new-date/",
        {"new_due_date": "2020-01-01"},
        format="json",
    )
    assert past.status_code == 400 and "new_due_date" in past.json()["error"]["fields"]
    assert agent_api.post(f"{URL}{complaint.pk + 1}/actions/{action.pk}/done/").status_code == 404
    done = agent_api.post(f"{URL}{complaint.pk}/actions/{action.pk}/done/")
    assert done.status_code == 200 and done.json()["step"] == "recheck"


def test_the_list_narrows_to_overdue_recovered_and_open(agent_api, agent, complaint_category):
    import time_machine
    from django.utils import timezone

    from tests.tickets.test_complaints import act, take, to_recheck
    from tickets.complaints.models import Step

    recovered, late, fresh = (complaint_open(agent, complaint_category) for _ in range(3))
    to_recheck(recovered, agent)
    take(recovered, Step.RECHECK, agent, {"result": "satisfied"})
    for step in (Step.RESPECT, Step.LISTEN, Step.RESTATE, Step.OPTIONS):
        take(late, step, agent)
    act(late, agent)  # due tomorrow
    with time_machine.travel(timezone.now() + timezone.timedelta(days=3)):
        ids = {
            query: [c["id"] for c in agent_api.get(f"{URL}?{query}").json()["results"]]
            for query in ("overdue=true", "recovered=true", "state=open", "state=closed")
        }
    assert ids == {
        "overdue=true": [late.pk],
        "recovered=true": [recovered.pk],
        "state=open": [fresh.pk, late.pk],
        "state=closed": [recovered.pk],
    }
    assert agent_api.get(f"{URL}?state=ajar").status_code == 400


def test_a_step_takes_the_version_as_if_match_and_a_stale_one_is_a_409(
    agent_api, agent, complaint_category
):
    complaint = complaint_open(agent, complaint_category)
    url = f"{URL}{complaint.pk}/steps/"
    body = {"step": "respect", "data": {"words": "谢谢您把情况告诉我"}}
    missing = agent_api.post(url, body, format="json")
    assert missing.status_code == 400 and "version" in missing.json()["error"]["fields"]
    stale = agent_api.post(url, body, format="json", HTTP_IF_MATCH='"7"')
    assert stale.status_code == 409
    taken = agent_api.post(url, body, format="json", HTTP_IF_MATCH='"1"')
    assert taken.status_code == 200 and taken["ETag"] == '"2"'


def test_a_service_refusal_of_a_step_field_is_named_under_data(
    agent_api, agent, complaint_category
):
    from tests.tickets.test_complaints import to_recheck

    complaint = complaint_open(agent, complaint_category)
    to_recheck(complaint, agent)
    version = Complaint.objects.get(pk=complaint.pk).version
    response = agent_api.post(
        f"{URL}{complaint.pk}/steps/",
        {
            "step": "recheck",
            "data": {"result": "unreachable", "note": "三次未接"},
            "version": version,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "Only a manager" in response.json()["error"]["fields"]["data.result"][0]


@pytest.mark.parametrize("value", ["-1.9e50", "99999999999999999999", "abc", "0"])
def test_an_unreadable_or_unknown_department_filter_is_a_400(agent_api, value):
    for name in ("department", "responsible_department"):
        response = agent_api.get(f"{URL}?{name}={value}")
        assert response.status_code == 400, (name, value, response.content)
        assert name in response.json()["error"]["fields"]
