"""A small desk with one of everything the API serves, so ids in paths and bodies exist."""

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.wsgi import get_wsgi_application
from django.utils import timezone
from rest_framework.test import APIClient

from customers import services as customer_services
from followups import services as followup_services
from servicedesk.audit import services as audit_services
from servicedesk.audit.defaults import DEFAULT_KEY as AUDIT_DEFAULT_KEY
from servicedesk.audit.defaults import seed_defaults as seed_audit_defaults
from servicedesk.audit.models import CheckForm, CheckItem
from servicedesk.core.models import WorkerPing
from surveys import services as survey_services
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    DepartmentFactory,
    EmailFactory,
    InteractionFactory,
    MembershipFactory,
    PhoneFactory,
    ProductFactory,
    ProductOwnedFactory,
    UserFactory,
)
from tests.followups.factories import RuleFactory
from tests.surveys.factories import answers_for, rating_template
from tests.tickets.factories import CalendarFactory, CategoryFactory, PolicyFactory
from tickets import services as record_services
from tickets.complaints import services as complaint_services
from tickets.complaints.models import ComplaintAction
from tickets.models import Stage

from .schema_checks import in_test_transaction


@pytest.fixture
def admin_api(administrator):
    client = APIClient()
    client.force_authenticate(administrator)
    return client


@pytest.fixture
def schema(admin_api):
    return admin_api.get("/api/schema/?format=json").json()


@pytest.fixture
def api_schema(db):
    with in_test_transaction():
        return schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


@dataclass
class Desk:
    """Ids by API collection (the path segment after /api/v1/), and the objects tests need."""

    ids: dict[str, list[int]] = field(default_factory=dict)
    attachment_ids: list[int] = field(default_factory=list)
    action_ids: list[int] = field(default_factory=list)  # complaint actions, under "complaints"
    users: list[int] = field(default_factory=list)
    stages: dict[int, str] = field(default_factory=dict)  # category id → its stage


