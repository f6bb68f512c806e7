"""The record pages as people use them: who can be assigned, bulk actions, search, filters,
closed records, form errors and category defaults."""

import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages

from tests.factories import (
    ContactFactory,
    CustomerFactory,
    DepartmentFactory,
    EmailFactory,
    MembershipFactory,
    PhoneFactory,
    UserFactory,
)
from tests.tickets.factories import CategoryFactory, RecordFactory
from tickets.models import ServiceRecord

pytestmark = pytest.mark.django_db


def _options(html: str, select_id: str) -> list[str]:
    """The visible labels of a <select>'s options."""
    select = re.search(rf'<select[^>]*id="{select_id}".*?</select>', html, re.S)
    assert select, f"no select #{select_id}"
    return [label.strip() for label in re.findall(r"<option[^>]*>([^<]*)</option>", select[0])]


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


# --- 1. who can be assigned -------------------------------------------------------------------


def test_agent_gets_take_it_instead_of_a_list_of_people(client, agent, category):
    record = RecordFactory(category=category)
    client.force_login(agent)
    html = client.get(record.get_absolute_url()).content.decode()
    assert "Take it" in html
    assert 'id="assignee"' not in html  # no dropdown of colleagues
    client.post(f"/records/{record.pk}/assign/", {"assignee": agent.pk})
    record.refresh_from_db()
    assert record.assignee == agent
    # their own record: no "Take it", but they may give it back
    html = client.get(record.get_absolute_url()).content.decode()
    assert "Take it" not in html and "Give it back" in html


def test_agent_is_not_offered_a_colleagues_record(client, agent, manager, category):
    record = RecordFactory(category=category, assignee=manager)
    client.force_login(agent)
    html = client.get(record.get_absolute_url()).content.decode()
    assert "Take it" not in html and "Give it back" not in html
    assert manager.get_full_name() in html


def test_manager_picks_from_the_records_departments_by_name(client, manager, agent, category):
    finance = DepartmentFactory(code="finance")
    accountant = UserFactory(username="acct", first_name="Zhao", last_name="Min")
    MembershipFactory(user=accountant, department=finance)
    # the manager's other department has nothing to do with this record
    warehouse = DepartmentFactory(code="warehouse")
    MembershipFactory(user=manager, department=warehouse)
    packer = UserFactory(username="packer")
    MembershipFactory(user=packer, department=warehouse)
    gone = UserFactory(username="gone", is_active=False)
    MembershipFactory(user=gone, department=category.lead_department)
    record = RecordFactory(category=category, collaborators=[finance])
    client.force_login(manager)

    html = client.get(record.get_absolute_url()).content.decode()

    labels = _options(html, "assignee")
    assert "Zhao Min" in labels and agent.get_full_name() in labels
    assert manager.get_full_name() in labels
    assert packer.get_full_name() not in labels and gone.get_full_name() not in labels
    assert "acct" not in labels and "agent" not in labels  # names, not logins
    assert "Take it" not in html


def test_list_bulk_assign_offers_managers_their_departments_and_agents_take(
    client, agent, manager, category
):
    outsider = UserFactory(username="outsider")
    MembershipFactory(user=outsider, department=DepartmentFactory(code="elsewhere"))
    RecordFactory(category=category)
    client.force_login(manager)
    html = client.get("/records/").content.decode()
    labels = _options(html, "bulk-assignee")
    assert agent.get_full_name() in labels and outsider.get_full_name() not in labels
    assert "agent" not in labels

    client.force_login(agent)
    html = client.get("/records/").content.decode()
    assert 'id="bulk-assignee"' not in html
    assert 'value="take"' in html and 'value="assign"' not in html


def test_manager_list_with_bulk_choices_has_fixed_queries(
    client, manager, category, django_assert_max_num_queries
):
    RecordFactory.create_batch(40, category=category)
    for _i in range(15):
        MembershipFactory(department=category.lead_department)
    client.force_login(manager)
    with django_assert_max_num_queries(11):
        response = client.get("/records/")
    html = response.content.decode()
    assert html.count('name="records"') == 25
    assert len(_options(html, "bulk-assignee")) == 17  # nobody + manager + 15 members


def test_invalid_filter_page_has_fixed_queries(
    client, manager, category, django_assert_max_num_queries
):
    RecordFactory.create_batch(30, category=category)
    client.force_login(manager)
    with django_assert_max_num_queries(8):
        assert client.get("/records/", {"status": "bogus"}).status_code == 200


