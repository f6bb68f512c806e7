from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from servicedesk.core.models import Notification
from tests.factories import PhoneFactory
from tests.followups.factories import VisitFactory
from tests.tickets.factories import MessageFactory, PolicyFactory, RecordFactory
from tickets import services
from tickets.models import ServiceRecord

pytestmark = pytest.mark.django_db


def test_list_shows_department_records_with_fixed_queries(
    client, agent, category, django_assert_max_num_queries
):
    RecordFactory.create_batch(40, category=category, assignee=agent)
    client.force_login(agent)
    with django_assert_max_num_queries(12):
        response = client.get("/records/")
    assert response.status_code == 200
    assert response.content.count(b'name="records"') == 25


def test_list_filters_by_status_and_breach(client, agent, category):
    RecordFactory(category=category, subject="late one", resolution_due=timezone.now())
    RecordFactory(category=category, subject="fine one", status="open")
    client.force_login(agent)
    html = client.get("/records/?breached=true").content.decode()
    assert "late one" in html and "fine one" not in html
    html = client.get("/records/?status=open").content.decode()
    assert "fine one" in html and "late one" not in html


def test_record_page_fixed_queries_with_many_messages_and_history(
    client, agent, category, django_assert_max_num_queries
):
    record = RecordFactory(category=category)
    MessageFactory.create_batch(30, record=record, author=agent)
    for i in range(20):
        services.record_update(
            by=agent, record_id=record.pk, version=None, changes={"subject": f"s{i}"}
        )
    client.force_login(agent)
    with django_assert_max_num_queries(13):
        response = client.get(f"/records/{record.pk}/")
    assert response.status_code == 200
    assert response.content.decode().count('class="message message-reply"') == 30


def test_my_work_fixed_queries(client, agent, category, django_assert_max_num_queries):
    now = timezone.now()
    RecordFactory.create_batch(15, category=category, assignee=agent)
    RecordFactory.create_batch(15, category=category, resolution_due=now - timedelta(hours=1))
    RecordFactory.create_batch(15, category=category, resolution_due=now + timedelta(hours=1))
    # and the callbacks panel: 15 of the agent's visits due today, 15 in the queue, each with a
    # customer, a phone and a record, so a query per row would show
    for assignee in (agent, None):
        for _ in range(15):
            VisitFactory(
                department=category.lead_department,
                assignee=assignee,
                customer=PhoneFactory().customer,
                source_record=RecordFactory(category=category),
                due_at=now - timedelta(minutes=5),  # late: listed whatever the hour
            )
    client.force_login(agent)
    # On PostgreSQL the records' panels are one statement (a union of index walks joined to
    # their rows) and the callbacks panel another (both lists and their phones), beside the
    # shell's; on SQLite each panel reads on its own.
    union = connection.features.supports_slicing_ordering_in_compound
    with django_assert_max_num_queries(8 if union else 14):
        response = client.get("/")
    html = response.content.decode()
    assert "Breached" in html and "Due soon" in html and "Assigned to me" in html
    assert "Today&#39;s callbacks" in html and html.count("/callbacks/") >= 20  # 10 + 10 rows


def test_other_departments_record_page_is_404(client, agent):
    from tests.factories import DepartmentFactory
    from tests.tickets.factories import CategoryFactory

    record = RecordFactory(category=CategoryFactory(lead_department=DepartmentFactory()))
    client.force_login(agent)
    assert client.get(f"/records/{record.pk}/").status_code == 404


def test_create_form_looks_up_customer_and_uses_category_defaults(
    client, agent, customer, category
):
    PolicyFactory()
    client.force_login(agent)
    assert customer.name in client.get("/records/new/?q=Li").content.decode()
    page = client.get(f"/records/new/?customer={customer.pk}&category={category.pk}")
    assert 'value="technical" selected' in page.content.decode()
    response = client.post(
        "/records/new/",
        {
            "customer": customer.pk,
            "stage": "after_sale",
            "category": category.pk,
            "subject": "Install wardrobe",
            "priority": "normal",
        },
    )
    record = ServiceRecord.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/records/{record.pk}/"
    assert (record.nature, record.place) == ("technical", "on_site")


def test_create_form_shows_field_message_for_wrong_stage(client, agent, customer, category):
    client.force_login(agent)
    response = client.post(
        "/records/new/",
        {
            "customer": customer.pk,
            "stage": "pre_sale",
            "category": category.pk,
            "subject": "x",
            "priority": "normal",
        },
    )
    assert response.status_code == 200
    assert "does not belong to the pre-sale stage" in response.content.decode()
    assert not ServiceRecord.objects.exists()


def test_edit_form_shows_conflict_listing_changes(client, agent, manager, category):
    record = RecordFactory(category=category, subject="Original")
    services.record_update(
        by=manager, record_id=record.pk, version=1, changes={"subject": "Manager's"}
    )
    client.force_login(agent)
    data = {
        "version": 1,
        "subject": "Mine",
        "priority": "high",
        "nature": record.nature,
        "place": record.place,
        "fee": "free",
        "frequency": record.frequency,
        "duration": record.duration,
    }
    response = client.post(f"/records/{record.pk}/edit/", data)
    assert response.status_code == 409
    html = response.content.decode()
    assert "Changed by someone else" in html and "Manager&#x27;s" in html
    record.refresh_from_db()
    assert (record.subject, record.priority) == ("Manager's", "normal")


def test_illegal_transition_on_page_shows_message(client, agent, category):
    record = RecordFactory(category=category)
    client.force_login(agent)
    response = client.post(f"/records/{record.pk}/status/", {"to_status": "closed"}, follow=True)
    assert "cannot become closed" in response.content.decode()


def test_bulk_assign_by_manager(
    client, manager, agent, category, django_capture_on_commit_callbacks
):
    records = RecordFactory.create_batch(3, category=category)
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/records/",
            {"records": [r.pk for r in records], "action": "assign", "assignee": agent.pk},
        )
    assert ServiceRecord.objects.filter(assignee=agent).count() == 3
    assert Notification.objects.filter(recipient=agent, verb="record_assigned").count() == 3


def test_notifications_page_and_badge(client, agent, category):
    Notification.objects.create(recipient=agent, verb="x", title="Look at this", url="/records/")
    client.force_login(agent)
    assert 'class="badge danger"' in client.get("/").content.decode()
    assert "Look at this" in client.get("/notifications/").content.decode()
    client.post("/notifications/")
    assert 'class="badge danger"' not in client.get("/records/").content.decode()


def test_customer_section_lists_only_visible_records(category, customer, agent):
    from customers.timeline import customer_timeline, sections
    from tests.factories import DepartmentFactory

    RecordFactory(category=category, customer=customer, subject="Wardrobe")
    other = DepartmentFactory(code="finance")
    RecordFactory(category=category, customer=customer, subject="Invoice", lead_department=other)
    section = next(s for s in sections() if s.key == "records")
    assert [r.subject for r in section.loader(customer, agent)["records"]] == ["Wardrobe"]
    titles = [e.title for e in customer_timeline(customer, user=agent)]
    assert any("Wardrobe" in t for t in titles)
    assert not any("Invoice" in t for t in titles)