@pytest.fixture
def desk(db, agent, manager, administrator, department):
    """Customers, contacts, products, interactions and records in the agent's department (in
    several states, with messages, an attachment and history), plus a record of another
    department the agent cannot see."""
    CalendarFactory()
    PolicyFactory(name="Default")
    finance = DepartmentFactory(code="finance", name_en="Finance", name_zh="财务部")
    colleague = UserFactory(username="colleague", first_name="Wei", last_name="Zhang")
    MembershipFactory(user=colleague, department=department)
    installation = CategoryFactory(
        code="installation", stage=Stage.AFTER_SALE, lead_department=department
    )
    consulting = CategoryFactory(
        code="consulting", stage=Stage.PRE_SALE, lead_department=department
    )
    billing = CategoryFactory(code="billing", stage=Stage.AFTER_SALE, lead_department=finance)

    organisation = customer_services.customer_create(name="明远家具有限公司", kind="organisation")
    people = []
    for i in range(4):
        contact = ContactFactory(name=f"Customer {i}", customer__name=f"Customer {i}")
        PhoneFactory(contact=contact)
        EmailFactory(contact=contact)
        people.append(contact.customer)
    converted = CustomerFactory(
        name="Converted", lifecycle="actual", converted_at="2025-01-01T00:00Z", owner=agent
    )
    converted.conversion_cause = "sale"
    converted.save()
    product = ProductFactory(warranty_months=12)
    owned = [ProductOwnedFactory(customer=c, product=product) for c in people[:2]]
    interactions = [InteractionFactory(customer=c, staff=agent) for c in people[:2]]

    records = []
    for i, customer in enumerate(people):
        record = record_services.record_create(
            by=manager,
            customer_id=customer.pk,
            stage=Stage.AFTER_SALE,
            category_id=installation.pk,
            subject=f"Wardrobe door {i}",
            assignee_id=agent.pk if i % 2 else None,
        )
        records.append(record)
    first = records[0]
    record_services.record_update(
        by=agent, record_id=first.pk, version=None, changes={"priority": "high", "subject": "Door"}
    )
    record_services.record_transition(by=agent, record_id=first.pk, to_status="open")
    record_services.message_add(by=agent, record_id=first.pk, kind="note", body="Called back")
    attachment = record_services.attachment_add(
        by=agent,
        record_id=first.pk,
        upload=SimpleUploadedFile("scan.pdf", b"%PDF-1.4 test", content_type="application/pdf"),
    )
    record_services.record_transition(by=agent, record_id=records[1].pk, to_status="open")
    record_services.record_transition(by=agent, record_id=records[1].pk, to_status="resolved")
    hidden = record_services.record_create(
        by=administrator,
        customer_id=people[0].pk,
        stage=Stage.AFTER_SALE,
        category_id=billing.pk,
        subject="Invoice",
    )
    ping = WorkerPing.objects.create(created_by=administrator)
    rule = RuleFactory(code="after-installation", department=department, categories=[installation])
    complaint = complaint_services.complaint_open(
        by=agent,
        customer_id=people[2].pk,
        stage=Stage.AFTER_SALE,
        category_id=installation.pk,
        subject="Late installer",
        channel="phone",
        severity="serious",
        about_record_id=records[2].pk,
    )
    complaint_services.complaint_take_step(
        by=agent,
        complaint_id=complaint.pk,
        version=None,
        step="respect",
        data={"words": "谢谢您把情况告诉我"},
    )
    action = ComplaintAction.objects.create(
        complaint=complaint,
        description="Re-install the door",
        owner=agent,
        due_date=timezone.localdate() + timedelta(days=1),
    )
    soon = timezone.now() + timedelta(days=1)
    visits = [
        followup_services.visit_create(
            by=manager,
            customer_id=customer.pk,
            due_at=soon,
            department_id=department.pk,
            assignee_id=agent.pk if i else None,
            source_record_id=records[i].pk,
        )
        for i, customer in enumerate(people[:2])
    ]
    followup_services.visit_complete(
        by=agent, visit_id=visits[1].pk, version=None, reached_person="Customer 1", satisfaction=5
    )
    survey = rating_template(key="desk-survey")
    link_invitation = survey_services.survey_invite(
        template=survey, customer_id=people[3].pk, channel="link", record=records[3], by=agent
    )
    phoned = survey_services.survey_invite(
        template=survey, customer_id=people[2].pk, channel="phone", complaint=complaint, by=agent
    )
    answer = survey_services.survey_submit(
        invitation_id=phoned.pk,
        data=answers_for(survey, rating=2, nps=3, text="门没装好"),
        entered_by=agent,
    )
    # A quality review of the resolved record the agent handled, on the shipped form.
    seed_audit_defaults(CheckForm, CheckItem)
    six_steps = CheckForm.objects.get(key=AUDIT_DEFAULT_KEY)
    quality_review = audit_services.review_create(
        by=manager,
        form_id=six_steps.pk,
        record_id=records[1].pk,
        scores={item.pk: 4 for item in six_steps.items.all()},
    )

    contacts = [c.pk for customer in people for c in customer.contacts.all()]
    return Desk(
        ids={
            "customers": [c.pk for c in (*people, organisation, converted)],
            "contacts": contacts,
            "interactions": [i.pk for i in interactions],
            "products-owned": [p.pk for p in owned],
            "service-records": [r.pk for r in (*records, hidden)],
            "categories": [installation.pk, consulting.pk, billing.pk],
            "departments": [department.pk, finance.pk],
            "system/pings": [ping.pk],
            "callbacks": [v.pk for v in visits],
            "callback-rules": [rule.pk],
            "complaints": [complaint.pk],
            "survey-templates": [survey.pk],
            "survey-invitations": [link_invitation.pk, phoned.pk],
            "survey-responses": [answer.pk],
            "reviews": [quality_review.pk],
            "check-forms": [six_steps.pk],
            # ids named in bodies and query strings
            "product": [product.pk],
            "customer": [c.pk for c in people],
            "organisation": [organisation.pk],
            "template": [survey.pk],
        },
        attachment_ids=[attachment.pk],
        action_ids=[action.pk],
        users=[agent.pk, manager.pk, colleague.pk, administrator.pk],
        stages={installation.pk: Stage.AFTER_SALE, consulting.pk: Stage.PRE_SALE},
    )
