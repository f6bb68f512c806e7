"""The complaint pages' writes: opening a complaint from a record or a customer, taking each step
through its form, revising, step 5's actions, reopening, and every refusal re-shown on the page
with nothing saved."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from tests.factories import CustomerFactory
from tests.tickets.factories import CategoryFactory, RecordFactory, complaint_open
from tickets.complaints.models import Complaint, ComplaintAction, ComplaintStepEntry, Step
from tickets.models import Stage, Status

from .test_complaints import STEP_DATA, take, to_recheck

pytestmark = pytest.mark.django_db


@pytest.fixture
def complaint(agent, complaint_category):
    return complaint_open(agent, complaint_category, severity="serious")


def _post(client, complaint, step, fields, *, version=None):
    current = Complaint.objects.get(pk=complaint.pk)
    data = {"step": step, "version": current.version if version is None else version, **fields}
    return client.post(f"/complaints/{complaint.pk}/steps/", data)


def _rows(prefix: str, rows: list[dict], total: int = 3) -> dict:
    """A formset's POST: the management form, the filled rows, the rest left empty."""
    data = {f"{prefix}-TOTAL_FORMS": total, f"{prefix}-INITIAL_FORMS": 0}
    for i, row in enumerate(rows):
        data |= {f"{prefix}-{i}-{k}": v for k, v in row.items()}
    return data


def _options(choice=0, rows=None):
    rows = rows if rows is not None else [
        {"description": "今天下午派师傅返工", "remedy": "rework", "cost": "0"},
        {"description": "减免安装费", "remedy": "compensate", "cost": "200"},
    ]  # fmt: skip
    declined = [{"request": "免单", "alternative": "你可以获得安装费减免"}]
    return {
        "step-choice": choice,
        **_rows("options", rows),
        **_rows("declined", declined, total=2),
    }


def _tomorrow() -> str:
    return (timezone.localdate() + timedelta(days=1)).isoformat()


def test_an_agent_takes_every_step_through_the_page(client, agent, complaint):
    client.force_login(agent)
    page = client.get(f"/complaints/{complaint.pk}/").content.decode()
    # The current step's form carries the method's guidance and the seed's phrases.
    assert "向对方表示尊重" in page and "Thank you for telling me about this." in page
    steps = [
        (Step.RESPECT, {"step-phrase": "Thank you for telling me about this."}),
        (Step.LISTEN, {f"step-{k}": v for k, v in STEP_DATA[Step.LISTEN].items()}),
        (Step.RESTATE, {"step-request": "今天下午装好衣柜", "step-confirmed": "yes"}),
        (Step.OPTIONS, _options(choice=1)),
        (
            Step.ACT,
            _rows(
                "actions",
                [{"description": "返工安装", "owner": agent.pk, "due_date": _tomorrow()}],
            ),
        ),
    ]
    for step, fields in steps:
        response = _post(client, complaint, step, fields)
        assert response.status_code == 302, response.content.decode()[:2000]
    complaint.refresh_from_db()
    assert complaint.step == Step.ACT
    options = complaint.entries.get(step=Step.OPTIONS).data
    assert options["choice"] == 1 and len(options["options"]) == 2
    assert options["declined"] == [{"request": "免单", "alternative": "你可以获得安装费减免"}]
    action = complaint.actions.get()
    assert (action.owner, action.description) == (agent, "返工安装")
    # Step 5 moves on as its actions are done, from the actions table.
    page = client.get(f"/complaints/{complaint.pk}/").content.decode()
    assert "Mark done" in page and "Take this step" not in page
    client.post(f"/complaints/{complaint.pk}/actions/{action.pk}/", {"do": "done"})
    complaint.refresh_from_db()
    assert complaint.step == Step.RECHECK
    response = _post(client, complaint, Step.RECHECK, {"step-result": "satisfied"})
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert (complaint.step, complaint.outcome) == (Step.CLOSED, "satisfied")


