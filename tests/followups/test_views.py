"""The callback pages as agents and managers use them: the list and its one-click outcomes (htmx
and plain POST), the visit page's forms and conflicts, the calendar, the manager's view."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone, translation

from followups import services
from followups.models import CallbackVisit, VisitStatus
from servicedesk.core.roles import Role
from tests.factories import (
    ContactFactory,
    DepartmentFactory,
    MembershipFactory,
    PhoneFactory,
    UserFactory,
)
from tests.followups.factories import RuleFactory, VisitFactory
from tests.tickets.factories import RecordFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _late(minutes=30):
    """Due a little while ago: on every day's list whatever the hour the tests run at."""
    return timezone.now() - timedelta(minutes=minutes)


@pytest.fixture
def visit(department, agent, customer):
    PhoneFactory(contact=customer.contacts.get(), value="+8613800138123")
    return VisitFactory(customer=customer, department=department, assignee=agent, due_at=_late())


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def many_visits(department, agent, category):
    """30 visits, each with its own customer, phone and record: half the agent's, half unclaimed."""
    visits = []
    for i in range(30):
        contact = ContactFactory()
        PhoneFactory(contact=contact)
        record = RecordFactory(customer=contact.customer, category=category)
        visits.append(
            VisitFactory(
                customer=contact.customer,
                department=department,
                assignee=agent if i % 2 else None,
                source_record=record,
                due_at=_late(i + 1),
            )
        )
    return visits


# --- the list -------------------------------------------------------------------------------------


def test_index_shows_mine_and_the_queue_with_phone_and_record(
    agent_client, visit, department, category
):
    record = RecordFactory(customer=visit.customer, category=category)
    queued = VisitFactory(department=department, source_record=record, due_at=_late(90))
    later = VisitFactory(
        department=department, assignee=visit.assignee, due_at=timezone.now() + timedelta(days=3)
    )

    html = agent_client.get("/callbacks/").content.decode()

    assert visit.reference in html and queued.reference in html
    assert later.reference not in html  # due after tonight
    assert 'href="tel:+8613800138123"' in html
    assert record.reference in html
    assert "Take" in html and "Not reached" in html
    assert html.index("Mine") < html.index(visit.reference) < html.index("Unclaimed")
    week = agent_client.get("/callbacks/?range=week").content.decode()
    assert later.reference in week


def test_index_empty_states_say_what_to_do(agent_client):
    html = agent_client.get("/callbacks/").content.decode()
    assert "None of your callbacks is due today." in html
    assert "See the week ahead" in html


def test_index_day_filter_lists_that_days_visits(agent_client, visit, department):
    # Due the same day as `visit` whatever the hour: 30 and 5 minutes late fall on two days
    # from 00:05 to 00:30, and the test runs on the real clock.
    done = VisitFactory(
        department=department,
        due_at=visit.due_at,
        status=VisitStatus.DONE,
        completed_at=timezone.now(),
        reached=True,
    )
    day = timezone.localdate(visit.due_at).isoformat()

    html = agent_client.get(f"/callbacks/?day={day}").content.decode()

    assert visit.reference in html and done.reference in html


