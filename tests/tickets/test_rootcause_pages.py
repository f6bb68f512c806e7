"""Root-cause pages: the fishbone (SVG, links, table, period errors, roles, queries), the
workshop pages and the complaint's cause section and form."""

from datetime import datetime, timedelta

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone

from servicedesk.core.roles import Role
from tests.factories import UserFactory
from tests.tickets.factories import complaint_open
from tests.tickets.rootcause_factories import (
    ComplaintCauseFactory,
    WorkshopCauseFactory,
    WorkshopFactory,
    bone,
    closed_complaint,
    solutions,
)
from tickets.complaints.models import Complaint
from tickets.complaints.rootcause import services
from tickets.complaints.rootcause.models import (
    ComplaintCause,
    CorrectiveAction,
    FishboneWorkshop,
    WorkshopCause,
    WorkshopSolution,
)
from tickets.complaints.rootcause.views import cause_context

pytestmark = pytest.mark.django_db

FISHBONE = "/complaints/fishbone/"


def today():
    return timezone.localdate()


def _noon(days_ago: int):
    day = today() - timedelta(days=days_ago)
    return timezone.make_aware(datetime.combine(day, datetime.min.time()).replace(hour=12))


@pytest.fixture
def causes(agent, complaint_category):
    """Last week: process ×2, people ×1; 200 days ago (outside the default 90): product ×1."""
    made = []
    for code, days_ago in [("process", 7), ("process", 8), ("people", 3), ("product", 200)]:
        complaint = closed_complaint(agent, complaint_category, closed_at=_noon(days_ago))
        made.append(ComplaintCauseFactory(complaint=complaint, bone=bone(code)))
    return made


# --- the fishbone ---------------------------------------------------------------------------------


def test_the_fishbone_draws_each_bone_as_a_link_to_its_complaints(client, manager, causes):
    client.force_login(manager)
    response = client.get(FISHBONE)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and "<line" in html
    since = (today() - timedelta(days=89)).isoformat()
    process = bone("process").pk
    link = f"/complaints/?bone={process}&amp;closed_from={since}&amp;closed_to={today()}"
    assert f'<a href="{link}">' in html  # in the drawing and in the table
    assert html.count(link) == 2
    rows = {r["label"]: (r["count"], r["share"]) for r in response.context["rows"]}
    assert rows["Process"] == (2, 67) and rows["People"] == (1, 33) and rows["Product"] == (0, 0)
    assert "Process (2)" in html and '<th scope="col">Share</th>' in html
    bones = {b["label"]: b for b in response.context["drawing"]["bones"]}
    assert bones["Process"]["stroke"] > bones["People"]["stroke"] > bones["Product"]["stroke"]
    assert bones["Product"]["empty"] and 'stroke-dasharray="4 6"' in html


def test_the_fishbone_speaks_the_readers_language(client, manager, causes):
    client.force_login(manager)
    html = client.get(FISHBONE, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "流程 (2)" in html and "人 (1)" in html


def test_the_fishbone_counts_the_chosen_period_and_department(client, manager, causes, department):
    client.force_login(manager)
    since = (today() - timedelta(days=300)).isoformat()
    response = client.get(FISHBONE, {"from": since, "to": today().isoformat()})
    counts = {r["label"]: r["count"] for r in response.context["rows"]}
    assert counts["Product"] == 1 and response.context["total"] == 4
    response = client.get(FISHBONE, {"department": department.pk})
    assert response.status_code == 200 and response.context["total"] == 0  # none has one
    assert "?bone=" not in response.content.decode()  # the empty state, no links
    Complaint.objects.filter(pk=causes[0].complaint_id).update(responsible_department=department)
    response = client.get(FISHBONE, {"department": department.pk})
    assert response.context["total"] == 1
    assert f"&amp;responsible_department={department.pk}" in response.content.decode()


def test_an_empty_fishbone_says_what_to_do_next(client, manager):
    client.force_login(manager)
    html = client.get(FISHBONE).content.decode()
    assert "No complaint closed in this period has a filed cause yet" in html
    assert "/complaints/?step=closed" in html and "<svg" not in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"from": "2026-13-01"}, "Enter a date as YYYY-MM-DD."),
        ({"from": "0001-01-01"}, "Enter a date from 1970 to 2099."),
        ({"from": "2026-03-10", "to": "2026-03-01"}, "The end of the period is before its start."),
        ({"from": "2024-01-01", "to": "2026-01-01"}, "Choose at most 366 days"),
        ({"from": "2020-01-01"}, "Choose at most 366 days"),
        ({"department": "abc"}, "Select a valid choice"),
    ],
)
def test_a_period_that_cannot_be_used_is_shown_as_a_form_error(client, manager, query, message):
    client.force_login(manager)
    response = client.get(FISHBONE, query)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and "nothing is counted" in html and "<svg" not in html


