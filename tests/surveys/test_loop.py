"""The triggers (through domain events) and the loop an answer closes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from followups import services as visit_services
from servicedesk.core.models import DomainEvent, Notification, OutboundEmail
from surveys import services
from surveys.models import Purpose, SurveyInvitation, SurveyResponse
from surveys.subscribers import close_the_loop
from tests.factories import ContactFactory, CustomerFactory, EmailFactory
from tests.surveys.factories import answers_for, rating_template
from tests.tickets.factories import CalendarFactory, CategoryFactory, PolicyFactory
from tickets import services as record_services
from tickets.complaints.models import Channel, Complaint
from tickets.models import AssignmentMode, DepartmentRoutingPolicy, Stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def category(department):
    return CategoryFactory(code="installation", stage=Stage.AFTER_SALE, lead_department=department)


def _resolved_record(agent, customer, category, capture):
    record = record_services.record_create(
        by=agent, customer_id=customer.pk, stage=category.stage, category_id=category.pk,
        subject="衣柜安装", assignee_id=agent.pk,
    )  # fmt: skip
    record_services.record_transition(by=agent, record_id=record.pk, to_status="open")
    with capture(execute=True):
        record_services.record_transition(by=agent, record_id=record.pk, to_status="resolved")
    return record


def _answer(invitation, **answers):
    return services.survey_submit(
        invitation_id=invitation.pk, data=answers_for(invitation.template, **answers)
    )


def test_a_resolved_record_invites_once(
    agent, customer, category, django_capture_on_commit_callbacks
):
    template = rating_template(purpose=Purpose.AFTER_SERVICE)
    record = _resolved_record(agent, customer, category, django_capture_on_commit_callbacks)
    invitation = SurveyInvitation.objects.get()
    assert (invitation.template, invitation.record, invitation.customer) == (
        template,
        record,
        customer,
    )
    assert (invitation.stage, invitation.department_id, invitation.agent) == (
        Stage.AFTER_SALE,
        category.lead_department_id,
        agent,
    )
    # A second record resolved the same month: the customer is not asked again.
    _resolved_record(agent, customer, category, django_capture_on_commit_callbacks)
    assert SurveyInvitation.objects.count() == 1


def test_a_done_callback_invites(agent, customer, department, django_capture_on_commit_callbacks):
    rating_template(purpose=Purpose.AFTER_CALLBACK)
    visit = visit_services.visit_create(
        by=agent, customer_id=customer.pk, due_at=timezone.now() + timedelta(hours=1),
        department_id=department.pk, assignee_id=agent.pk,
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        visit_services.visit_complete(
            by=agent, visit_id=visit.pk, version=None, reached_person="李伟本人", satisfaction=4
        )
    invitation = SurveyInvitation.objects.get()
    assert (invitation.visit_id, invitation.template.purpose) == (visit.pk, Purpose.AFTER_CALLBACK)


def test_a_complaint_at_recheck_invites(agent, category, django_capture_on_commit_callbacks):
    from tests.tickets.test_complaints import to_recheck

    template = rating_template(purpose=Purpose.COMPLAINT_RECHECK)
    customer = CustomerFactory()
    EmailFactory(contact=ContactFactory(customer=customer))
    from tickets.complaints.services import complaint_open

    complaint = complaint_open(
        by=agent, customer_id=customer.pk, stage=category.stage, category_id=category.pk,
        subject="安装师傅迟到", channel="phone", severity="general",
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        to_recheck(complaint, agent)
    invitation = SurveyInvitation.objects.get()
    assert (invitation.complaint_id, invitation.template) == (complaint.pk, template)


def test_a_low_score_opens_exactly_one_complaint(
    agent, customer, category, django_capture_on_commit_callbacks
):
    rating_template(purpose=Purpose.AFTER_SERVICE)
    # The department's own rules assign and time the recovery work, as for any record.
    CalendarFactory()
    PolicyFactory(priority="normal")
    DepartmentRoutingPolicy.objects.create(
        department=category.lead_department, mode=AssignmentMode.ROUND_ROBIN
    )
    record = _resolved_record(agent, customer, category, django_capture_on_commit_callbacks)
    invitation = SurveyInvitation.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = _answer(invitation, rating=2, nps=8)
    response.refresh_from_db()
    assert response.is_low
    complaint = Complaint.objects.get()
    assert response.complaint == complaint
    assert (complaint.channel, complaint.about_record, complaint.record.customer) == (
        Channel.SURVEY,
        record,
        customer,
    )
    assert complaint.record.resolution_due is not None
    assert complaint.record.assignee == agent
    # The customer hears at once that they were heard.
    told = OutboundEmail.objects.get(
        to="li.wei@example.com", body__contains=complaint.record.reference
    )
    assert "我们" in told.subject or "heard" in told.subject
    # The subscriber run again (a re-delivered event, a second worker): still one complaint.
    close_the_loop(DomainEvent.objects.get(name="survey_answered"))
    assert Complaint.objects.count() == 1


def test_a_low_likelihood_alone_opens_a_complaint(
    agent, customer, category, django_capture_on_commit_callbacks
):
    rating_template(purpose=Purpose.AFTER_SERVICE)
    _resolved_record(agent, customer, category, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        response = _answer(SurveyInvitation.objects.get(), rating=4, nps=3)
    assert SurveyResponse.objects.get(pk=response.pk).complaint is not None
    assert "10" in Complaint.objects.get().record.subject


def test_a_good_score_opens_nothing_and_praise_reaches_the_agent(
    agent, customer, category, django_capture_on_commit_callbacks
):
    rating_template(purpose=Purpose.AFTER_SERVICE)
    _resolved_record(agent, customer, category, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        _answer(SurveyInvitation.objects.get(), rating=5, nps=10)
    assert not Complaint.objects.exists()
    assert Notification.objects.filter(recipient=agent, verb="survey_praise").count() == 1


def test_asking_for_a_manager_tells_the_managers_once(
    agent, manager, customer, category, django_capture_on_commit_callbacks
):
    rating_template(purpose=Purpose.AFTER_SERVICE)
    _resolved_record(agent, customer, category, django_capture_on_commit_callbacks)
    response = _answer(SurveyInvitation.objects.get(), rating=3, nps=8)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            services.survey_opt_in(response_id=response.pk, opt_ins=frozenset({"contact"}))
    assert Notification.objects.filter(verb="survey_contact_requested").count() == 1