def test_an_empty_option_list_is_shown_on_the_form_and_nothing_is_saved(client, agent, complaint):
    client.force_login(agent)
    for step in (Step.RESPECT, Step.LISTEN, Step.RESTATE):
        take(complaint, step, agent)
    response = _post(client, complaint, Step.OPTIONS, _options(choice=0, rows=[]))
    assert response.status_code == 400
    page = response.content.decode()
    assert "List at least one option." in page and "Not saved yet" in page
    assert not complaint.entries.filter(step=Step.OPTIONS).exists()
    assert Complaint.objects.get(pk=complaint.pk).step == Step.OPTIONS


def test_a_row_with_a_missing_remedy_is_named_by_its_row(client, agent, complaint):
    client.force_login(agent)
    for step in (Step.RESPECT, Step.LISTEN, Step.RESTATE):
        take(complaint, step, agent)
    rows = [{"description": "返工", "remedy": "rework"}, {}, {"description": "减免"}]
    response = _post(client, complaint, Step.OPTIONS, _options(choice=2, rows=rows))
    assert response.status_code == 400
    page = response.content.decode()
    # The third row (the second kept) lacks its remedy: the message names row 3, not row 2.
    assert "Row 3 · Remedy</a>: Choose a remedy." in page
    assert not complaint.entries.filter(step=Step.OPTIONS).exists()


def test_an_action_due_in_the_past_is_refused_on_its_row(client, agent, complaint):
    client.force_login(agent)
    to_recheck_steps = (Step.RESPECT, Step.LISTEN, Step.RESTATE, Step.OPTIONS)
    for step in to_recheck_steps:
        take(complaint, step, agent)
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    rows = [{"description": "返工安装", "owner": agent.pk, "due_date": yesterday}]
    response = _post(client, complaint, Step.ACT, _rows("actions", rows))
    assert response.status_code == 400
    assert "Choose a date that has not passed." in response.content.decode()
    assert not ComplaintAction.objects.exists()
    assert not complaint.entries.filter(step=Step.ACT).exists()


def test_skipping_a_step_names_the_step_expected(client, agent, complaint):
    client.force_login(agent)
    response = _post(client, complaint, Step.OPTIONS, _options())
    assert response.status_code == 409
    assert "The next step is “1 Show respect”." in response.content.decode()
    assert not complaint.entries.exists()


def test_a_step_on_a_closed_complaint_is_refused(client, agent, complaint):
    to_recheck(complaint, agent)
    take(complaint, Step.RECHECK, agent, {"result": "satisfied"})
    client.force_login(agent)
    response = _post(client, complaint, Step.RESPECT, {"step-own_words": "您好"})
    assert response.status_code == 409
    assert "This complaint is closed; a manager can reopen it." in response.content.decode()
    assert complaint.entries.count() == 6


def test_two_agents_on_the_same_step_the_later_gets_a_conflict(client, agent, complaint):
    client.force_login(agent)
    stale = Complaint.objects.get(pk=complaint.pk).version
    take(complaint, Step.RESPECT, agent)  # someone else took it first
    take(complaint, Step.LISTEN, agent)
    response = _post(
        client, complaint, Step.RESTATE, {"step-request": "x", "step-confirmed": "yes"},
        version=stale,
    )  # fmt: skip
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "Someone else moved this complaint on" in page
    assert not complaint.entries.filter(step=Step.RESTATE).exists()


