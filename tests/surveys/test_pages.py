"""The staff pages for responses: the list (visibility, filters, rows, empty states), a response's
page (answers by aim), the 360° section and the template editor in admin."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from surveys import services
from surveys.models import Aim, Channel, SurveyResponse, SurveyTemplate
from tests.factories import CustomerFactory, DepartmentFactory
from tests.followups.factories import VisitFactory
from tests.surveys.factories import QuestionFactory, answers_for, rating_template
from tests.tickets.factories import CategoryFactory, RecordFactory, complaint_open

pytestmark = pytest.mark.django_db


def respond(template, *, record=None, visit=None, customer=None, by=None, **answers):
    """A response through the services, as a customer (or `by`, on a call) would give it."""
    if customer is None:
        customer = (record or visit).customer if (record or visit) else CustomerFactory()
    invitation = services.survey_invite(
        template=template,
        customer_id=customer.pk,
        channel=Channel.PHONE if by else Channel.LINK,
        record=record,
        visit=visit,
        by=by,
    )
    return services.survey_submit(
        invitation_id=invitation.pk, data=answers_for(template, **answers), entered_by=by
    )


@pytest.fixture
def other_department(db):
    return DepartmentFactory(code="sales", name_en="Sales", name_zh="销售部")


@pytest.fixture
def mine(template, department):
    """A response about a record of the agent's department."""
    record = RecordFactory(category=CategoryFactory(lead_department=department))
    return respond(template, record=record, rating=4, nps=9)


@pytest.fixture
def theirs(template, other_department):
    """A response about another department's record."""
    record = RecordFactory(category=CategoryFactory(lead_department=other_department))
    return respond(template, record=record, rating=1, nps=2, text="<script>alert(1)</script>")


# --- the list -----------------------------------------------------------------------------------


def test_a_manager_sees_every_response_newest_first(client, manager, mine, theirs):
    client.force_login(manager)
    page = client.get("/surveys/").content.decode()
    assert page.index(f"/surveys/responses/{theirs.pk}/") < page.index(
        f"/surveys/responses/{mine.pk}/"
    )
    assert f"/customers/{mine.customer_id}/" in page
    assert f"/records/{mine.invitation.record_id}/" in page
    assert "4 / 5" in page and "1 / 5" in page


def test_an_agent_sees_their_departments_and_their_own_responses_only(
    client, agent, template, mine, theirs, other_department
):
    # given another department's visit assigned to the agent
    visit = VisitFactory(department=other_department, assignee=agent)
    own = respond(template, visit=visit, rating=5, nps=10)
    client.force_login(agent)
    # when
    page = client.get("/surveys/").content.decode()
    # then
    assert f"/surveys/responses/{mine.pk}/" in page
    assert f"/surveys/responses/{own.pk}/" in page
    assert f"/surveys/responses/{theirs.pk}/" not in page
    assert client.get(f"/surveys/responses/{theirs.pk}/").status_code == 404
    assert client.get(f"/surveys/responses/{own.pk}/").status_code == 200


def test_the_list_marks_staff_entered_answers_and_links_the_complaint(
    client, manager, agent, template, department
):
    customer = CustomerFactory()
    by_staff = respond(template, customer=customer, by=agent, rating=2, nps=3)
    complaint = complaint_open(agent, CategoryFactory(lead_department=department))
    SurveyResponse.objects.filter(pk=by_staff.pk).update(complaint=complaint)
    client.force_login(manager)
    page = client.get("/surveys/").content.decode()
    assert "Entered by staff" in page
    assert f"/complaints/{complaint.pk}/" in page


def test_filters_narrow_the_list(client, manager, template, mine, theirs, agent):
    other = rating_template(key="recheck", name_en="Re-check")
    by_staff = respond(other, by=agent, rating=5, nps=10)
    client.force_login(manager)

    def listed(query):
        page = client.get(f"/surveys/?{query}").content.decode()
        return {r.pk for r in (mine, theirs, by_staff) if f"/surveys/responses/{r.pk}/" in page}

    assert listed(f"template={other.pk}") == {by_staff.pk}
    assert listed("score=low") == {theirs.pk}
    assert listed("score=4") == {mine.pk}
    assert listed("entered=staff") == {by_staff.pk}
    assert listed("entered=customer") == {mine.pk, theirs.pk}
    today = timezone.localdate()
    assert listed(f"since={today}&until={today}") == {mine.pk, theirs.pk, by_staff.pk}
    SurveyResponse.objects.filter(pk=mine.pk).update(
        submitted_at=timezone.now() - timedelta(days=10)
    )
    assert listed(f"since={today}") == {theirs.pk, by_staff.pk}
    assert listed(f"until={today - timedelta(days=5)}") == {mine.pk}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("since=2025-13-40", "Enter a date as YYYY-MM-DD."),
        ("since=2026-02-01&until=2026-01-01", "The end of the period is before its start."),
        ("score=9", "Select a valid choice."),
        ("template=abc", "Select a valid choice."),
        ("since=1900-01-01", "Enter a date from 1970 to 2099."),
    ],
)
def test_bad_filters_say_why_and_list_nothing(client, manager, mine, query, message):
    client.force_login(manager)
    page = client.get(f"/surveys/?{query}")
    assert page.status_code == 200
    html = page.content.decode()
    assert message in html
    assert f"/surveys/responses/{mine.pk}/" not in html


