"""Issue 13, item 7: an administrator exports everything held about a customer, and erases a
customer for good (customers.privacy and the parts tickets, followups and surveys register).

The erasure test builds one customer whose every personal value carries a marker, through the
services where they write history, then searches every table of the database (live rows and
django-simple-history's rows) for the markers before and after the erasure."""

import json
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from customers import privacy, services
from customers.models import Address, Contact, ContactPoint, Customer, Interaction
from followups.models import CallbackAttempt, CallbackVisit
from servicedesk.core.models import EmailState, OutboundEmail
from servicedesk.securitylog.models import EventKind, SecurityEvent
from surveys.models import Answer, Kind, SurveyInvitation, SurveyResponse
from tests.factories import ProductFactory, ProductOwnedFactory
from tests.followups.factories import VisitFactory
from tests.surveys.factories import answer, rating_template
from tests.tickets.factories import CategoryFactory, MessageFactory, RecordFactory
from tickets.complaints import services as complaint_services
from tickets.complaints.models import Complaint, ComplaintStepEntry, Step
from tickets.models import RecordAttachment, RecordMessage, ServiceRecord, Stage

pytestmark = pytest.mark.django_db

MARK = "qzx7"  # in every personal value of the erased customer, never elsewhere
NAME = "Wang Qzx7"
PHONE = "13912345678"  # stored as +8613912345678, digits reversed 87654321931
EMAIL = "qzx7@example.com"
NEEDLES = (MARK, PHONE, PHONE[::-1])


def personal_world(by, department, *, rows: int = 3) -> Customer:
    """One customer with `rows` of each kind of thing held about them, all marked."""
    customer = services.customer_create(
        name=NAME,
        phones=[PHONE],
        emails=[EMAIL],
        notes=f"{MARK} notes",
        preferences=f"{MARK} likes mornings",
        region="上海",
        tags=["vip"],
        allow_duplicate=True,
        by=by,
    )
    # A second history row with other marked values.
    services.customer_update(
        customer_id=customer.pk,
        version=customer.version,
        changes={"notes": f"{MARK} second notes", "name": f"{NAME} Jr"},
        by=by,
    )
    customer.refresh_from_db()
    services.contact_add(
        customer=customer,
        name=f"{MARK} spouse",
        title=f"{MARK} title",
        phones=["13987654321"],
        emails=[f"spouse.{MARK}@example.com"],
        notes=f"{MARK} contact notes",
    )
    Address.objects.create(customer=customer, line=f"{MARK} Road 1", city="上海", is_primary=True)
    category = CategoryFactory(stage=Stage.AFTER_SALE, lead_department=department)
    template = rating_template()
    text_q = template.questions.get(kind=Kind.TEXT)
    main_q = template.questions.get(is_main=True)
    for i in range(rows):
        ProductOwnedFactory(
            customer=customer, product=ProductFactory(), serial=f"{MARK}-SN{i}", notes=MARK
        )
        services.interaction_log(
            customer=customer, kind="call", summary=f"{MARK} call {i}", notes=MARK, staff=by
        )
        record = RecordFactory(
            customer=customer, category=category, subject=f"{MARK} {i}", description=MARK
        )
        record.description = f"{MARK} edited"
        record.save()  # a second history row
        for _j in range(2):
            MessageFactory(record=record, body=f"Dear {NAME}", author=by)
        RecordAttachment.objects.create(
            record=record,
            file=ContentFile(b"%PDF-1.4 scan", name="scan.pdf"),
            original_name=f"{MARK} id card.pdf",
            content_type="application/pdf",
            size=13,
            uploaded_by=by,
        )
        visit = VisitFactory(
            customer=customer,
            department=department,
            address=f"{MARK} Road 1",
            reached_person=f"{MARK} spouse",
            notes=MARK,
        )
        visit.questions_answered = f"{MARK} answered"
        visit.save()
        CallbackAttempt.objects.create(visit=visit, reached=False, note=f"{MARK} no answer")
        response = answer(
            template,
            customer,
            at=timezone.now() - timedelta(days=i),
            values={main_q.pk: 2, text_q.pk: f"{MARK} said the fitter was rude"},
        )
        SurveyInvitation.objects.filter(pk=response.invitation_id).update(email=EMAIL)
    complaint = complaint_services.complaint_open(
        by=by,
        customer_id=customer.pk,
        stage=category.stage,
        category_id=category.pk,
        subject=f"{MARK} complaint",
        description=f"{MARK} was angry",
        channel="phone",
        severity="general",
    )
    for step, data in (
        (Step.RESPECT, {"words": f"{MARK} sorry"}),
        (Step.LISTEN, {"feeling": MARK, "want": MARK, "thinking": MARK, "facts": MARK}),
    ):
        current = Complaint.objects.get(pk=complaint.pk)
        complaint_services.complaint_take_step(
            by=by, complaint_id=complaint.pk, version=current.version, step=step, data=data
        )
    OutboundEmail.objects.create(to=EMAIL, subject=f"To {NAME}", body=f"Dear {NAME}")
    return customer