def test_agent_bulk_take_assigns_to_themselves(client, agent, category):
    records = RecordFactory.create_batch(2, category=category)
    client.force_login(agent)
    response = client.post(
        "/records/", {"records": [r.pk for r in records], "action": "take", "assignee": 999}
    )
    assert response.status_code == 302
    assert ServiceRecord.objects.filter(assignee=agent).count() == 2
    assert _messages(response) == ["2 records updated."]


def test_list_filter_shows_assignees_by_name(client, agent, category):
    client.force_login(agent)
    labels = _options(client.get("/records/").content.decode(), "id_assignee")
    assert agent.get_full_name() in labels and "agent" not in labels


# --- 2. bulk actions ----------------------------------------------------------------------------


def test_list_has_a_labelled_select_all_box(client, agent, category):
    RecordFactory(category=category)
    client.force_login(agent)
    html = client.get("/records/").content.decode()
    box = re.search(r'<input type="checkbox" id="select-all"[^>]*>', html)
    assert box and 'aria-label="Select all records on this page"' in box[0]
    assert 'data-select-all="records"' in box[0]


def test_select_all_without_javascript_acts_on_every_record_of_the_page(client, manager, category):
    records = RecordFactory.create_batch(3, category=category)
    client.force_login(manager)
    page_records = client.get("/records/").content.decode()
    ids = re.search(r'name="page_records" value="([\d,]+)"', page_records)[1]
    assert sorted(int(i) for i in ids.split(",")) == sorted(r.pk for r in records)
    client.post(
        "/records/",
        {"all": "page", "page_records": ids, "action": "assign", "assignee": manager.pk},
    )
    assert ServiceRecord.objects.filter(assignee=manager).count() == 3


def test_bulk_partial_success_says_how_many_and_names_each_failure(client, manager, category):
    # given one record that can be closed, two that cannot, and one the manager cannot see
    done = RecordFactory(category=category, status="resolved")
    refused = RecordFactory.create_batch(2, category=category, status="new")
    hidden = RecordFactory(category=CategoryFactory(lead_department=DepartmentFactory()))
    client.force_login(manager)
    ids = [done.pk, *(r.pk for r in refused), hidden.pk]

    response = client.post("/records/", {"records": ids, "action": "status", "to_status": "closed"})

    shown = _messages(response)
    assert shown[0] == "1 of 4 records updated; these could not be changed:"
    for record in refused:
        assert any(m.startswith(f"{record.reference}: ") for m in shown), shown
    assert f"{hidden.reference}: not found." in shown
    assert len(shown) == 4
    done.refresh_from_db()
    assert done.status == "closed"


def test_bulk_every_failure_reaches_the_page(client, manager, category):
    refused = RecordFactory.create_batch(30, category=category, status="new")
    client.force_login(manager)
    response = client.post(
        "/records/",
        {"records": [r.pk for r in refused], "action": "status", "to_status": "closed"},
        follow=True,
    )
    html = response.content.decode()
    assert "None of the 30 records could be changed:" in html
    for record in refused:
        assert f"{record.reference}: " in html


# --- 3 and 4. the record page -------------------------------------------------------------------


def test_record_page_links_to_the_customers_360_view(client, agent, category, customer):
    record = RecordFactory(category=category, customer=customer)
    client.force_login(agent)
    html = client.get(record.get_absolute_url()).content.decode()
    assert f'href="/customers/{customer.pk}/"' in html


def test_closed_record_offers_reopen_instead_of_message_and_upload_forms(client, agent, category):
    record = RecordFactory(category=category, status="closed")
    client.force_login(agent)
    html = client.get(record.get_absolute_url()).content.decode()
    assert f'action="/records/{record.pk}/messages/"' not in html
    assert f'action="/records/{record.pk}/attachments/"' not in html
    assert html.count("takes no more messages or files") == 2
    assert html.count('href="#reopen"') == 2
    # one Reopen button, the status control the notes point to
    buttons = re.findall(r'<button type="submit" name="to_status" value="open"[^>]*>Reopen<', html)
    assert len(buttons) == 1 and 'id="reopen"' in buttons[0]
    assert "Mark Open" not in html

    client.post(f"/records/{record.pk}/status/", {"to_status": "open"})
    record.refresh_from_db()
    assert record.status == "open"
    html = client.get(record.get_absolute_url()).content.decode()
    assert f'action="/records/{record.pk}/messages/"' in html
    assert f'action="/records/{record.pk}/attachments/"' in html


