"""Answers read out on a phone callback and entered by the agent: one invitation on the phone
channel and its response in one go, refusals re-shown with nothing stored, and only for customers,
visits and records the agent may see."""

import pytest

from surveys import services
from surveys.models import Channel, Purpose, SurveyInvitation, SurveyResponse
from tests.factories import CustomerFactory, DepartmentFactory
from tests.followups.factories import VisitFactory
from tests.surveys.factories import answers_for, rating_template
from tests.tickets.factories import CategoryFactory, RecordFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def call_template(db):
    return rating_template(key="call-test", purpose=Purpose.AFTER_CALLBACK, name_en="By phone")


@pytest.fixture
def visit(department, agent):
    return VisitFactory(department=department, assignee=agent)


def _url(visit):
    return f"/surveys/enter/?customer={visit.customer_id}&visit={visit.pk}"


def _post(client, visit, template, **fields):
    data = {"customer": visit.customer_id, "visit": visit.pk, "template": template.pk}
    return client.post("/surveys/enter/", {**data, **fields})


def test_the_page_offers_the_after_callback_survey_and_its_questions(
    client, agent, visit, call_template, django_assert_max_num_queries
):
    client.force_login(agent)
    with django_assert_max_num_queries(11):
        page = client.get(_url(visit) + f"&template={call_template.pk}")
    html = page.content.decode()
    assert page.status_code == 200
    assert visit.reference in html
    assert "How satisfied are you with the service?" in html
    assert "您对服务满意吗" in html  # the other language, for a customer who speaks it
    assert call_template.commitment_en in html
    # Without a choice, the first active survey for callbacks is chosen.
    html = client.get(_url(visit)).content.decode()
    assert 'name="template" value="' in html


def test_an_agent_enters_the_answers_as_staff_on_the_phone_channel(
    client, agent, visit, call_template
):
    client.force_login(agent)
    page = _post(
        client, visit, call_template, meeting="1", **answers_for(call_template, rating=4, nps=8)
    )
    response = SurveyResponse.objects.get()
    assert page.status_code == 302
    assert page["Location"] == f"/surveys/responses/{response.pk}/"
    invitation = response.invitation
    assert invitation.channel == Channel.PHONE
    assert invitation.visit_id == visit.pk
    assert invitation.created_by_id == agent.pk
    assert invitation.department_id == visit.department_id
    assert (response.entered_by_id, response.rating, response.nps) == (agent.pk, 4, 8)
    assert response.wants_meeting and not response.wants_contact
    followed = client.get(page["Location"]).content.decode()
    assert "Entered by staff" in followed
    assert "The answers were saved as entered by you on a call." in followed


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"rating": ""}, "Please answer this question."),
        ({"rating": 6}, "Choose a number from 1 to 5."),
        ({"nps": "eleven"}, "Choose a number from 0 to 10."),
        ({"choice": "perhaps"}, "Choose one of the options."),
        ({"text": "x" * 1_000_000}, "Please keep this answer under 4000 characters."),
    ],
)
def test_bad_answers_are_shown_again_and_nothing_is_stored(
    client, agent, visit, call_template, answers, message
):
    client.force_login(agent)
    page = _post(client, visit, call_template, **answers_for(call_template, **answers))
    assert page.status_code == 400
    assert message in page.content.decode()
    assert not SurveyInvitation.objects.exists()
    assert not SurveyResponse.objects.exists()


def test_typed_answers_are_kept_when_the_form_comes_back(client, agent, visit, call_template):
    client.force_login(agent)
    page = _post(
        client, visit, call_template, **answers_for(call_template, rating="", nps=7, text="慢")
    ).content.decode()
    assert 'value="7" checked' in page
    assert ">慢</textarea>" in page


def test_a_customer_asked_lately_is_refused_with_the_reason(client, agent, visit, call_template):
    services.survey_invite(template=call_template, customer_id=visit.customer_id, channel="link")
    client.force_login(agent)
    page = _post(client, visit, call_template, **answers_for(call_template))
    assert page.status_code == 400
    assert "The customer was asked in the last 30 days." in page.content.decode()
    assert SurveyInvitation.objects.count() == 1
    assert not SurveyResponse.objects.exists()


def test_an_inactive_or_unknown_template_is_refused(client, agent, visit, call_template):
    client.force_login(agent)
    call_template.is_active = False
    call_template.save()
    page = _post(client, visit, call_template, **answers_for(call_template))
    assert page.status_code == 400
    assert "Choose an active survey." in page.content.decode()
    assert client.get(_url(visit) + "&template=abc").status_code == 400
    assert not SurveyInvitation.objects.exists()


def test_only_what_the_agent_may_see(client, agent, visit, call_template):
    client.force_login(agent)
    hidden = VisitFactory(department=DepartmentFactory(code="sales"))
    assert client.get(_url(hidden)).status_code == 404
    assert _post(client, hidden, call_template, **answers_for(call_template)).status_code == 404
    # A visit of another customer than the one named.
    other = CustomerFactory()
    assert client.get(f"/surveys/enter/?customer={other.pk}&visit={visit.pk}").status_code == 404
    assert client.get("/surveys/enter/?customer=999999").status_code == 404
    assert client.get("/surveys/enter/?customer=x").status_code == 404
    assert not SurveyInvitation.objects.exists()


def test_without_a_customer_the_page_says_where_to_start(client, agent):
    client.force_login(agent)
    page = client.get("/surveys/enter/")
    assert page.status_code == 200
    assert "Open this page from a callback" in page.content.decode()


def test_answers_about_a_record(client, agent, department):
    template = rating_template(key="service-test")
    record = RecordFactory(category=CategoryFactory(lead_department=department))
    client.force_login(agent)
    url = f"/surveys/enter/?customer={record.customer_id}&record={record.pk}"
    assert record.reference in client.get(url + f"&template={template.pk}").content.decode()
    page = client.post(
        "/surveys/enter/",
        {
            "customer": record.customer_id,
            "record": record.pk,
            "template": template.pk,
            **answers_for(template, rating=2, nps=5),
        },
    )
    assert page.status_code == 302
    response = SurveyResponse.objects.get()
    assert response.invitation.record_id == record.pk
    assert response.is_low
    hidden = RecordFactory(category=CategoryFactory(lead_department=DepartmentFactory()))
    assert (
        client.get(f"/surveys/enter/?customer={hidden.customer_id}&record={hidden.pk}").status_code
        == 404
    )