def tables_holding(needles=NEEDLES) -> dict[str, int]:
    """Every table of the database, every column, searched for the needles: {table: rows}."""
    found = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            hits = sum(
                1
                for row in cursor.fetchall()
                if any(n in str(v).lower() for v in row if v is not None for n in needles)
            )
            if hits:
                found[table] = hits
    return found


@pytest.fixture
def media(settings, tmp_path):
    """Attachments on a real disk (the suite's default storage is in memory)."""
    settings.MEDIA_ROOT = str(tmp_path)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


# --- permissions ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["agent", "manager"])
def test_privacy_pages_refuse_agents_and_managers(client, request, role, media):
    customer = personal_world(request.getfixturevalue(role), request.getfixturevalue("department"))
    client.force_login(request.getfixturevalue(role))
    for url in (
        reverse("customers:privacy_export", args=[customer.pk]),
        reverse("customers:erase", args=[customer.pk]),
    ):
        assert client.get(url).status_code == 403
    response = client.post(reverse("customers:erase", args=[customer.pk]), {"confirm": NAME})
    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.erased_at is None and MARK in customer.notes
    assert not SecurityEvent.objects.filter(kind__in=[EventKind.EXPORT, EventKind.ERASURE])


def test_privacy_pages_send_anonymous_to_sign_in(client, db):
    customer = services.customer_create(name=NAME)
    for name in ("customers:privacy_export", "customers:erase"):
        response = client.get(reverse(name, args=[customer.pk]))
        assert response.status_code == 302 and "/login" in response["Location"]


def test_customer_page_shows_privacy_buttons_to_administrators_only(client, administrator, agent):
    customer = services.customer_create(name=NAME)
    export_url = reverse("customers:privacy_export", args=[customer.pk])
    client.force_login(administrator)
    html = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert export_url in html and reverse("customers:erase", args=[customer.pk]) in html
    client.force_login(agent)
    html = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert export_url not in html


# --- export -----------------------------------------------------------------------------------