def test_resolved_record_still_takes_messages_and_says_reopen(client, agent, category):
    record = RecordFactory(category=category, status="resolved")
    client.force_login(agent)
    html = client.get(record.get_absolute_url()).content.decode()
    assert f'action="/records/{record.pk}/messages/"' in html
    assert ">Reopen<" in html and "Mark Closed" in html


def test_record_page_query_count_with_assignment_choices(
    client, manager, category, django_assert_max_num_queries
):
    record = RecordFactory(category=category)
    for _i in range(15):
        MembershipFactory(department=category.lead_department)
    client.force_login(manager)
    # 12, and one for the callback visits section (followups, through tickets.sections)
    with django_assert_max_num_queries(13):
        response = client.get(record.get_absolute_url())
    assert len(_options(response.content.decode(), "assignee")) == 17  # nobody + 16 members


# --- 5. form errors -----------------------------------------------------------------------------


def test_create_form_errors_are_summarised_at_the_top_with_links(client, agent, customer, category):
    client.force_login(agent)
    response = client.post(
        "/records/new/",
        {"customer": customer.pk, "stage": "after_sale", "category": category.pk, "subject": ""},
    )
    html = response.content.decode()
    summary = re.search(
        r'<div class="form-errors" role="alert"[^>]*data-error-summary.*?</div>', html, re.S
    )
    assert summary, html
    assert '<a href="#id_subject">Subject</a>: This field is required.' in summary[0]
    assert html.index("data-error-summary") < html.index('id="id_subject"')
    # the input names its error, and the error carries that id
    assert 'aria-describedby="id_subject_error"' in html and 'id="id_subject_error"' in html


def test_service_error_on_a_hidden_field_is_shown_in_the_summary(client, agent, category):
    archived = CustomerFactory(is_archived=True)
    client.force_login(agent)
    response = client.post(
        f"/records/new/?customer={archived.pk}",
        {
            "customer": archived.pk,
            "stage": "after_sale",
            "category": category.pk,
            "subject": "Door",
            "priority": "normal",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "This customer is archived" in html.split("data-error-summary")[1]


def test_edit_form_errors_are_summarised(client, agent, category):
    record = RecordFactory(category=category)
    client.force_login(agent)
    response = client.post(f"/records/{record.pk}/edit/", {"version": record.version})
    html = response.content.decode()
    assert response.status_code == 400
    assert "data-error-summary" in html and '<a href="#id_subject">' in html


def test_desk_js_focuses_the_error_summary():
    from pathlib import Path

    js = (Path(__file__).resolve().parents[2] / "static/js/desk.js").read_text()
    assert "[data-error-summary]" in js and ".focus(" in js and "[data-select-all]" in js


# --- 6. search ----------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["{ref}", "{ref_lower}", "sr-{pk}", "SR{pk}", "{pk}"])
def test_search_finds_a_record_by_its_number(client, agent, category, query):
    record = RecordFactory(category=category, subject="Wardrobe door")
    other = RecordFactory(category=category, subject="Kitchen tap")
    client.force_login(agent)
    q = query.format(ref=record.reference, ref_lower=record.reference.lower(), pk=record.pk)
    html = client.get("/records/", {"q": q}).content.decode()
    assert "Wardrobe door" in html and other.subject not in html


@pytest.mark.parametrize("query", ["8123", "0013 8123", "138-0013-8123", "+86 138 0013 8123"])
def test_search_finds_a_record_by_the_customers_phone(client, agent, category, query):
    customer = ContactFactory(name="Li Wei", customer__name="Li Wei").customer
    PhoneFactory(contact=customer.contacts.get(), value="+8613800138123")
    RecordFactory(category=category, customer=customer, subject="Wardrobe door")
    RecordFactory(category=category, subject="Kitchen tap")
    client.force_login(agent)
    html = client.get("/records/", {"q": query}).content.decode()
    assert "Wardrobe door" in html and "Kitchen tap" not in html


def test_search_by_three_digits_is_a_record_number_not_a_phone(client, agent, category):
    customer = ContactFactory().customer
    PhoneFactory(contact=customer.contacts.get(), value="+8613800138123")
    RecordFactory(category=category, customer=customer, subject="Wardrobe door")
    client.force_login(agent)
    html = client.get("/records/", {"q": "123"}).content.decode()
    assert "Wardrobe door" not in html


def test_search_finds_a_record_by_customer_email_and_name(client, agent, category):
    customer = ContactFactory(name="Zhang", customer__name="Zhang Wei").customer
    EmailFactory(contact=customer.contacts.get(), value="zhang@example.com")
    RecordFactory(category=category, customer=customer, subject="Wardrobe door")
    RecordFactory(category=category, subject="Kitchen tap")
    client.force_login(agent)
    for q in ("zhang@example.com", "zhang w", "wardrobe"):
        html = client.get("/records/", {"q": q}).content.decode()
        assert "Wardrobe door" in html and "Kitchen tap" not in html, q


def test_search_uses_the_customer_search_as_a_subquery(agent):
    from tickets import selectors
    from tickets.filters import RecordFilter

    qs = RecordFilter({"q": "0013 8123"}, queryset=selectors.record_list(user=agent)).qs
    sql = str(qs.query)
    # the phone match is customer_search's reversed-digits prefix, inside an id sub-select
    assert "digits_reversed" in sql and "LIKE" in sql
    assert '"customer_id" IN (SELECT' in sql
    assert 'JOIN "customers_contactpoint"' not in sql


def test_search_with_a_huge_number_is_not_an_error(client, agent, category):
    client.force_login(agent)
    response = client.get("/records/", {"q": "9" * 40})
    assert response.status_code == 200


def test_list_search_query_count_is_fixed(client, agent, category, django_assert_max_num_queries):
    customer = ContactFactory().customer
    PhoneFactory(contact=customer.contacts.get(), value="+8613800138123")
    RecordFactory.create_batch(30, category=category, customer=customer, assignee=agent)
    client.force_login(agent)
    with django_assert_max_num_queries(10):
        response = client.get("/records/", {"q": "8123"})
    assert response.content.count(b'name="records"') == 25


def test_create_page_customer_lookup_is_the_archive_search(client, agent):
    # e-mail and organisation name were not found by the page's own matcher
    person = ContactFactory(name="Wang", customer__name="Wang Fang").customer
    EmailFactory(contact=person.contacts.get(), value="wang@example.com")
    CustomerFactory(name="Archived Wang", is_archived=True)
    client.force_login(agent)
    html = client.get("/records/new/", {"q": "wang@example.com"}).content.decode()
    assert f'href="?customer={person.pk}"' in html
    html = client.get("/records/new/", {"q": "wang"}).content.decode()
    assert "Wang Fang" in html and "Archived Wang" not in html


# --- 7. invalid filters -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"created_after": "notadate"}, "Enter a valid date."),
        ({"status": "bogus"}, "Select a valid choice. bogus is not one of the available choices."),
        ({"q": "wardrobe", "priority": "urgentest"}, "Select a valid choice."),
    ],
)
def test_invalid_filter_shows_its_message_over_an_empty_list(
    client, agent, category, params, message
):
    RecordFactory(category=category, subject="Wardrobe door")
    client.force_login(agent)
    response = client.get("/records/", params)
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert "Wardrobe door" not in html and 'name="records"' not in html
    assert "no records are listed" in html