@pytest.mark.parametrize("query", ["day=2025-13-40", "day=yesterday", "range=<script>"])
def test_index_bad_filter_is_a_message_not_a_500(agent_client, visit, query):
    response = agent_client.get(f"/callbacks/?{query}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "cannot be shown" in html
    assert visit.reference not in html


def test_not_reached_via_htmx_swaps_the_row(agent_client, visit):
    response = agent_client.post(
        f"/callbacks/{visit.pk}/not-reached/",
        {"version": visit.version, "next": "/callbacks/"},
        **HTMX,
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith("<li") and f'id="visit-{visit.pk}"' in html
    assert "not reached. Next attempt" in html
    assert "<html" not in html
    visit.refresh_from_db()
    assert visit.attempts == 1 and visit.status == VisitStatus.SCHEDULED
    assert visit.attempt_log.get().reached is False


def test_not_reached_via_plain_post_redirects_back(agent_client, visit):
    response = agent_client.post(
        f"/callbacks/{visit.pk}/not-reached/",
        {"version": visit.version, "next": "/callbacks/?range=week"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/callbacks/?range=week"
    assert any("not reached" in m for m in _messages(response))
    visit.refresh_from_db()
    assert visit.attempts == 1


def test_not_reached_ignores_a_next_outside_the_desk(agent_client, visit):
    response = agent_client.post(
        f"/callbacks/{visit.pk}/not-reached/",
        {"version": visit.version, "next": "https://evil.example/"},
    )
    assert response["Location"] == "/callbacks/"


def test_last_attempt_marks_the_visit_missed(agent_client, visit):
    for _ in range(3):
        visit.refresh_from_db()
        response = agent_client.post(
            f"/callbacks/{visit.pk}/not-reached/", {"version": visit.version}, **HTMX
        )
    assert "now missed" in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == VisitStatus.MISSED


def test_take_from_the_queue_via_htmx(agent_client, agent, department):
    queued = VisitFactory(department=department, due_at=_late())

    response = agent_client.post(
        f"/callbacks/{queued.pk}/assign/",
        {"version": queued.version, "assignee": agent.pk},
        **HTMX,
    )

    assert "is yours now" in response.content.decode()
    queued.refresh_from_db()
    assert queued.assignee == agent


def test_reached_opens_the_inline_form_with_htmx_and_the_page_without(agent_client, visit):
    inline = agent_client.get(f"/callbacks/{visit.pk}/outcome/?next=/callbacks/", **HTMX)
    html = inline.content.decode()
    assert f'id="visit{visit.pk}-reached_person"' in html and "Save: reached" in html
    assert "autofocus" in html

    plain = agent_client.get(f"/callbacks/{visit.pk}/outcome/")
    assert plain.status_code == 302 and plain["Location"].endswith(
        f"/callbacks/{visit.pk}/#outcome"
    )


def test_outcome_happy_path_with_a_new_issue(agent_client, visit, category):
    response = agent_client.post(
        f"/callbacks/{visit.pk}/outcome/",
        {
            "version": visit.version,
            "reached_person": "Li Wei",
            "product_state": "problem",
            "satisfaction": "4",
            "expectation": "as_expected",
            "notes": "Door fine now.",
            "new_issue": "The tap in the kitchen drips",
        },
    )

    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == VisitStatus.DONE
    assert visit.satisfaction == 4 and visit.reached is True
    assert visit.new_issue_record.subject == "The tap in the kitchen drips"
    html = agent_client.get(visit.get_absolute_url()).content.decode()
    assert visit.new_issue_record.reference in html and "4 of 5" in html


def test_outcome_via_htmx_returns_the_done_row(agent_client, visit):
    response = agent_client.post(
        f"/callbacks/{visit.pk}/outcome/",
        {"version": visit.version, "reached_person": "Li Wei", "satisfaction": "5"},
        **HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200 and "outcome saved" in html
    assert "satisfaction 5/5" in html


def test_outcome_with_satisfaction_7_is_shown_again_and_nothing_saved(agent_client, visit):
    data = {"version": visit.version, "reached_person": "Li Wei", "satisfaction": "7"}

    page = agent_client.post(f"/callbacks/{visit.pk}/outcome/", data)
    row = agent_client.post(f"/callbacks/{visit.pk}/outcome/", data, **HTMX)

    assert page.status_code == 400 and row.status_code == 400
    for response in (page, row):
        html = response.content.decode()
        assert "Satisfaction is from 1 to 5." in html
        assert 'value="Li Wei"' in html  # the input is kept
    assert "<html" in page.content.decode() and "<html" not in row.content.decode()
    visit.refresh_from_db()
    assert visit.status == VisitStatus.SCHEDULED and visit.attempts == 0


def test_outcome_on_a_cancelled_visit_is_a_form_error(agent_client, visit, agent):
    services.visit_cancel(by=agent, visit_id=visit.pk, version=None, reason="moved abroad")
    visit.refresh_from_db()

    response = agent_client.post(
        f"/callbacks/{visit.pk}/outcome/",
        {"version": visit.version, "reached_person": "Li Wei", "satisfaction": "5"},
    )

    assert response.status_code == 400
    assert "was cancelled" in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CANCELLED and visit.satisfaction is None


def test_stale_version_shows_the_conflict_and_saves_nothing(agent_client, visit, manager):
    stale = visit.version
    services.visit_not_reached(by=manager, visit_id=visit.pk, version=stale, note="busy")

    response = agent_client.post(
        f"/callbacks/{visit.pk}/outcome/",
        {"version": stale, "reached_person": "Li Wei", "satisfaction": "5"},
    )

    assert response.status_code == 409
    html = response.content.decode()
    assert "Someone else changed this callback" in html
    assert "Changed by someone else" in html
    visit.refresh_from_db()
    assert visit.status == VisitStatus.SCHEDULED
    # the form now carries the current version: saving again applies it on purpose
    assert f'name="version" value="{visit.version}"' in html

    row = agent_client.post(f"/callbacks/{visit.pk}/not-reached/", {"version": stale}, **HTMX)
    assert row.status_code == 409 and "Someone else changed" in row.content.decode()
    visit.refresh_from_db()
    assert visit.attempts == 1


# --- the visit page -------------------------------------------------------------------------------


def test_detail_page_shows_customer_hours_rule_record_attempts_history(
    agent_client, visit, agent, category, department
):
    rule = RuleFactory(name_en="After installation", department=department)
    record = RecordFactory(customer=visit.customer, category=category, subject="Wardrobe")
    CallbackVisit.objects.filter(pk=visit.pk).update(rule=rule, source_record=record)
    visit.customer.contact_from = timezone.datetime(2000, 1, 1, 18, 0).time()
    visit.customer.contact_until = timezone.datetime(2000, 1, 1, 20, 0).time()
    visit.customer.save()
    services.visit_not_reached(by=agent, visit_id=visit.pk, version=None, note="line busy")

    html = agent_client.get(visit.get_absolute_url()).content.decode()

    assert "18:00–20:00" in html
    assert "After installation" in html and record.reference in html
    assert "line busy" in html and "not reached" in html
    assert "Reschedule" in html and "Cancel the visit" in html
    assert "Give it back" in html


def test_reschedule_outside_the_window_is_a_form_error(agent_client, visit):
    late = timezone.localtime(visit.window_end + timedelta(days=1))

    response = agent_client.post(
        f"/callbacks/{visit.pk}/reschedule/",
        {"version": visit.version, "due_at": late.strftime("%Y-%m-%dT%H:%M")},
    )

    assert response.status_code == 400
    assert "before the window ends" in response.content.decode()
    before = visit.due_at
    visit.refresh_from_db()
    assert visit.due_at == before


def test_reschedule_inside_the_window_and_bad_input(agent_client, visit):
    bad = agent_client.post(
        f"/callbacks/{visit.pk}/reschedule/", {"version": visit.version, "due_at": "tomorrow"}
    )
    assert bad.status_code == 400 and "Enter a valid date/time." in bad.content.decode()

    when = timezone.localtime(timezone.now() + timedelta(hours=2)).replace(second=0, microsecond=0)
    response = agent_client.post(
        f"/callbacks/{visit.pk}/reschedule/",
        {"version": visit.version, "due_at": when.strftime("%Y-%m-%dT%H:%M"), "reason": "asked"},
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.due_at == when


def test_cancel_needs_a_reason(agent_client, visit):
    response = agent_client.post(f"/callbacks/{visit.pk}/cancel/", {"version": visit.version})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    response = agent_client.post(
        f"/callbacks/{visit.pk}/cancel/", {"version": visit.version, "reason": "sold the house"}
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CANCELLED


def test_manager_assigns_by_name(client, manager, agent, visit):
    client.force_login(manager)
    html = client.get(visit.get_absolute_url()).content.decode()
    assert 'id="assignee"' in html and agent.get_full_name() in html
    client.post(
        f"/callbacks/{visit.pk}/assign/", {"version": visit.version, "assignee": manager.pk}
    )
    visit.refresh_from_db()
    assert visit.assignee == manager


def test_another_departments_visit_is_404(agent_client, customer):
    other = VisitFactory(customer=customer, department=DepartmentFactory(code="finance"))

    assert agent_client.get(other.get_absolute_url()).status_code == 404
    assert (
        agent_client.post(
            f"/callbacks/{other.pk}/not-reached/", {"version": other.version}
        ).status_code
        == 404
    )
    assert agent_client.post(f"/callbacks/{other.pk}/outcome/", {}).status_code == 404
    assert agent_client.get("/callbacks/99999999/").status_code == 404
    other.refresh_from_db()
    assert other.attempts == 0


# --- a visit made by hand -------------------------------------------------------------------------


def test_create_an_ad_hoc_visit_for_a_record(agent_client, agent, customer, category, department):
    record = RecordFactory(customer=customer, category=category)
    page = agent_client.get(f"/callbacks/new/?customer={customer.pk}&record={record.pk}")
    assert page.status_code == 200 and record.reference in page.content.decode()
    when = timezone.localtime(timezone.now() + timedelta(days=1)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )

    response = agent_client.post(
        "/callbacks/new/",
        {
            "customer": customer.pk,
            "source_record": record.pk,
            "due_at": when.strftime("%Y-%m-%dT%H:%M"),
            "method": "phone",
            "purpose": "after_service",
            "department": department.pk,
            "assignee": agent.pk,
        },
    )

    visit = CallbackVisit.objects.get(customer=customer)
    assert response.status_code == 302 and response["Location"] == visit.get_absolute_url()
    assert visit.source_record == record and visit.assignee == agent


def test_create_reports_bad_input(agent_client, customer, department):
    past = timezone.localtime(timezone.now() - timedelta(days=2))
    response = agent_client.post(
        "/callbacks/new/",
        {
            "customer": customer.pk,
            "due_at": past.strftime("%Y-%m-%dT%H:%M"),
            "method": "phone",
            "purpose": "ad_hoc",
            "department": department.pk,
        },
    )
    assert response.status_code == 400
    assert "Choose a time that has not passed." in response.content.decode()
    assert not CallbackVisit.objects.exists()


@pytest.mark.parametrize("query", ["customer=abc", "customer=999999", "customer={c}&record=777"])
def test_create_with_bad_ids_is_404(agent_client, customer, query):
    response = agent_client.get("/callbacks/new/?" + query.format(c=customer.pk))
    assert response.status_code == 404


def test_create_without_customer_searches_for_one(agent_client, customer):
    html = agent_client.get("/callbacks/new/?q=Li").content.decode()
    assert f"?customer={customer.pk}" in html


# --- calendar and manager -------------------------------------------------------------------------


def test_calendar_counts_each_day_and_links_to_its_list(agent_client, visit, department):
    VisitFactory(department=department, due_at=visit.due_at)
    day = timezone.localdate(visit.due_at)

    html = agent_client.get(f"/callbacks/calendar/?month={day:%Y-%m}").content.decode()

    assert f'href="/callbacks/?day={day:%Y-%m-%d}"' in html
    assert "2 scheduled" in html


@pytest.mark.parametrize("month", ["2025-13", "soon", "0001-01", "9999-12"])
def test_calendar_bad_month_is_a_message(agent_client, month):
    response = agent_client.get(f"/callbacks/calendar/?month={month}")
    assert response.status_code == 200
    assert "That month cannot be shown" in response.content.decode()


def test_manager_page_is_for_managers_only(agent_client):
    assert agent_client.get("/callbacks/manager/").status_code == 403


def test_manager_page_shows_rates_per_agent_and_the_late_visits(client, manager, agent, department):
    now = timezone.now()
    done = VisitFactory(
        department=department,
        assignee=agent,
        due_at=now - timedelta(days=3),
        window_end=now + timedelta(hours=1),
    )
    services.visit_complete(by=agent, visit_id=done.pk, version=None, reached_person="X")
    missed = VisitFactory(
        department=department,
        assignee=agent,
        due_at=now - timedelta(days=4),
        window_end=now - timedelta(days=2),
    )
    client.force_login(manager)

    html = client.get("/callbacks/manager/").content.decode()

    assert agent.get_full_name() in html and department.name_en in html
    assert missed.reference in html and done.reference not in html
    assert "50%" in html  # one of the two due visits was done on time
    assert 'class="cb-bar' in html


def test_manager_page_date_fields_hold_the_period_in_any_language(client, manager):
    # A date input only takes YYYY-MM-DD; a localised value (2026年11月1日) would show it empty.
    client.force_login(manager)
    today = timezone.localdate()
    with translation.override("zh-hans"):
        html = client.get("/callbacks/manager/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert f'name="until" value="{today.isoformat()}"' in html


@pytest.mark.parametrize(
    "query",
    ["since=2025-02-30", "since=2025-03-10&until=2025-03-01", "since=2020-01-01&until=2025-01-01"],
)
def test_manager_page_bad_period_is_a_form_error(client, manager, query):
    client.force_login(manager)
    response = client.get(f"/callbacks/manager/?{query}")
    assert response.status_code == 400
    assert "This period cannot be used" in response.content.decode()


# --- every page renders, in both languages, for agent and manager ---------------------------------


@pytest.mark.parametrize("who", ["agent", "manager"])
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_every_page_renders(client, request, visit, customer, who, language):
    client.force_login(request.getfixturevalue(who))
    client.cookies["django_language"] = language
    pages = [
        "/callbacks/",
        "/callbacks/?range=week",
        visit.get_absolute_url(),
        "/callbacks/calendar/",
        f"/callbacks/new/?customer={customer.pk}",
    ]
    if who == "manager":
        pages.append("/callbacks/manager/")
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert f'lang="{language}"' in response.content.decode()


# --- bounded queries ------------------------------------------------------------------------------


def test_index_runs_bounded_queries(agent_client, many_visits, django_assert_max_num_queries):
    # session, user, role, departments, unread badge; each list's rows; both lists' phones
    with django_assert_max_num_queries(8):
        html = agent_client.get("/callbacks/").content.decode()
    assert all(v.reference in html for v in many_visits[:25])


def test_day_list_runs_bounded_queries(agent_client, many_visits, django_assert_max_num_queries):
    day = timezone.localdate(many_visits[0].due_at)
    with django_assert_max_num_queries(7):
        assert agent_client.get(f"/callbacks/?day={day}").status_code == 200


def test_detail_runs_bounded_queries(agent_client, agent, visit, django_assert_max_num_queries):
    for _ in range(2):
        services.visit_not_reached(by=agent, visit_id=visit.pk, version=None)
    for colleague in UserFactory.create_batch(5):
        MembershipFactory(user=colleague, department=visit.department)
    # the visit, its phones, its attempts (with who made them), its status log, departments…
    with django_assert_max_num_queries(10):
        assert agent_client.get(visit.get_absolute_url()).status_code == 200


def test_calendar_runs_bounded_queries(agent_client, many_visits, django_assert_max_num_queries):
    # one grouped count for the month, however many visits it holds
    with django_assert_max_num_queries(6):
        assert agent_client.get("/callbacks/calendar/").status_code == 200


def test_manager_runs_bounded_queries(client, manager, many_visits, django_assert_max_num_queries):
    CallbackVisit.objects.update(window_end=timezone.now() - timedelta(minutes=1))
    client.force_login(manager)
    # overall rates, per agent, per department, one page of late visits and their phones
    with django_assert_max_num_queries(10):
        html = client.get("/callbacks/manager/").content.decode()
    assert many_visits[-1].reference in html  # the longest overdue first


# --- the customer's contact hours, which callbacks are scheduled inside --------------------------


@pytest.fixture
def hours_editable(monkeypatch):
    """The edit form offers what customers.services.EDITABLE_FIELDS lets a caller set; these
    tests run as if it listed the contact hours (see the report: it does not yet)."""
    from customers import forms as customer_forms
    from customers import services as customer_services
    from customers.views import edit as customer_edit

    fields = [*customer_forms.CUSTOMER_FIELDS]
    fields += [f for f in customer_forms.CONTACT_HOURS if f not in fields]
    monkeypatch.setattr(customer_services, "EDITABLE_FIELDS", tuple(fields))
    monkeypatch.setattr(customer_forms, "CUSTOMER_FIELDS", fields)
    monkeypatch.setattr(customer_edit, "CUSTOMER_FIELDS", fields)


def _edit_data(customer, **changes) -> dict:
    from customers.forms import CustomerEditForm
    from customers.views.edit import CustomerEditView

    form = CustomerEditForm(initial=CustomerEditView().initial(customer))
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    return {**data, **changes}


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("20:00", "18:00", "Choose a time after “call from”."),
        ("18:00", "18:00", "Choose a time after “call from”."),
        ("18:00", "", "Give both times, or leave both empty."),
        ("25:00", "20:00", "Enter a valid time."),
    ],
)
def test_customer_contact_hours_out_of_order_are_a_form_error(
    agent_client, customer, hours_editable, start, end, message
):
    response = agent_client.post(
        f"/customers/{customer.pk}/edit/",
        _edit_data(customer, contact_from=start, contact_until=end),
    )

    assert response.status_code == 200  # the form again, not an IntegrityError
    assert message in response.content.decode()
    customer.refresh_from_db()
    assert customer.contact_from is None and customer.contact_until is None


def test_customer_contact_hours_are_saved_and_shown(agent_client, customer, hours_editable):
    page = agent_client.get(f"/customers/{customer.pk}/edit/").content.decode()
    assert 'type="time" name="contact_from"' in page

    response = agent_client.post(
        f"/customers/{customer.pk}/edit/",
        _edit_data(customer, contact_from="18:00", contact_until="20:00"),
    )

    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.contact_from.hour, customer.contact_until.hour) == (18, 20)
    page = agent_client.get(f"/customers/{customer.pk}/edit/").content.decode()
    assert 'value="18:00"' in page and 'value="20:00"' in page


def test_a_long_cancel_reason_is_kept_whole_in_the_log(agent_client, visit):
    from servicedesk.core.models import StatusChange

    reason = "客户要求" * 50  # 200 characters: past the history's 100-character change reason
    response = agent_client.post(
        f"/callbacks/{visit.pk}/cancel/", {"version": visit.version, "reason": reason}
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == VisitStatus.CANCELLED
    assert StatusChange.objects.get(object_id=visit.pk, to_state="cancelled").reason == reason


@pytest.mark.parametrize(
    "url",
    [
        "/callbacks/?day=9999-12-31",
        "/callbacks/?day=0001-01-01",
        "/callbacks/manager/?until=9999-12-31",
        "/callbacks/manager/?since=0001-01-01",
        "/callbacks/manager/?since=1971-01-01",  # a one-ended period reading every visit since
    ],
)
def test_dates_out_of_range_are_a_message_not_a_500(client, manager, url):
    client.force_login(manager)
    response = client.get(url)
    assert response.status_code in (200, 400)
    html = response.content.decode()
    assert "Enter a date from 1970 to 2099." in html or "Choose at most 366 days" in html


def test_visibility_by_columns_is_the_audience_rule(department, agent, manager, customer):
    """The calendar's and the manager's counts test visibility on department and assignee
    (selectors.visible_by_columns, for an index-only count); the lists test the audience. Both
    must pick the same visits for everyone: an agent, a manager, an administrator, an outsider."""
    from followups import selectors

    other = DepartmentFactory(code="elsewhere")
    outsider = UserFactory(username="outsider", role=Role.AGENT)
    MembershipFactory(user=outsider, department=other)
    admin = UserFactory(username="boss", role=Role.ADMINISTRATOR)
    nobody = UserFactory(username="norole")
    for dept in (department, other):
        for assignee in (None, agent, outsider, manager):
            VisitFactory(customer=customer, department=dept, assignee=assignee, due_at=_late())
    for user in (agent, manager, outsider, admin, nobody):
        by_audience = set(selectors.visit_visible(user).values_list("pk", flat=True))
        by_columns = set(selectors.visible_by_columns(user).values_list("pk", flat=True))
        assert by_audience == by_columns, user.username