def test_privacy_export_is_a_json_download_of_everything_held(
    client, administrator, agent, department, media
):
    # given
    customer = personal_world(agent, department, rows=3)
    client.force_login(administrator)
    # when
    response = client.get(reverse("customers:privacy_export", args=[customer.pk]))
    # then
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment;")
    assert f"customer-{customer.pk}-" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["format"] == privacy.FORMAT
    assert data["customer"]["id"] == customer.pk
    assert data["customer"]["name"] == f"{NAME} Jr" and data["customer"]["tags"] == ["vip"]
    assert data["customer"]["classifications"]["lifecycle"]
    points = {p["value"] for c in data["contacts"] for p in c["phones_and_emails"]}
    assert {"+86" + PHONE, EMAIL, f"spouse.{MARK}@example.com"} <= points
    assert len(data["contacts"]) == 2 and data["addresses"][0]["line"] == f"{MARK} Road 1"
    assert len(data["products_owned"]) == 3 and len(data["interactions"]) == 3
    # The complaint has its own record, so four records.
    assert len(data["service_records"]) == 4
    first = data["service_records"][0]
    assert len(first["messages"]) == 2 and first["messages"][0]["body"] == f"Dear {NAME}"
    assert first["attachments"][0]["file_name"] == f"{MARK} id card.pdf"
    assert "file" not in first["attachments"][0]  # metadata only
    [complaint] = data["complaints"]
    assert [s["step"] for s in complaint["steps"]] == ["respect", "listen"]
    assert complaint["steps"][1]["data"]["feeling"] == MARK
    assert len(data["callback_visits"]) == 3
    assert data["callback_visits"][0]["attempts"][0]["note"] == f"{MARK} no answer"
    assert len(data["survey_invitations"]) == 3 and data["survey_invitations"][0]["email"] == EMAIL
    texts = [a["text"] for r in data["survey_responses"] for a in r["answers"] if a["text"]]
    assert texts == [f"{MARK} said the fitter was rude"] * 3
    event = SecurityEvent.objects.get(kind=EventKind.EXPORT)
    assert event.user == administrator
    assert event.detail == {"what": "customer_personal_data", "customer": customer.pk}


def test_privacy_export_queries_do_not_grow_with_rows(
    administrator, agent, department, media, django_assert_max_num_queries
):
    small = personal_world(agent, department, rows=1)
    Customer.objects.filter(pk=small.pk).update(name="small one")
    big = personal_world(agent, department, rows=6)
    counts = []
    for customer in (small, big):
        with django_assert_max_num_queries(20) as captured:
            privacy.customer_export(customer_id=customer.pk, by=administrator)
        counts.append(len(captured))
    # The same fixed number of queries for one row of each kind and for six.
    assert counts[0] == counts[1]


def test_privacy_export_of_an_unknown_customer_is_404(client, administrator):
    client.force_login(administrator)
    assert client.get(reverse("customers:privacy_export", args=[999999])).status_code == 404


# --- erasure ----------------------------------------------------------------------------------


def test_erasure_leaves_no_personal_value_anywhere_in_the_database(
    client, administrator, agent, department, media
):
    # given: the markers sit in live rows and in history rows of many tables
    customer = personal_world(agent, department)
    before = tables_holding()
    models = (Customer, Customer.history.model, ContactPoint, Contact.history.model,
              Interaction.history.model, ServiceRecord.history.model, RecordMessage,
              ComplaintStepEntry.history.model, CallbackVisit.history.model, Answer,
              SurveyInvitation, OutboundEmail)  # fmt: skip
    assert {m._meta.db_table for m in models} <= set(before), before
    assert [p for p in media.rglob("*") if p.is_file()]
    counts = {
        "records": ServiceRecord.objects.filter(customer=customer).count(),
        "responses": SurveyResponse.objects.filter(customer=customer).count(),
        "visits": CallbackVisit.objects.filter(customer=customer).count(),
        "interactions": Interaction.objects.filter(customer=customer).count(),
    }
    ratings = sorted(
        SurveyResponse.objects.filter(customer=customer).values_list("rating", flat=True)
    )
    client.force_login(administrator)
    # when
    response = client.post(
        reverse("customers:erase", args=[customer.pk]), {"confirm": f"  {NAME} jr "}
    )
    # then
    assert response.status_code == 302
    assert tables_holding() == {}
    assert not [p for p in media.rglob("*") if p.is_file()]  # attachment files deleted
    customer.refresh_from_db()
    assert customer.erased_at is not None and customer.is_archived
    assert customer.name == f"Erased customer #{customer.pk}"
    # Kept for the statistics, no longer identifying anyone.
    assert counts == {
        "records": ServiceRecord.objects.filter(customer=customer).count(),
        "responses": SurveyResponse.objects.filter(customer=customer).count(),
        "visits": CallbackVisit.objects.filter(customer=customer).count(),
        "interactions": Interaction.objects.filter(customer=customer).count(),
    }
    assert ratings == sorted(
        SurveyResponse.objects.filter(customer=customer).values_list("rating", flat=True)
    )
    assert Complaint.objects.filter(record__customer=customer).get().step == Step.RESTATE
    assert ComplaintStepEntry.objects.filter(complaint__record__customer=customer).count() == 2
    assert OutboundEmail.objects.get().state == EmailState.FAILED  # never sent to the old address
    # Audited: who, when, which customer; nothing personal.
    event = SecurityEvent.objects.get(kind=EventKind.ERASURE)
    assert event.user == administrator and event.detail == {"customer": customer.pk}
    # The erasure is in the customer's history, by the administrator.
    last = customer.history.latest()
    assert last.history_change_reason == "erased" and last.history_user == administrator