def test_valid_filters_still_list(client, agent, category):
    RecordFactory(category=category, subject="Wardrobe door")
    client.force_login(agent)
    html = client.get("/records/", {"created_after": "2000-01-01", "page": "1"}).content.decode()
    assert "Wardrobe door" in html and "no records are listed" not in html


# --- 8. category defaults -----------------------------------------------------------------------


def test_create_page_takes_the_categorys_own_defaults(client, agent, customer, department):
    # a free category that still carries an old amount: defaults() drops it, a copy did not
    free = CategoryFactory(lead_department=department, default_fee_amount=Decimal("50.00"))
    paid = CategoryFactory(
        lead_department=department,
        default_fee="paid",
        default_fee_amount=Decimal("80.00"),
        default_duration="long",
    )
    client.force_login(agent)
    html = client.get(f"/records/new/?customer={customer.pk}&category={free.pk}").content.decode()
    amount = re.search(r'<input[^>]*name="fee_amount"[^>]*>', html)[0]
    assert "value=" not in amount
    html = client.get(f"/records/new/?customer={customer.pk}&category={paid.pk}").content.decode()
    amount = re.search(r'<input[^>]*name="fee_amount"[^>]*>', html)[0]
    assert 'value="80.00"' in amount
    assert 'value="long" selected' in html and 'value="paid" selected' in html


def test_edit_form_keeps_the_agreed_date_in_chinese(client, agent, category):
    # A date input takes only YYYY-MM-DD: a localised value would show it empty, and saving the
    # form would then clear the date promised to the customer.
    import datetime

    record = RecordFactory(category=category, agreed_date=datetime.date(2026, 12, 3))
    client.force_login(agent)
    html = client.get(
        f"/records/{record.pk}/edit/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert 'lang="zh-hans"' in html
    assert 'name="agreed_date" value="2026-12-03"' in html