def test_the_root_cause_pages_are_for_managers(client, agent, administrator):
    workshop = WorkshopFactory()
    client.force_login(agent)
    for url in [FISHBONE, "/complaints/workshops/", "/complaints/workshops/new/"]:
        assert client.get(url).status_code == 403
    assert client.get(f"/complaints/workshops/{workshop.pk}/").status_code == 403
    assert client.post(f"/complaints/workshops/{workshop.pk}/solutions/").status_code == 403
    client.force_login(administrator)
    assert client.get(FISHBONE).status_code == 200


def test_the_fishbone_page_runs_a_fixed_number_of_queries(
    client, manager, agent, complaint_category, django_assert_max_num_queries
):
    codes = ["people", "process", "product", "policy", "place", "partners"]
    for i in range(30):
        complaint = closed_complaint(agent, complaint_category, closed_at=_noon(i % 20))
        ComplaintCauseFactory(complaint=complaint, bone=bone(codes[i % 6]))
    client.force_login(manager)
    # with the bones' counts in two (the causes per bone, then the bones: rootcause.selectors)
    with django_assert_max_num_queries(8):
        response = client.get(FISHBONE)
    assert response.context["total"] == 30


# --- workshops ------------------------------------------------------------------------------------


@pytest.fixture
def workshop(manager, agent):
    return services.workshop_create(
        by=manager,
        problem="上门服务迟到 & <script>alert(1)</script>",
        held_on=today(),
        facilitator_id=manager.pk,
        participant_ids=[agent.pk],
    )


def test_a_manager_creates_a_workshop_from_the_fishbone_link(client, manager, agent, department):
    client.force_login(manager)
    prefill = client.get("/complaints/workshops/new/", {"problem": "迟到", "department": "x"})
    assert prefill.status_code == 200 and 'value="迟到"' in prefill.content.decode()
    response = client.post(
        "/complaints/workshops/new/",
        {
            "problem": "上门迟到",
            "held_on": today().isoformat(),
            "facilitator": manager.pk,
            "participants": [agent.pk],
            "department": department.pk,
        },
    )
    workshop = FishboneWorkshop.objects.get()
    assert response.status_code == 302 and response.url == f"/complaints/workshops/{workshop.pk}/"
    assert workshop.department == department and workshop.participants.count() == 2
    listed = client.get("/complaints/workshops/").content.decode()
    assert "上门迟到" in listed