def test_the_last_step_is_revised_and_the_earlier_version_kept(client, agent, complaint):
    client.force_login(agent)
    take(complaint, Step.RESPECT, agent)
    take(complaint, Step.LISTEN, agent)
    entry = complaint.entries.get(step=Step.LISTEN)
    fields = {f"step-{k}": v for k, v in STEP_DATA[Step.LISTEN].items()} | {"step-want": "明天装好"}
    response = client.post(
        f"/complaints/{complaint.pk}/revise/",
        {"step": Step.LISTEN, "version": entry.version, **fields},
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.data["want"] == "明天装好" and entry.version == 2
    page = client.get(f"/complaints/{complaint.pk}/").content.decode()
    assert "Revised once: the earlier version" in page and "今天装好" in page
    # An emptied field is refused on the revision form, and the entry stays as it was.
    response = client.post(
        f"/complaints/{complaint.pk}/revise/",
        {"step": Step.LISTEN, "version": entry.version, **fields, "step-facts": ""},
    )
    assert response.status_code == 400 and "Not saved yet" in response.content.decode()
    entry.refresh_from_db()
    assert entry.version == 2


def test_an_action_gets_a_new_date_the_customer_was_told(client, agent, complaint):
    client.force_login(agent)
    for step in (Step.RESPECT, Step.LISTEN, Step.RESTATE, Step.OPTIONS):
        take(complaint, step, agent)
    take(complaint, Step.ACT, agent, {"actions": [
        {"description": "返工", "owner": agent.pk, "due_date": _tomorrow()}]})  # fmt: skip
    action = complaint.actions.get()
    later = (timezone.localdate() + timedelta(days=5)).isoformat()
    url = f"/complaints/{complaint.pk}/actions/{action.pk}/"
    assert client.post(url, {"do": "told", "new_due_date": later}).status_code == 302
    action.refresh_from_db()
    assert action.due_date.isoformat() == later and action.told_at is not None
    response = client.post(url, {"do": "told", "new_due_date": "2020-01-01"}, follow=True)
    assert "Choose a date that has not passed." in response.content.decode()
    response = client.post(url, {"do": "told", "new_due_date": "9999-12-31"}, follow=True)
    assert "Enter a date from 1970 to 2099." in response.content.decode()


def test_only_a_manager_reopens_from_the_page(client, agent, manager, complaint):
    to_recheck(complaint, agent)
    take(complaint, Step.RECHECK, agent, {"result": "satisfied"})
    client.force_login(agent)
    assert (
        "Reopen: back to the options"
        not in client.get(f"/complaints/{complaint.pk}/").content.decode()
    )
    client.post(f"/complaints/{complaint.pk}/reopen/", {"reason": "客户再次来电"})
    assert Complaint.objects.get(pk=complaint.pk).step == Step.CLOSED
    client.force_login(manager)
    client.post(f"/complaints/{complaint.pk}/reopen/", {"reason": "客户再次来电"})
    assert Complaint.objects.get(pk=complaint.pk).step == Step.OPTIONS


def test_an_agent_is_not_offered_to_close_an_unreachable_complaint(client, agent, complaint):
    to_recheck(complaint, agent)
    client.force_login(agent)
    page = client.get(f"/complaints/{complaint.pk}/").content.decode()
    assert "Satisfied: close the complaint" in page
    assert "Could not be reached: a manager closes it" not in page


def test_a_record_is_converted_into_a_complaint_and_stays_open(
    client, agent, category, complaint_category
):
    repair = RecordFactory(category=category, status=Status.OPEN)
    client.force_login(agent)
    assert "Convert to complaint" in client.get(f"/records/{repair.pk}/").content.decode()
    page = client.get(f"/complaints/new/?record={repair.pk}").content.decode()
    assert repair.reference in page and "The complaint gets its own record" in page
    response = client.post(
        "/complaints/new/",
        {
            "record": repair.pk,
            "category": complaint_category.pk,
            "subject": "维修后问题依旧",
            "channel": "phone",
            "severity": "severe",
            "responsible_department": repair.lead_department_id,
        },
    )
    complaint = Complaint.objects.get(about_record=repair)
    assert response.url == f"/complaints/{complaint.pk}/"
    assert complaint.record.customer_id == repair.customer_id
    assert complaint.record.priority == "urgent"  # severe → urgent, so its targets apply
    repair.refresh_from_db()
    assert repair.status == Status.OPEN


def test_a_pre_sale_complaint_is_opened_from_the_customer_page(client, agent, department):
    pre_sale = CategoryFactory(code="consulting", stage=Stage.PRE_SALE, lead_department=department)
    customer = CustomerFactory()
    client.force_login(agent)
    assert "/complaints/new/?customer=" in client.get(f"/customers/{customer.pk}/").content.decode()
    response = client.post(
        "/complaints/new/",
        {
            "customer": customer.pk,
            "category": pre_sale.pk,
            "subject": "销售承诺的赠品没有给",
            "channel": "online",
            "severity": "general",
        },
    )
    assert response.status_code == 302
    complaint = Complaint.objects.get(record__customer=customer)
    assert complaint.record.stage == Stage.PRE_SALE and complaint.about_record is None


def test_a_bad_intake_is_re_shown_and_nothing_is_saved(client, agent, complaint_category):
    customer = CustomerFactory()
    client.force_login(agent)
    response = client.post(
        "/complaints/new/",
        {"customer": customer.pk, "category": complaint_category.pk, "subject": "",
         "channel": "fax", "severity": "general"},
    )  # fmt: skip
    assert response.status_code == 400
    page = response.content.decode()
    assert "Not saved yet" in page and "Select a valid choice." in page
    assert not Complaint.objects.exists()
    assert client.get("/complaints/new/").status_code == 404
    assert client.get("/complaints/new/?record=99999999").status_code == 404


def test_another_departments_record_cannot_be_converted(client, agent, administrator):
    from tests.factories import DepartmentFactory

    finance = DepartmentFactory(code="finance")
    billing = CategoryFactory(code="billing", stage=Stage.AFTER_SALE, lead_department=finance)
    foreign = RecordFactory(category=billing)
    client.force_login(agent)
    assert client.get(f"/complaints/new/?record={foreign.pk}").status_code == 404


def test_a_complaint_page_at_each_step_runs_a_fixed_number_of_queries(
    client, agent, complaint, django_assert_max_num_queries
):
    """Many entries (loops), revisions and actions: the page's queries stay the same."""
    client.force_login(agent)
    take(complaint, Step.RESPECT, agent)
    for _ in range(5):  # five loops back from the restatement
        take(complaint, Step.LISTEN, agent)
        take(complaint, Step.RESTATE, agent, {"request": "x", "confirmed": False})
    take(complaint, Step.LISTEN, agent)
    take(complaint, Step.RESTATE, agent)
    take(complaint, Step.OPTIONS, agent)
    # Session, user, roles, departments; the complaint, its entries, its actions; for step 5's
    # form and the options' revision form the departments, owners and the customer's records;
    # the record's callbacks; the notification count. No history: nothing was revised.
    with django_assert_max_num_queries(12):
        assert client.get(f"/complaints/{complaint.pk}/").status_code == 200
    actions = [
        {"description": f"返工 {i}", "owner": agent.pk, "due_date": _tomorrow()} for i in range(8)
    ]
    take(complaint, Step.ACT, agent, {"actions": actions})
    # Actions planned: no form, nothing to revise.
    with django_assert_max_num_queries(9):
        assert client.get(f"/complaints/{complaint.pk}/").status_code == 200
    assert ComplaintStepEntry.objects.filter(complaint=complaint).count() == 15


def test_the_list_page_shows_overdue_and_recovered_complaints(client, agent, complaint):
    import time_machine

    to_recheck(complaint, agent)
    take(complaint, Step.RECHECK, agent, {"result": "satisfied"})
    client.force_login(agent)
    assert complaint.record.reference in client.get("/complaints/?recovered=1").content.decode()
    page = client.get("/complaints/?overdue=1").content.decode()
    assert "No complaint matches this view." in page
    fresh = complaint_open(agent, complaint.record.category)
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        page = client.get("/complaints/").content.decode()
    # The first step's target is an hour: the fresh complaint is late on it.
    assert fresh.record.reference in page and ">late</span>" in page


def test_a_manager_files_the_cause_from_its_own_page(
    client, agent, manager, complaint, django_assert_max_num_queries
):
    to_recheck(complaint, agent)
    take(complaint, Step.RECHECK, agent, {"result": "satisfied"})
    client.force_login(manager)
    # No cause filed: its section reads nothing (the complaint's read knows).
    with django_assert_max_num_queries(9):
        page = client.get(f"/complaints/{complaint.pk}/").content.decode()
    # A link, not the form: its person choices would cost the page more than the rest of it.
    assert f'href="/complaints/{complaint.pk}/cause/"' in page and 'name="why_1"' not in page
    assert 'name="why_1"' in client.get(f"/complaints/{complaint.pk}/cause/").content.decode()


def test_a_step_posted_without_its_version_is_refused_not_applied_blind(client, agent, complaint):
    client.force_login(agent)
    response = client.post(
        f"/complaints/{complaint.pk}/steps/",
        {"step": Step.RESPECT, "step-own_words": "您好"},
        follow=True,
    )
    assert "Someone else moved this complaint on" in response.content.decode()
    assert not complaint.entries.exists()


# --- the list's rows (tickets.complaints.rows) ------------------------------------------------


def _list_values(user, pk):
    """The list's values for one complaint, as the page reads them."""
    from tickets.complaints import selectors
    from tickets.complaints.rows import ROW_FIELDS

    return selectors.complaint_list(user).filter(pk=pk).values(*ROW_FIELDS).get()


@pytest.mark.parametrize("step", [*Step.values])
@pytest.mark.parametrize("ago", [timedelta(minutes=30), timedelta(hours=2), timedelta(days=2)])
def test_a_rows_lateness_is_the_models_on_every_step(agent, complaint, step, ago):
    import time_machine

    from tickets.complaints.rows import step_late

    now = timezone.now()
    complaint.step, complaint.step_since = step, now - ago
    with time_machine.travel(now, tick=False):
        assert step_late(step, complaint.step_since, now) == complaint.step_late


def test_a_row_reads_as_the_complaint_does_in_both_languages(agent, complaint):
    from django.template.defaultfilters import truncatechars
    from django.urls import reverse

    from servicedesk.core.jinja_env import id_url
    from servicedesk.core.users import display_name
    from tickets.complaints.rows import complaint_row
    from tickets.models import ServiceRecord

    long = "投诉" * 40  # past the 60 characters the column shows
    ServiceRecord.objects.filter(pk=complaint.record_id).update(assignee=agent, subject=long)
    complaint = Complaint.objects.select_related("record__customer").get(pk=complaint.pk)
    values = _list_values(agent, complaint.pk)
    for language in ("en", "zh-hans"):
        with translation.override(language):
            row = complaint_row(values, timezone.now(), id_url("tickets:complaint_detail"))
            assert row.url == reverse("tickets:complaint_detail", args=[complaint.pk])
            assert row.reference == complaint.record.reference
            assert row.subject == truncatechars(long, 60)
            assert row.customer_name == complaint.record.customer.name
            assert row.severity == complaint.get_severity_display()
            assert row.severity_badge == " warn"  # serious
            assert row.step == complaint.get_step_display()
            assert row.outcome == complaint.get_outcome_display()
            assert (row.closed, row.satisfied, row.open_actions) == (False, False, 0)
    assert row.assignee_name == display_name(agent)


def test_the_list_escapes_what_was_typed_and_marks_closed_rows(client, agent, complaint):
    from tickets.models import ServiceRecord

    ServiceRecord.objects.filter(pk=complaint.record_id).update(subject='<script>"x"</script>')
    to_recheck(complaint, agent)
    take(complaint, Step.RECHECK, agent, {"result": "satisfied"})
    client.force_login(agent)
    closed = Complaint.objects.get(pk=complaint.pk)
    # override: the page activates the language it was asked for; put back the one before.
    with translation.override("zh-hans"):
        html = client.get("/complaints/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        badge = f"{closed.get_step_display()} · {closed.get_outcome_display()}"
    assert "<script>" not in html and "&lt;script&gt;&#34;x&#34;&lt;/script&gt;" in html
    assert f'<span class="badge ok">{badge}</span>' in html
    assert f'href="/complaints/{complaint.pk}/"' in html


def test_the_list_page_runs_a_fixed_number_of_queries(
    client, agent, complaint_category, django_assert_max_num_queries
):
    for _ in range(30):
        complaint_open(agent, complaint_category)
    client.force_login(agent)
    # Session, user, roles, departments, the page's rows, the notification count.
    with django_assert_max_num_queries(6):
        page = client.get("/complaints/").content.decode()
    assert page.count('href="/complaints/') >= 25


# --- the complaint page's values (tickets.complaints.page) -------------------------------------


def test_the_complaint_page_escapes_what_was_typed_and_keeps_its_line_breaks(
    client, agent, complaint
):
    from customers.models import Customer
    from tickets.models import ServiceRecord

    typed = '<script>"x"</script>'
    ServiceRecord.objects.filter(pk=complaint.record_id).update(subject=typed)
    Customer.objects.filter(pk=complaint.record.customer_id).update(name=typed)
    take(complaint, Step.RESPECT, agent)
    take(complaint, Step.LISTEN, agent, {**STEP_DATA[Step.LISTEN], "facts": f"{typed}\n约9点"})
    take(complaint, Step.RESTATE, agent)
    take(complaint, Step.OPTIONS, agent)
    take(complaint, Step.ACT, agent, {"actions": [
        {"description": typed, "owner": agent.pk, "due_date": _tomorrow()}]})  # fmt: skip
    client.force_login(agent)
    html = client.get(f"/complaints/{complaint.pk}/").content.decode()
    assert "<script>" not in html
    # The subject (Django), the customer's name and the action (Jinja), each escaped.
    assert html.count("&lt;script&gt;") >= 4
    # A text with a line break goes through |linebreaksbr (Django's escaping), as it always did.
    assert "&lt;script&gt;&quot;x&quot;&lt;/script&gt;<br>约9点" in html


def test_the_page_shows_the_complaint_as_its_model_does(client, agent, complaint):
    from django.utils.formats import date_format

    from servicedesk.core.users import display_name
    from tickets.complaints import page, selectors

    take(complaint, Step.RESPECT, agent)
    complaint = Complaint.objects.select_related("record__customer").get(pk=complaint.pk)
    values = selectors.complaint_page_values(agent, complaint.pk)
    shown = page.complaint_page(values, timezone.now(), str, str)
    assert (shown.severity, shown.channel, shown.step_late, shown.step_due_at) == (
        complaint.get_severity_display(),
        complaint.get_channel_display(),
        complaint.step_late,
        complaint.step_due_at,
    )
    assert shown.stage == complaint.record.get_stage_display()
    assert shown.customer_name == complaint.record.customer.name and not shown.has_cause
    entry = complaint.entries.get()
    (row,) = [page.entry_row(e, []) for e in selectors.complaint_entry_values(complaint.pk)]
    when = date_format(timezone.localtime(entry.taken_at), "SHORT_DATETIME_FORMAT")
    assert display_name(agent) in row.heading and when in row.heading
    assert row.rows[0] == (str(page.FIELD_LABELS["words"]), "谢谢您把情况告诉我")


def test_the_history_is_read_only_for_a_revised_entry(
    client, agent, complaint, django_assert_num_queries
):
    from tickets.complaints import selectors, services

    take(complaint, Step.RESPECT, agent)
    take(complaint, Step.LISTEN, agent)
    entries = selectors.complaint_entry_values(complaint.pk)
    with django_assert_num_queries(0):  # every entry at its first version: none revised
        assert selectors.entry_revisions(entries) == {}
    listen = ComplaintStepEntry.objects.get(complaint=complaint, step=Step.LISTEN)

    for want in ("明天装好", "后天装好"):
        services.complaint_revise_step(
            by=agent,
            complaint_id=complaint.pk,
            step=Step.LISTEN,
            version=ComplaintStepEntry.objects.get(pk=listen.pk).version,
            data={**STEP_DATA[Step.LISTEN], "want": want},
        )
    revisions = selectors.entry_revisions(selectors.complaint_entry_values(complaint.pk))
    # Every version but the entry as it stands, oldest first; the unrevised entry has none.
    assert [r["data"]["want"] for r in revisions[listen.pk]] == ["今天装好", "明天装好"]
    assert list(revisions) == [listen.pk]
    client.force_login(agent)
    html = client.get(f"/complaints/{complaint.pk}/").content.decode()
    assert "Revised 2 times: the earlier versions" in html