def test_empty_states_say_what_to_do_next(client, manager, administrator):
    client.force_login(manager)
    # The default templates (a data migration) are there from the start.
    assert "No answers yet" in client.get("/surveys/").content.decode()
    SurveyTemplate.objects.all().delete()
    assert "No survey templates yet" in client.get("/surveys/").content.decode()
    rating_template()
    html = client.get("/surveys/?score=low").content.decode()
    assert "No response matches these filters." in html
    assert "/admin/surveys/surveytemplate/" not in html
    client.force_login(administrator)
    assert "/admin/surveys/surveytemplate/" in client.get("/surveys/").content.decode()


def test_the_list_runs_a_fixed_number_of_queries_and_pages(
    client, manager, template, department, django_assert_max_num_queries
):
    category = CategoryFactory(lead_department=department)
    for i in range(30):
        respond(template, record=RecordFactory(category=category), rating=1 + i % 5, nps=i % 11)
    client.force_login(manager)
    # Session, user, role; the templates; the page of rows; the notification count.
    with django_assert_max_num_queries(7):
        first = client.get("/surveys/")
    assert first.status_code == 200
    assert first.content.decode().count("/surveys/responses/") == 25
    with django_assert_max_num_queries(7):
        second = client.get("/surveys/?page=2").content.decode()
    assert second.count("/surveys/responses/") == 5
    assert "26–30 of 30" in second


def test_the_list_in_chinese(client, manager, mine):
    client.force_login(manager)
    with translation.override("zh-hans"):
        page = client.get("/surveys/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    assert "服务后调查" in page.content.decode()


# --- a response's page --------------------------------------------------------------------------


def test_a_response_page_groups_answers_by_aim_and_escapes_text(
    client, manager, theirs, django_assert_max_num_queries
):
    SurveyResponse.objects.filter(pk=theirs.pk).update(wants_meeting=True, wants_contact=True)
    client.force_login(manager)
    # Session, user, role; the response; its answers; the policy; the notification count.
    with django_assert_max_num_queries(8):
        page = client.get(f"/surveys/responses/{theirs.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.index("How satisfied") < html.index("Suggestions")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    assert "Customer meeting (客户交流会)" in html and "A manager to contact them" in html
    assert f"/records/{theirs.invitation.record_id}/" in html
    assert "The customer" in html


def test_a_response_page_shows_who_entered_it_and_the_complaint(
    client, manager, agent, template, department
):
    QuestionFactory(template=template, position=9, aim=Aim.APPRECIATES, kind="text", required=False)
    response = respond(template, customer=CustomerFactory(), by=agent, rating=1, nps=0)
    complaint = complaint_open(agent, CategoryFactory(lead_department=department))
    SurveyResponse.objects.filter(pk=response.pk).update(complaint=complaint)
    client.force_login(manager)
    html = client.get(f"/surveys/responses/{response.pk}/").content.decode()
    assert "Entered by staff" in html
    assert f"/complaints/{complaint.pk}/" in html
    assert "Read out on a call" in html
    assert "What they appreciate" not in html  # an aim left unanswered is not shown


def test_an_unknown_response_is_404(client, manager):
    client.force_login(manager)
    assert client.get("/surveys/responses/999999/").status_code == 404


# --- the 360° section ---------------------------------------------------------------------------


def test_the_customer_page_shows_their_latest_answers(
    client, agent, template, mine, theirs, django_assert_max_num_queries
):
    client.force_login(agent)
    page = client.get(f"/customers/{mine.customer_id}/").content.decode()
    assert "Survey answers" in page
    assert f"/surveys/responses/{mine.pk}/" in page
    assert f"/surveys/enter/?customer={mine.customer_id}" in page
    # Another department's answers stay hidden on the customer's page too.
    hidden = client.get(f"/customers/{theirs.customer_id}/").content.decode()
    assert f"/surveys/responses/{theirs.pk}/" not in hidden
    assert "No survey answers yet" in hidden


# --- the template editor ------------------------------------------------------------------------


def test_an_administrator_edits_a_template_with_its_questions(client, administrator):
    # The role's rights come from surveys/apps.py (roles.grant), synced after migrate.
    client.force_login(administrator)
    assert client.get("/admin/surveys/surveytemplate/add/").status_code == 200
    data = {
        "key": "after-call", "name_en": "After a call", "name_zh": "回访后", "purpose":
        "after_callback", "commitment_en": "We read every answer.", "is_active": "on",
        "questions-TOTAL_FORMS": "2", "questions-INITIAL_FORMS": "0",
        "questions-0-position": "1", "questions-0-kind": "rating", "questions-0-aim":
        "satisfaction", "questions-0-text_en": "How was the call?", "questions-0-required": "on",
        "questions-0-is_main": "on", "questions-0-choices": "[]",
        "questions-1-position": "2", "questions-1-kind": "choice", "questions-1-aim": "wants",
        "questions-1-text_en": "What next?", "questions-1-choices": "[]",
    }  # fmt: skip
    page = client.post("/admin/surveys/surveytemplate/add/", data)
    assert page.status_code == 200
    assert "each needs a value" in page.content.decode()
    data["questions-1-choices"] = '[{"value": "visit", "en": "A visit", "zh": "上门"}]'
    page = client.post("/admin/surveys/surveytemplate/add/", data)
    assert page.status_code == 302


def test_responses_and_invitations_are_read_only_in_admin(client, administrator, mine):
    client.force_login(administrator)
    assert client.get("/admin/surveys/surveyresponse/").status_code == 200
    assert client.get(f"/admin/surveys/surveyresponse/{mine.pk}/change/").status_code == 200
    assert client.get("/admin/surveys/surveyresponse/add/").status_code == 403
    invitation = client.get(f"/admin/surveys/surveyinvitation/{mine.invitation_id}/change/")
    assert invitation.status_code == 200
    html = invitation.content.decode()
    assert mine.invitation.token_hash not in html and mine.invitation.token_salt not in html