def test_a_workshop_form_with_errors_is_shown_again(client, manager):
    client.force_login(manager)
    response = client.post(
        "/complaints/workshops/new/",
        {
            "problem": "",
            "held_on": "soon",
            "facilitator": manager.pk,
            "period_from": today().isoformat(),
            "period_to": (today() - timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required." in html and "Enter a date as YYYY-MM-DD." in html
    assert not FishboneWorkshop.objects.exists()


def test_the_workshop_page_shows_the_rule_its_fishbone_and_escapes_what_was_typed(
    client, manager, workshop
):
    WorkshopCauseFactory(workshop=workshop, bone=bone("place"), text="<b>登记</b>")
    client.force_login(manager)
    html = client.get(f"/complaints/workshops/{workshop.pk}/").content.decode()
    assert "杜绝相互指责" in html and "we look for causes, not culprits" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "<b>登记</b>" not in html and "&lt;b&gt;登记&lt;/b&gt;" in html
    assert f'<a href="#bone-{bone("place").pk}">' in html and "Place (1)" in html
    assert "0 of at least 20 listed" in html and "List 20 more" in html


def test_the_workshop_page_runs_a_fixed_number_of_queries(
    client, manager, agent, workshop, django_assert_max_num_queries
):
    codes = ["people", "process", "product", "policy", "place", "partners"]
    for i in range(30):
        WorkshopCauseFactory(workshop=workshop, bone=bone(codes[i % 6]), added_by=agent)
    listed = solutions(workshop, 25)
    services.workshop_solutions_choose(
        by=manager,
        workshop_id=workshop.pk,
        choices=[
            {"solution_id": s.pk, "owner_id": agent.pk, "due_date": today()} for s in listed[:3]
        ],
    )
    for i in range(5):
        workshop.participants.add(UserFactory(username=f"p{i}", role=Role.AGENT))
    client.force_login(manager)
    with django_assert_max_num_queries(12):
        response = client.get(f"/complaints/workshops/{workshop.pk}/")
    html = response.content.decode()
    assert "25 of at least 20 listed" in html and html.count("Mark done") == 3
    assert "Process (5)" in html


def test_choosing_on_the_page_is_refused_until_20_solutions_are_listed(
    client, manager, agent, workshop
):
    listed = solutions(workshop, 19)
    client.force_login(manager)
    url = f"/complaints/workshops/{workshop.pk}/choose/"
    row = {
        "choice_1_solution": listed[0].pk,
        "choice_1_owner": agent.pk,
        "choice_1_due_date": (today() + timedelta(days=5)).isoformat(),
    }
    response = client.post(url, row)
    assert response.status_code == 400
    assert "19 listed, 1 more needed" in response.content.decode()
    client.post(f"/complaints/workshops/{workshop.pk}/solutions/", {"text": "第二十个办法"})
    assert WorkshopSolution.objects.filter(workshop=workshop).count() == 20
    response = client.post(url, row)
    assert response.status_code == 302 and response.url.endswith("#actions")
    action = CorrectiveAction.objects.get()
    assert action.solution == listed[0] and action.owner == agent


def test_a_started_choice_row_must_be_finished(client, manager, workshop):
    listed = solutions(workshop, 20)
    client.force_login(manager)
    response = client.post(
        f"/complaints/workshops/{workshop.pk}/choose/", {"choice_2_solution": listed[0].pk}
    )
    assert response.status_code == 400
    errors = response.context["choose_form"].errors
    assert set(errors) == {"choice_2_owner", "choice_2_due_date"}


def test_workshop_causes_and_solutions_are_added_on_the_page(client, manager, workshop):
    client.force_login(manager)
    base = f"/complaints/workshops/{workshop.pk}"
    response = client.post(
        f"{base}/causes/",
        {"bone": bone("partners").pk, "text": "物流晚到", "why_1": "分开排期", "why_3": "没共享"},
    )
    assert response.status_code == 302
    assert WorkshopCause.objects.get().whys == ["分开排期", "没共享"]
    response = client.post(f"{base}/causes/", {"bone": bone("partners").pk, "text": "无因"})
    assert response.status_code == 400
    assert response.context["cause_form"].errors["why_1"]
    client.post(f"{base}/solutions/", {"text": "共享排期表"})
    response = client.post(f"{base}/solutions/", {"text": "共享排期表"})
    assert response.status_code == 400 and "already listed" in response.content.decode()


def test_a_workshop_action_is_marked_done_on_the_page(client, manager, agent, workshop):
    listed = solutions(workshop, 20)
    (action,) = services.workshop_solutions_choose(
        by=manager,
        workshop_id=workshop.pk,
        choices=[{"solution_id": listed[0].pk, "owner_id": agent.pk, "due_date": today()}],
    )
    client.force_login(manager)
    url = f"/complaints/workshops/{workshop.pk}/actions/{action.pk}/done/"
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 302  # again: still done once
    action.refresh_from_db()
    assert action.done_at is not None and action.done_by == manager
    other = WorkshopFactory(facilitator=manager)
    assert (
        client.post(f"/complaints/workshops/{other.pk}/actions/{action.pk}/done/").status_code
        == 404
    )


# --- a complaint's cause --------------------------------------------------------------------------


@pytest.fixture
def closed(agent, complaint_category):
    return closed_complaint(agent, complaint_category)


def _cause_post(**fields):
    return {
        "bone": bone("process").pk,
        "why_1": "师傅迟到",
        "why_2": "",
        "why_3": "派单没有留路程时间",
        "summary": "派单规则不考虑路程",
        **fields,
    }


def test_a_manager_files_the_cause_and_goes_back_to_the_complaint(client, manager, agent, closed):
    client.force_login(manager)
    due = (today() + timedelta(days=3)).isoformat()
    response = client.post(
        f"/complaints/{closed.pk}/cause/",
        _cause_post(action_2_description="加路程", action_2_owner=agent.pk, action_2_due_date=due),
    )
    assert response.status_code == 302 and response.url == f"/complaints/{closed.pk}/"
    cause = ComplaintCause.objects.get()
    assert cause.whys == ["师傅迟到", "派单没有留路程时间"]
    assert cause.actions.get().description == "加路程"


def test_a_refused_cause_is_shown_again_with_the_error_on_its_row(client, manager, agent, closed):
    client.force_login(manager)
    past = (today() - timedelta(days=1)).isoformat()
    response = client.post(
        f"/complaints/{closed.pk}/cause/",
        _cause_post(action_3_description="补救", action_3_owner=agent.pk, action_3_due_date=past),
    )
    assert response.status_code == 400
    form = response.context["cause"]["form"]
    assert form.errors == {"action_3_due_date": ["Choose a date that has not passed."]}
    html = response.content.decode()
    assert "Not saved yet" in html and 'value="补救"' in html
    assert not ComplaintCause.objects.exists()


def test_a_cause_without_whys_is_refused_on_the_first_why(client, manager, closed):
    client.force_login(manager)
    response = client.post(f"/complaints/{closed.pk}/cause/", _cause_post(why_1="", why_3=" "))
    assert response.status_code == 400
    assert "at least once" in response.context["cause"]["form"].errors["why_1"][0]


def test_a_cause_refiled_meanwhile_is_a_conflict_shown_with_the_current_cause(
    client, manager, administrator, closed
):
    client.force_login(manager)
    page = client.get(f"/complaints/{closed.pk}/cause/")
    assert page.status_code == 200 and page.context["cause"]["form"]["version"].value() is None
    services.cause_file(
        by=administrator,
        complaint_id=closed.pk,
        bone_id=bone("people").pk,
        whys=["先到"],
        summary="管理员先提交",
    )
    response = client.post(f"/complaints/{closed.pk}/cause/", _cause_post(version=""))
    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else filed this cause" in html and "管理员先提交" in html
    # Sent again from the page it was shown on: now it replaces the cause knowingly.
    again = response.context["cause"]["form"].data.copy()
    assert client.post(f"/complaints/{closed.pk}/cause/", again).status_code == 302
    assert ComplaintCause.objects.get().summary == "派单规则不考虑路程"


def test_the_cause_form_is_for_managers_and_closed_complaints(
    client, agent, manager, complaint_category
):
    open_complaint = complaint_open(agent, complaint_category)
    client.force_login(manager)
    page = client.get(f"/complaints/{open_complaint.pk}/cause/")
    assert "The cause is filed once the complaint is closed." in page.content.decode()
    response = client.post(f"/complaints/{open_complaint.pk}/cause/", _cause_post())
    assert response.status_code == 400
    assert "File the cause once the complaint is closed" in response.content.decode()
    client.force_login(agent)
    assert client.post(f"/complaints/{open_complaint.pk}/cause/", _cause_post()).status_code == 403


def _section(complaint, user) -> str:
    request = RequestFactory().get("/")
    request.user = user
    context = {"cause": cause_context(complaint, user), "request": request}
    return render_to_string("tickets/rootcause/complaint_cause.html", context, request=request)


def test_the_complaint_section_shows_the_numbered_whys_and_the_done_buttons(
    manager, agent, closed, django_assert_max_num_queries
):
    services.cause_file(
        by=manager,
        complaint_id=closed.pk,
        bone_id=bone("process").pk,
        whys=["一", "二", "三"],
        summary="根因",
        corrective_actions=[
            {"description": f"整改{i}", "owner_id": agent.pk, "due_date": today()} for i in range(3)
        ],
    )
    html = _section(closed, agent)
    assert "Why 1" in html and "Why 3" in html and "根因" in html
    assert html.count("Mark done") == 3  # the agent owns them
    assert "File the cause" not in html and "Refile" not in html  # an agent files nothing
    other = UserFactory(username="another", role=Role.AGENT)
    assert "Mark done" not in _section(closed, other)
    with django_assert_max_num_queries(5):
        html = _section(closed, manager)
    assert "Refile the cause" in html and 'name="version" value="1"' in html


def test_the_owner_marks_a_complaint_action_done(client, manager, agent, closed):
    cause = services.cause_file(
        by=manager,
        complaint_id=closed.pk,
        bone_id=bone("process").pk,
        whys=["一"],
        summary="根因",
        corrective_actions=[{"description": "整改", "owner_id": agent.pk, "due_date": today()}],
    )
    action = cause.actions.get()
    client.force_login(UserFactory(username="stranger", role=Role.AGENT))
    response = client.post(f"/complaints/{closed.pk}/cause/actions/{action.pk}/done/")
    assert response.status_code == 404  # not a complaint this agent sees
    action.refresh_from_db()
    assert action.done_at is None
    client.force_login(agent)
    response = client.post(f"/complaints/{closed.pk}/cause/actions/{action.pk}/done/")
    assert response.status_code == 302 and response.url == f"/complaints/{closed.pk}/"
    action.refresh_from_db()
    assert action.done_at is not None


def test_a_bones_link_lists_exactly_its_complaints(client, manager, causes):
    client.force_login(manager)
    since = (today() - timedelta(days=89)).isoformat()
    process = bone("process")
    page = client.get(f"/complaints/?bone={process.pk}&closed_from={since}&closed_to={today()}")
    listed = {c.pk for c in page.context["page"].object_list}
    # The two filed on "process" last week; not the product one, nor the one 200 days ago.
    assert listed == {c.complaint_id for c in causes[:2]}
    assert "Complaints whose cause is on the bone “Process”, closed" in page.content.decode()
    # An unknown bone lists nothing rather than everything.
    assert not client.get("/complaints/?bone=999999").context["page"].object_list