def test_erasure_needs_the_name_typed_and_changes_nothing_otherwise(
    client, administrator, agent, department, media
):
    customer = personal_world(agent, department, rows=1)
    client.force_login(administrator)
    url = reverse("customers:erase", args=[customer.pk])
    page = client.get(url)
    assert page.status_code == 200 and "confirm" in page.content.decode()
    for body in ({}, {"confirm": "someone else"}):
        response = client.post(url, body)
        assert response.status_code == 200 and "data-error-summary" in response.content.decode()
    customer.refresh_from_db()
    assert customer.erased_at is None and customer.name == f"{NAME} Jr"
    assert not SecurityEvent.objects.filter(kind=EventKind.ERASURE).exists()


def test_erasure_is_one_transaction(administrator, agent, department, media):
    # given: a part that fails after the others have run
    customer = personal_world(agent, department, rows=1)

    def fail(ctx):
        raise RuntimeError("disk on fire")

    privacy.register(privacy.Part("zz-failing", lambda c: {}, fail, order=999))
    try:
        with pytest.raises(RuntimeError):
            privacy.customer_erase(customer_id=customer.pk, confirm=f"{NAME} Jr", by=administrator)
    finally:
        privacy._parts.pop("zz-failing")
    # then: nothing was anonymised, nothing logged
    customer.refresh_from_db()
    assert customer.erased_at is None and MARK in customer.notes
    assert Answer.objects.filter(text__contains=MARK).exists()
    assert ServiceRecord.objects.filter(customer=customer, subject__contains=MARK).exists()
    assert not SecurityEvent.objects.filter(kind=EventKind.ERASURE).exists()


def test_an_erased_customer_cannot_be_edited_or_erased_again(client, administrator, agent):
    customer = services.customer_create(name=NAME, phones=[PHONE])
    privacy.customer_erase(customer_id=customer.pk, confirm=NAME, by=administrator)
    customer.refresh_from_db()
    with pytest.raises(services.ErasedCustomerError):
        services.customer_update(
            customer_id=customer.pk, version=customer.version, changes={"notes": "x"}
        )
    with pytest.raises(services.ErasedCustomerError):
        services.contact_add(customer=customer, name="New person")
    with pytest.raises(services.ErasedCustomerError):
        services.interaction_log(customer=customer, kind="call", summary="called")
    with pytest.raises(privacy.ErasureRefused):
        privacy.customer_erase(customer_id=customer.pk, confirm=customer.name, by=administrator)
    # The edit page says so rather than saving.
    client.force_login(agent)
    response = client.post(
        reverse("customers:edit", args=[customer.pk]),
        {"name": "Back again", "kind": "individual", "version": customer.version},
    )
    customer.refresh_from_db()
    assert customer.name == f"Erased customer #{customer.pk}"
    assert response.status_code == 200
    assert SecurityEvent.objects.filter(kind=EventKind.ERASURE).count() == 1


def test_erasure_does_not_touch_other_customers(administrator, agent, department, media):
    other = services.customer_create(name="Li Wei", phones=["13800138000"], notes="Li's notes")
    customer = personal_world(agent, department, rows=1)
    privacy.customer_erase(customer_id=customer.pk, confirm=f"{NAME} Jr", by=administrator)
    other.refresh_from_db()
    assert other.name == "Li Wei" and other.notes == "Li's notes" and other.erased_at is None
    assert other.contact_points.get().value == "+8613800138000"
