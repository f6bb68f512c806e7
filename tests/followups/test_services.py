"""Scheduling, attempts, outcomes and escalation of callback visits, with frozen time.

The desk's time zone is Asia/Shanghai; the default calendar works Monday to Friday 09:00–18:00.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from customers.services import customer_merge
from followups import services
from followups.models import (
    AssignTo,
    CallbackAttempt,
    CallbackRule,
    CallbackVisit,
    Method,
    Trigger,
    VisitStatus,
)
from servicedesk.core.exceptions import DomainError
from servicedesk.core.models import Notification
from tests.factories import CustomerFactory, DepartmentFactory, MembershipFactory, UserFactory
from tests.followups.factories import GreetingDateFactory, RuleFactory, VisitFactory
from tests.tickets.factories import CategoryFactory
from tickets import services as record_services
from tickets.models import Holiday, ServiceRecord, Stage

SH = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def local(moment: datetime) -> str:
    return moment.astimezone(SH).strftime("%Y-%m-%d %H:%M")


@pytest.fixture
def resolve(agent, customer, category, django_capture_on_commit_callbacks):
    """resolve(when) -> a new installation record for the customer, resolved at `when`."""

    def run(when: str, record=None):
        with time_machine.travel(at(when), tick=False):
            if record is None:
                record = record_services.record_create(
                    by=agent,
                    customer_id=customer.pk,
                    stage=category.stage,
                    category_id=category.pk,
                    subject="衣柜安装",
                )
                record_services.record_transition(by=agent, record_id=record.pk, to_status="open")
            with django_capture_on_commit_callbacks(execute=True):
                record_services.record_transition(
                    by=agent, record_id=record.pk, to_status="resolved"
                )
        return record

    return run


# --- a resolved record ----------------------------------------------------------------------------


def test_schedule_after_resolution_due_in_working_days(resolve, install_rule):
    # given a rule of 3 working days; resolved Thursday 15:00
    record = resolve("2026-11-26 15:00")
    # then one visit, due Tuesday 15:00 (Fri, Mon, Tue), window two working days on
    visit = CallbackVisit.objects.get()
    assert (visit.source_record, visit.rule, visit.status) == (record, install_rule, "scheduled")
    assert local(visit.due_at) == "2026-12-01 15:00"
    assert local(visit.window_end) == "2026-12-03 15:00"
    assert local(visit.remind_at) == "2026-12-01 14:00"
    assert visit.assignee is None and visit.department == install_rule.department
    assert visit.purpose == "after_service" and visit.method == "phone"


def test_schedule_friday_before_a_make_up_working_weekend(resolve, install_rule, calendar):
    # given Saturday 26 September is worked (调休) and the rule waits one working day
    Holiday.objects.create(calendar=calendar, date=date(2026, 9, 26), is_working_day=True)
    install_rule.delay_days = 1
    install_rule.save()
    # when an installation is resolved on Friday at 17:00
    resolve("2026-09-25 17:00")
    # then exactly one visit, due on the make-up Saturday, inside its window
    visit = CallbackVisit.objects.get()
    assert local(visit.due_at) == "2026-09-26 17:00"
    assert local(visit.window_end) == "2026-09-29 17:00"  # Sat 1 h, Mon 9 h, Tue 8 h
    assert visit.due_at <= visit.window_end


def test_reopen_and_resolve_again_adds_no_second_visit(resolve, install_rule, agent):
    record = resolve("2026-11-26 15:00")
    with time_machine.travel(at("2026-11-27 10:00"), tick=False):
        record_services.record_transition(by=agent, record_id=record.pk, to_status="open")
    resolve("2026-11-27 16:00", record=record)
    assert CallbackVisit.objects.count() == 1


def test_redelivered_event_adds_nothing(resolve, install_rule):
    record = resolve("2026-11-26 15:00")
    assert services.visits_schedule_for_record(record_id=record.pk) == []
    assert CallbackVisit.objects.count() == 1


def test_rules_match_category_and_stage(resolve, install_rule, department):
    other = CategoryFactory(stage=Stage.AFTER_SALE, lead_department=department)
    RuleFactory(code="repairs-only", department=department, categories=[other])
    RuleFactory(code="pre-sale-only", department=department, stage=Stage.PRE_SALE)
    RuleFactory(code="inactive", department=department, is_active=False)
    resolve("2026-11-26 15:00")
    assert list(CallbackVisit.objects.values_list("rule__code", flat=True)) == [
        "after-installation"
    ]


def test_assignee_follows_the_rule(resolve, install_rule, agent, customer):
    install_rule.assign_to = AssignTo.RECORD_ASSIGNEE
    install_rule.save()
    record = resolve("2026-11-26 15:00")
    # the record had no assignee: the visit goes to the department's queue
    assert CallbackVisit.objects.get().assignee is None
    record_services.record_assign(by=agent, record_id=record.pk, assignee_id=agent.pk)
    CallbackVisit.objects.all().delete()
    services.visits_schedule_for_record(record_id=record.pk)
    visit = CallbackVisit.objects.get()
    assert visit.assignee == agent
    assert visit.audience == {f"d{install_rule.department_id}": True, f"u{agent.pk}": True}


def test_contact_hours_move_the_due_time(resolve, install_rule, customer):
    # given the customer takes calls only 10:00–12:00
    customer.contact_from, customer.contact_until = time(10), time(12)
    customer.save()
    resolve("2026-11-26 15:00")
    # 3 working days after Thursday 15:00 is Tuesday 15:00, past their hours: Wednesday 10:00
    assert local(CallbackVisit.objects.get().due_at) == "2026-12-02 10:00"


def test_contact_hours_outside_business_time_are_ignored(resolve, install_rule, customer):
    customer.contact_from, customer.contact_until = time(19), time(21)
    customer.save()
    resolve("2026-11-26 15:00")
    assert local(CallbackVisit.objects.get().due_at) == "2026-12-01 15:00"


# --- attempts, backoff, escalation ----------------------------------------------------------------


@pytest.fixture
def due_visit(install_rule, customer, agent):
    """A scheduled visit of the install rule assigned to the agent, due Monday 10:00."""
    return VisitFactory(
        customer=customer,
        rule=install_rule,
        department=install_rule.department,
        assignee=agent,
        due_at=at("2026-11-30 10:00"),
        window_end=at("2026-12-02 10:00"),
    )


def test_not_reached_backs_off_then_misses_and_tells_the_manager_once(
    due_visit, agent, manager, django_capture_on_commit_callbacks
):
    with time_machine.travel(at("2026-11-30 10:05"), tick=False):
        visit = services.visit_not_reached(by=agent, visit_id=due_visit.pk, version=1)
    assert (visit.status, visit.attempts, local(visit.due_at)) == (
        "scheduled",
        1,
        "2026-11-30 12:05",
    )
    assert visit.reminded_at is None
    with time_machine.travel(at("2026-11-30 12:10"), tick=False):
        visit = services.visit_not_reached(by=agent, visit_id=visit.pk, version=visit.version)
    assert (visit.attempts, local(visit.due_at)) == (2, "2026-11-30 16:10")  # waits 4 h
    with time_machine.travel(at("2026-11-30 16:15"), tick=False):
        visit = services.visit_not_reached(by=agent, visit_id=visit.pk, version=visit.version)
    # the third attempt (the rule's max) marks it missed
    assert (visit.status, visit.attempts) == ("missed", 3)
    assert CallbackAttempt.objects.filter(visit=visit, reached=False).count() == 3
    # and the manager hears once, however often beat looks again
    with time_machine.travel(at("2026-12-03 09:00"), tick=False):
        assert services.visits_mark_missed() == 0
        assert services.visit_escalate(visit_id=visit.pk) is False
    notices = Notification.objects.filter(verb="callback_missed")
    assert [n.recipient for n in notices if n.recipient == manager] == [manager]


def test_backoff_stays_inside_the_window(due_visit, agent):
    # a retry 2 h after Wednesday 09:30 would pass the window's end at 10:00: it halves
    with time_machine.travel(at("2026-12-02 09:30"), tick=False):
        visit = services.visit_not_reached(by=agent, visit_id=due_visit.pk, version=1)
    assert local(visit.due_at) == "2026-12-02 09:45"
    assert visit.due_at <= visit.window_end


def test_window_closing_marks_missed_once(due_visit, manager):
    with time_machine.travel(at("2026-12-02 10:30"), tick=False):
        assert services.visits_mark_missed() == 1
        assert services.visits_mark_missed() == 0
    due_visit.refresh_from_db()
    assert due_visit.status == "missed" and due_visit.escalated_at is not None
    assert Notification.objects.filter(verb="callback_missed", recipient=manager).count() == 1


def test_reminders_are_sent_once(due_visit, agent):
    with time_machine.travel(at("2026-11-30 09:00"), tick=False):
        assert services.visits_remind_due() == 1
        assert services.visits_remind_due() == 0
    assert Notification.objects.filter(verb="callback_due", recipient=agent).count() == 1


# --- outcomes -------------------------------------------------------------------------------------


def test_reached_and_satisfied_completes_the_visit(due_visit, agent):
    with time_machine.travel(at("2026-11-30 10:05"), tick=False):
        visit = services.visit_complete(
            by=agent,
            visit_id=due_visit.pk,
            version=1,
            reached_person="李伟本人",
            product_state="normal",
            satisfaction=5,
            expectation="better",
        )
    assert (visit.status, visit.reached, visit.satisfaction, visit.attempts) == ("done", True, 5, 1)
    assert visit.completed_by == agent and local(visit.completed_at) == "2026-11-30 10:05"


@pytest.fixture
def sales(db):
    """The sales department and its pre-sale category (needs survey)."""
    department = DepartmentFactory(code="sales", name_en="Sales", name_zh="销售部")
    CategoryFactory(code="needs-survey", stage=Stage.PRE_SALE, lead_department=department)
    return department


def test_found_a_new_need_opens_a_pre_sale_record_led_by_sales(due_visit, agent, sales):
    visit = services.visit_complete(
        by=agent,
        visit_id=due_visit.pk,
        version=1,
        reached_person="李伟",
        new_need="想再买一个书柜",
    )
    need = visit.new_need_record
    assert (need.stage, need.lead_department, need.subject) == ("pre_sale", sales, "想再买一个书柜")
    assert need.customer_id == visit.customer_id
    # the visit's department follows it, so the agent who found it can see it
    assert set(need.collaborating_departments.all()) >= {due_visit.department}


def test_found_a_new_issue_opens_an_after_sale_record(due_visit, agent, category):
    visit = services.visit_complete(
        by=agent, visit_id=due_visit.pk, version=1, reached_person="李伟", new_issue="水龙头滴水"
    )
    assert visit.new_issue_record.stage == "after_sale"
    assert visit.new_issue_record.description.startswith("Found on callback CV-")


def test_a_refused_new_need_saves_nothing(due_visit, agent):
    # no sales category exists: the whole outcome is refused
    with pytest.raises(DomainError) as refused:
        services.visit_complete(
            by=agent, visit_id=due_visit.pk, version=1, reached_person="李伟", new_need="书柜"
        )
    assert refused.value.field == "new_need"
    due_visit.refresh_from_db()
    assert due_visit.status == "scheduled" and due_visit.version == 1
    assert not CallbackAttempt.objects.exists() and not ServiceRecord.objects.exists()


def test_outcome_for_a_cancelled_visit_is_refused(due_visit, agent):
    services.visit_cancel(by=agent, visit_id=due_visit.pk, version=1, reason="客户已搬家")
    with pytest.raises(DomainError, match="cancelled"):
        services.visit_complete(by=agent, visit_id=due_visit.pk, version=None, reached_person="x")
    due_visit.refresh_from_db()
    assert due_visit.status == "cancelled" and due_visit.reached is None
    assert not CallbackAttempt.objects.exists()


def test_outcome_checks_its_values(due_visit, agent):
    with pytest.raises(DomainError) as refused:
        services.visit_complete(
            by=agent, visit_id=due_visit.pk, version=1, reached_person="李伟", satisfaction=7
        )
    assert refused.value.field == "satisfaction"
    with pytest.raises(DomainError) as refused:
        services.visit_complete(by=agent, visit_id=due_visit.pk, version=1, reached_person=" ")
    assert refused.value.field == "reached_person"


def test_reschedule_only_inside_the_window_and_not_in_the_past(due_visit, agent):
    with time_machine.travel(at("2026-11-30 11:00"), tick=False):
        with pytest.raises(DomainError, match="passed") as past:
            services.visit_reschedule(
                by=agent, visit_id=due_visit.pk, version=1, due_at=at("2026-11-30 10:30")
            )
        with pytest.raises(DomainError, match="window") as late:
            services.visit_reschedule(
                by=agent, visit_id=due_visit.pk, version=1, due_at=at("2026-12-03 10:00")
            )
        visit = services.visit_reschedule(
            by=agent, visit_id=due_visit.pk, version=1, due_at=at("2026-12-01 19:30")
        )
    assert past.value.field == late.value.field == "due_at"
    assert local(visit.due_at) == "2026-12-01 19:30" and visit.version == 2


def test_stale_version_is_a_conflict(due_visit, agent):
    from servicedesk.core.exceptions import ConflictError

    services.visit_not_reached(by=agent, visit_id=due_visit.pk, version=1)
    with pytest.raises(ConflictError):
        services.visit_cancel(by=agent, visit_id=due_visit.pk, version=1, reason="x")


def test_a_rule_refuses_a_negative_delay(department):
    rule = CallbackRule(
        code="bad", name_en="Bad", trigger=Trigger.RECORD_RESOLVED, method=Method.PHONE,
        department=department, delay_days=-1,
    )  # fmt: skip
    with pytest.raises(ValidationError) as refused:
        rule.full_clean()
    assert "delay_days" in refused.value.message_dict


# --- periodic and greeting scans ------------------------------------------------------------------


@pytest.fixture
def key_rule(department, calendar):
    return RuleFactory(
        code="key-monthly",
        trigger=Trigger.PERIODIC,
        customer_tier="key",
        interval_days=30,
        delay_days=0,
        window_days=3,
        department=department,
    )


def test_periodic_scan_makes_one_visit_per_key_customer_per_period(key_rule):
    keys = CustomerFactory.create_batch(4, management_tier="key")
    CustomerFactory.create_batch(3, management_tier="regular")
    CustomerFactory(management_tier="key", is_archived=True)
    with time_machine.travel(at("2026-11-24 08:00"), tick=False):
        assert services.visits_scan(batch=3) == 4  # two batches, resumed from the cursor
        assert services.visits_scan(batch=3) == 0
    visits = CallbackVisit.objects.order_by("customer_id")
    assert [v.customer_id for v in visits] == [c.pk for c in keys]
    # one period for all, each due on its own day of it, inside business time, never before now
    assert {v.period for v in visits} == {
        date(2026, 11, 16)
    }  # 30-day periods counted from 2024-01-01
    for v in visits:
        assert v.due_at >= at("2026-11-24 09:00") and v.purpose == "periodic"
        assert time(9) <= timezone.localtime(v.due_at).time() < time(18)
    # the next period brings the next round
    with time_machine.travel(at("2026-12-20 08:00"), tick=False):
        assert services.visits_scan() == 4


def test_a_customer_joining_the_tier_is_picked_up_in_the_same_period(key_rule):
    CustomerFactory.create_batch(2, management_tier="key")
    with time_machine.travel(at("2026-11-24 08:00"), tick=False):
        services.visits_scan()
        CustomerFactory(management_tier="key")
        assert services.visits_scan() == 1


def test_greeting_visits_fall_on_the_working_day_before_the_festival(department, calendar):
    RuleFactory(
        code="spring-festival", trigger=Trigger.GREETING, customer_tier="key",
        delay_days=0, window_days=1, department=department,
    )  # fmt: skip
    GreetingDateFactory(date=date(2027, 2, 6))  # a Saturday
    CustomerFactory(management_tier="key")
    with time_machine.travel(at("2027-01-10 08:00"), tick=False):
        assert services.visits_scan() == 0  # not yet within two weeks
    with time_machine.travel(at("2027-01-25 08:00"), tick=False):
        assert services.visits_scan() == 1
        assert services.visits_scan() == 0
    visit = CallbackVisit.objects.get()
    assert (visit.purpose, visit.period) == ("greeting", date(2027, 2, 6))
    assert local(visit.due_at) == "2027-02-05 09:00"


@pytest.mark.django_db(transaction=True)
def test_two_scans_at_once_make_no_duplicates(key_rule):
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    CustomerFactory.create_batch(60, management_tier="key")

    def scan(_):
        try:
            return services.visits_scan(now=at("2026-11-24 08:00"), batch=7)
        finally:
            connection.close()

    with ThreadPoolExecutor(2) as pool:
        created = list(pool.map(scan, range(2)))
    assert sum(created) == 60
    assert CallbackVisit.objects.count() == 60


# --- merging customers ----------------------------------------------------------------------------


def test_merge_keeps_one_visit_per_rule_and_period(key_rule, agent):
    survivor, duplicate = CustomerFactory.create_batch(2, management_tier="key")
    with time_machine.travel(at("2026-11-24 08:00"), tick=False):
        services.visits_scan()
    assert CallbackVisit.objects.count() == 2
    customer_merge(survivor_id=survivor.pk, duplicate_id=duplicate.pk, by=agent)
    live = CallbackVisit.objects.exclude(status=VisitStatus.CANCELLED)
    assert list(live.values_list("customer_id", flat=True)) == [survivor.pk]
    cancelled = CallbackVisit.objects.get(status=VisitStatus.CANCELLED)
    assert cancelled.customer_id == survivor.pk  # moved, cancelled, kept with its reason


def test_merge_of_two_customers_whose_period_visits_were_both_made(key_rule, agent):
    # Made visits cannot be cancelled: they move as they are, and the merge goes through.
    survivor, duplicate = CustomerFactory.create_batch(2, management_tier="key")
    with time_machine.travel(at("2026-11-24 08:00"), tick=False):
        services.visits_scan()
        for visit in CallbackVisit.objects.all():
            services.visit_complete(
                by=agent, visit_id=visit.pk, version=None, reached_person="本人"
            )
    customer_merge(survivor_id=survivor.pk, duplicate_id=duplicate.pk, by=agent)
    statuses = CallbackVisit.objects.values_list("customer_id", "status")
    assert sorted(statuses) == [(survivor.pk, "done"), (survivor.pk, "done")]


# --- rates ----------------------------------------------------------------------------------------


def test_rates_against_hand_computed_figures(department, agent):
    from followups.selectors import visit_rates

    now = at("2026-11-30 12:00")
    due = at("2026-11-20 10:00")
    end = due + timedelta(days=2)
    on_time = {"status": "done", "reached": True, "completed_at": due + timedelta(hours=1)}
    late = {"status": "done", "reached": True, "completed_at": end + timedelta(hours=1)}
    for fields in (on_time, on_time, late):
        VisitFactory(department=department, due_at=due, window_end=end, **fields)
    VisitFactory(department=department, due_at=due, window_end=end, status="missed")
    VisitFactory(department=department, due_at=due, window_end=end)  # overdue, scheduled
    VisitFactory(department=department, due_at=due, window_end=end, status="cancelled")
    VisitFactory(department=department, due_at=now + timedelta(days=1))  # not yet due
    # due, its window still open: due, and not (yet) done on time
    VisitFactory(department=department, due_at=now - timedelta(hours=1))
    rates = visit_rates(
        CallbackVisit.objects.all(), since=at("2026-11-01 00:00"), until=now, now=now
    )
    # due: 6 (cancelled and future ones do not count); on time 2; done 3; missed 1; reached 3
    assert (rates["due"], rates["on_time"], rates["done"], rates["missed"]) == (6, 2, 3, 1)
    assert rates["overdue"] == 1
    assert rates["on_time_rate"] == 0.3333  # 2 / 6
    assert rates["reach_rate"] == 0.75  # 3 / (3 + 1)
    assert rates["issue_find_rate"] == 0.0  # 0 / 3


def test_rates_per_department_and_agent_add_up_to_the_whole(department, agent):
    from followups.selectors import visit_rates, visit_rates_breakdown
    from tests.factories import DepartmentFactory, UserFactory

    now = at("2026-11-30 12:00")
    due = at("2026-11-20 10:00")
    other = DepartmentFactory(code="sales")
    administrator = UserFactory(role="administrator")
    done = {"status": "done", "reached": True, "completed_at": due + timedelta(hours=1)}
    VisitFactory(department=department, assignee=agent, due_at=due, **done)
    VisitFactory(department=department, assignee=agent, due_at=due, status="missed")
    VisitFactory(department=department, due_at=due, **done)  # nobody's: made from the queue
    VisitFactory(department=other, due_at=due, **done)
    since = at("2026-11-01 00:00")
    rates = visit_rates_breakdown(administrator, since=since, until=now, now=now)
    whole = visit_rates(CallbackVisit.objects.all(), since=since, until=now, now=now)
    assert rates["overall"] == whole and whole["due"] == 4
    by_dept = {r["department_id"]: (r["due"], r["on_time_rate"]) for r in rates["by_department"]}
    assert by_dept == {department.pk: (3, 0.6667), other.pk: (1, 1.0)}
    by_agent = [(r["assignee_id"], r["due"], r["reach_rate"]) for r in rates["by_assignee"]]
    assert by_agent == [(agent.pk, 2, 0.5), (None, 2, 1.0)]  # the unassigned last


def test_issue_find_rate_counts_new_issues(department, agent, category, customer):
    from followups.selectors import visit_rates
    from tests.tickets.factories import RecordFactory

    now = at("2026-11-30 12:00")
    due = at("2026-11-20 10:00")
    issue = RecordFactory(customer=customer, category=category)
    for new_issue in (issue, None, None, None):
        VisitFactory(
            department=department, due_at=due, window_end=due + timedelta(days=2),
            status="done", reached=True, completed_at=due, new_issue_record=new_issue,
        )  # fmt: skip
    rates = visit_rates(CallbackVisit.objects.all(), since=due, until=now, now=now)
    assert rates["issue_find_rate"] == 0.25  # 1 / 4
    assert rates["on_time_rate"] == 1.0


def test_visibility_follows_department_and_assignee(department, agent):
    from followups.selectors import visit_visible

    other = DepartmentFactory(code="technical")
    outsider = UserFactory(username="outsider")
    MembershipFactory(user=outsider, department=other)
    mine = VisitFactory(department=department)
    handed = VisitFactory(department=other, assignee=agent)
    theirs = VisitFactory(department=other)
    assert set(visit_visible(agent)) == {mine, handed}
    assert set(visit_visible(outsider)) == {handed, theirs}
