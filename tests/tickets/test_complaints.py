"""The six-step complaint flow, enforced by tickets.complaints.services: order, required data, the
two loops, revisions, step 5's actions, closing and reopening."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from servicedesk.core.exceptions import ConflictError, DomainError, InvalidTransition
from servicedesk.core.models import DomainEvent, Notification, StatusChange
from tests.factories import CustomerFactory, MembershipFactory, UserFactory
from tests.tickets.factories import CategoryFactory, complaint_open
from tickets.complaints import selectors, services
from tickets.complaints.models import Complaint, ComplaintAction, ComplaintStepEntry, Step
from tickets.models import Stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def complaint(agent, complaint_category):
    return complaint_open(agent, complaint_category, severity="serious")


def tomorrow() -> str:
    return (timezone.localdate() + timedelta(days=1)).isoformat()


STEP_DATA = {
    Step.RESPECT: {"words": "谢谢您把情况告诉我"},
    Step.LISTEN: {
        "feeling": "很生气",
        "want": "今天装好",
        "thinking": "公司不守时",
        "facts": "约9点",
    },
    Step.RESTATE: {"request": "今天下午装好衣柜", "confirmed": True},
    Step.OPTIONS: {
        "options": [
            {"description": "今天下午派师傅返工", "remedy": "rework", "cost": "0"},
            {"description": "减免安装费", "remedy": "compensate", "cost": "200"},
        ],
        "choice": 0,
        "declined": [{"request": "免单", "alternative": "你可以获得安装费减免"}],
    },
}


def take(complaint, step, by, data=None):
    current = Complaint.objects.get(pk=complaint.pk)
    return services.complaint_take_step(
        by=by,
        complaint_id=complaint.pk,
        version=current.version,
        step=step,
        data=data if data is not None else STEP_DATA[step],
    )


def act(complaint, agent):
    data = {"actions": [{"description": "返工安装", "owner": agent.pk, "due_date": tomorrow()}]}
    return take(complaint, Step.ACT, agent, data)


def to_recheck(complaint, agent):
    """Take the steps left before the re-check, from wherever the complaint is."""
    order = [Step.RESPECT, Step.LISTEN, Step.RESTATE, Step.OPTIONS]
    current = Complaint.objects.get(pk=complaint.pk).step
    for step in order[order.index(current) :]:
        take(complaint, step, agent)
    act(complaint, agent)
    for action in complaint.actions.all():
        services.complaint_action_done(by=agent, action_id=action.pk)
    return Complaint.objects.get(pk=complaint.pk)


def test_a_complaint_goes_through_the_six_steps_and_closes_satisfied(complaint, agent):
    assert complaint.step == Step.RESPECT and complaint.record.priority == "high"  # 较重
    complaint = to_recheck(complaint, agent)
    assert complaint.step == Step.RECHECK
    closed = take(complaint, Step.RECHECK, agent, {"result": "satisfied"})
    assert (closed.step, closed.outcome) == (Step.CLOSED, "satisfied") and closed.closed_at
    assert list(closed.entries.values_list("step", flat=True)) == STEPS_TAKEN
    log = StatusChange.objects.filter(object_id=closed.pk, field="step").order_by("pk")
    assert [c.to_state for c in log] == ["respect", *STEPS_TAKEN[1:], "closed"]
    assert DomainEvent.objects.filter(
        name="complaint_step_changed", payload__to="recheck", payload__id=closed.pk
    ).exists()


STEPS_TAKEN = ["respect", "listen", "restate", "options", "act", "recheck"]


def test_a_pre_sale_complaint_is_as_valid(agent, department):
    category = CategoryFactory(
        code="pre-sale-complaint", stage=Stage.PRE_SALE, lead_department=department
    )
    complaint = services.complaint_open(
        by=agent,
        customer_id=CustomerFactory().pk,
        stage=Stage.PRE_SALE,
        category_id=category.pk,
        subject="销售顾问承诺的折扣没有兑现",
        channel="online",
        severity="general",
    )
    take(complaint, Step.RESPECT, agent)
    assert Complaint.objects.get(pk=complaint.pk).step == Step.LISTEN
    assert complaint.record.stage == Stage.PRE_SALE


@pytest.mark.parametrize("step", [Step.LISTEN, Step.OPTIONS, Step.RECHECK])
def test_a_step_cannot_be_skipped_and_nothing_is_saved(complaint, agent, step):
    with pytest.raises(InvalidTransition) as refused:
        take(complaint, step, agent, STEP_DATA.get(step, {"result": "satisfied"}))
    assert "1 Show respect" in str(refused.value.message)
    assert not ComplaintStepEntry.objects.exists()


@pytest.mark.parametrize(
    ("step", "data", "fields"),
    [
        (Step.RESPECT, {}, {"words"}),
        (Step.RESPECT, {"words": "您好", "said_at": "2999-01-01T00:00:00+08:00"}, {"said_at"}),
        (Step.LISTEN, {"feeling": "生气"}, {"want", "thinking", "facts"}),
        (Step.RESTATE, {"request": "今天装好"}, {"confirmed"}),
        (Step.OPTIONS, {"options": [], "choice": 0}, {"options", "choice"}),
        (
            Step.OPTIONS,
            {"options": [{"description": "退款", "remedy": "cash", "cost": "-1"}], "choice": 0},
            {"options.0.remedy", "options.0.cost"},
        ),
        (
            Step.OPTIONS,
            {"options": [{"description": "x", "remedy": "refund"}], "choice": 3},
            {"choice"},
        ),
    ],
)
def test_each_step_names_the_data_it_misses(complaint, agent, step, data, fields):
    steps_before = STEPS_TAKEN[: STEPS_TAKEN.index(step)]
    for taken in steps_before:
        take(complaint, taken, agent)
    with pytest.raises(ValidationError) as refused:
        take(complaint, step, agent, data)
    assert set(refused.value.message_dict) == fields
    assert Complaint.objects.get(pk=complaint.pk).step == step
    assert ComplaintStepEntry.objects.filter(step=step).count() == 0


def test_not_confirmed_loops_back_to_listening(complaint, agent):
    take(complaint, Step.RESPECT, agent)
    take(complaint, Step.LISTEN, agent)
    again = take(complaint, Step.RESTATE, agent, {"request": "退货", "confirmed": False})
    assert again.step == Step.LISTEN
    take(complaint, Step.LISTEN, agent)
    assert take(complaint, Step.RESTATE, agent).step == Step.OPTIONS
    rounds = ComplaintStepEntry.objects.filter(step=Step.LISTEN).values_list("round", flat=True)
    assert sorted(rounds) == [1, 2]


def test_not_satisfied_at_the_recheck_returns_to_the_options(complaint, agent):
    complaint = to_recheck(complaint, agent)
    back = take(complaint, Step.RECHECK, agent, {"result": "not_satisfied", "note": "还是有缝"})
    assert back.step == Step.OPTIONS and back.outcome == ""


def test_the_act_step_moves_on_only_when_every_action_is_done(complaint, agent):
    for step in (Step.RESPECT, Step.LISTEN, Step.RESTATE, Step.OPTIONS):
        take(complaint, step, agent)
    data = {
        "actions": [
            {"description": "返工", "owner": agent.pk, "due_date": tomorrow()},
            {"description": "回电说明", "owner": agent.pk, "due_date": tomorrow()},
        ]
    }
    take(complaint, Step.ACT, agent, data)
    first, second = complaint.actions.order_by("pk")
    services.complaint_action_done(by=agent, action_id=first.pk)
    assert Complaint.objects.get(pk=complaint.pk).step == Step.ACT
    with pytest.raises(DomainError):
        take(complaint, Step.ACT, agent, data)  # planned already: no second plan
    services.complaint_action_done(by=agent, action_id=second.pk)
    assert Complaint.objects.get(pk=complaint.pk).step == Step.RECHECK


def test_an_action_due_in_the_past_is_refused(complaint, agent):
    for step in (Step.RESPECT, Step.LISTEN, Step.RESTATE, Step.OPTIONS):
        take(complaint, step, agent)
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    with pytest.raises(ValidationError) as refused:
        act_data = {"actions": [{"description": "返工", "owner": agent.pk, "due_date": yesterday}]}
        take(complaint, Step.ACT, agent, act_data)
    assert "actions.0.due_date" in refused.value.message_dict
    assert not ComplaintAction.objects.exists()


def test_a_surprise_breach_is_an_action_late_without_telling_the_customer(complaint, agent):
    for step in (Step.RESPECT, Step.LISTEN, Step.RESTATE, Step.OPTIONS):
        take(complaint, step, agent)
    act(complaint, agent)
    action = complaint.actions.get()
    told = ComplaintAction.objects.create(
        complaint=complaint, description="补发配件", owner=agent, due_date=timezone.localdate()
    )
    services.complaint_action_told(
        by=agent, action_id=told.pk, new_due_date=timezone.localdate() + timedelta(days=3)
    )
    # both were due yesterday; only the one nobody warned the customer about is a surprise
    ComplaintAction.objects.filter(pk=action.pk).update(
        due_date=timezone.localdate() - timedelta(days=1)
    )
    assert list(selectors.surprise_breaches()) == [action]


def test_the_last_step_can_be_revised_until_the_next_is_taken(complaint, agent):
    take(complaint, Step.RESPECT, agent)
    entry = services.complaint_revise_step(
        by=agent,
        complaint_id=complaint.pk,
        step=Step.RESPECT,
        version=1,
        data={"words": "给您带来不便，我向您道歉"},
    )
    assert entry.data["words"] == "给您带来不便，我向您道歉"
    assert entry.history.count() == 2  # the first words are kept
    with pytest.raises(ConflictError):
        services.complaint_revise_step(
            by=agent, complaint_id=complaint.pk, step=Step.RESPECT, version=1, data={"words": "x"}
        )
    take(complaint, Step.LISTEN, agent)
    with pytest.raises(DomainError):
        services.complaint_revise_step(
            by=agent, complaint_id=complaint.pk, step=Step.RESPECT, version=2, data={"words": "y"}
        )


def test_a_closed_complaint_takes_no_step_and_only_a_manager_reopens(complaint, agent, manager):
    complaint = to_recheck(complaint, agent)
    take(complaint, Step.RECHECK, agent, {"result": "satisfied"})
    with pytest.raises(InvalidTransition) as refused:
        take(complaint, Step.OPTIONS, agent)
    assert "closed" in str(refused.value.message)
    with pytest.raises(DomainError):
        services.complaint_reopen(by=agent, complaint_id=complaint.pk, reason="客户又来电")
    reopened = services.complaint_reopen(by=manager, complaint_id=complaint.pk, reason="客户又来电")
    assert (reopened.step, reopened.outcome, reopened.closed_at) == (Step.OPTIONS, "", None)


def test_an_unreachable_customer_is_closed_only_by_a_manager_with_a_reason(
    complaint, agent, manager
):
    complaint = to_recheck(complaint, agent)
    with pytest.raises(DomainError):
        take(complaint, Step.RECHECK, agent, {"result": "unreachable", "note": "三次未接"})
    with pytest.raises(ValidationError):
        take(complaint, Step.RECHECK, manager, {"result": "unreachable"})
    closed = take(complaint, Step.RECHECK, manager, {"result": "unreachable", "note": "三次未接"})
    assert (closed.step, closed.outcome, closed.close_reason) == (
        Step.CLOSED,
        "manager_closed",
        "三次未接",
    )


def test_a_customer_asking_for_a_manager_tells_the_managers_at_once(
    agent, manager, complaint_category, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        complaint = services.complaint_open(
            by=agent,
            customer_id=CustomerFactory().pk,
            stage=Stage.AFTER_SALE,
            category_id=complaint_category.pk,
            subject="要求经理出面",
            channel="visit",
            severity="severe",
            wants_manager=True,
        )
    assert complaint.record.priority == "urgent"
    assert (
        Notification.objects.filter(recipient=manager, verb="complaint_wants_manager").count() == 1
    )


def test_the_complained_about_record_must_be_the_customers_and_visible(
    agent, complaint_category, category
):
    from tests.tickets.factories import RecordFactory

    other = UserFactory(username="stranger")
    MembershipFactory(user=other)
    record = RecordFactory(category=category)
    with pytest.raises(DomainError) as refused:
        services.complaint_open(
            by=agent,
            customer_id=CustomerFactory().pk,
            stage=Stage.AFTER_SALE,
            category_id=complaint_category.pk,
            subject="x",
            channel="phone",
            severity="general",
            about_record_id=record.pk,
        )
    assert refused.value.field == "about_record"
    assert not Complaint.objects.exists()


def test_the_recheck_schedules_one_recheck_callback_per_round(
    complaint, agent, django_capture_on_commit_callbacks
):
    from followups import services as followups
    from followups.models import CallbackVisit
    from tickets.models import BusinessCalendar

    BusinessCalendar.objects.create(name="Office hours", is_default=True)

    with django_capture_on_commit_callbacks(execute=True):
        complaint = to_recheck(complaint, agent)
    visit = CallbackVisit.objects.get(source_record=complaint.record)
    assert (visit.purpose, visit.status) == ("complaint_recheck", "scheduled")
    assert (
        visit.due_at > timezone.now() and visit.department_id == complaint.record.lead_department_id
    )
    # a re-delivered event finds it there
    assert followups.visit_for_complaint_recheck(record_id=complaint.record_id) == visit
    # not satisfied: the customer was reached on that visit; the next round's re-check is new
    followups.visit_complete(by=agent, visit_id=visit.pk, version=None, reached_person="李伟")
    with django_capture_on_commit_callbacks(execute=True):
        take(complaint, Step.RECHECK, agent, {"result": "not_satisfied", "note": "仍不满意"})
        take(complaint, Step.OPTIONS, agent)
        act(complaint, agent)
        for action in complaint.actions.filter(done_at=None):
            services.complaint_action_done(by=agent, action_id=action.pk)
    assert CallbackVisit.objects.filter(source_record=complaint.record).count() == 2


@pytest.mark.parametrize(
    ("score", "step"), [(5, Step.CLOSED), (2, Step.OPTIONS), (None, Step.RECHECK)]
)
def test_the_recheck_visits_satisfaction_answers_step_6(
    complaint, agent, django_capture_on_commit_callbacks, score, step
):
    from followups import services as followups
    from followups.models import CallbackVisit
    from tickets.models import BusinessCalendar

    BusinessCalendar.objects.create(name="Office hours", is_default=True)
    with django_capture_on_commit_callbacks(execute=True):
        complaint = to_recheck(complaint, agent)
    visit = CallbackVisit.objects.get(source_record=complaint.record)
    followups.visit_complete(
        by=agent, visit_id=visit.pk, version=None, reached_person="李伟", satisfaction=score
    )
    complaint.refresh_from_db()
    assert complaint.step == step
    if step == Step.CLOSED:
        assert complaint.outcome == "satisfied"
        assert "5/5" in complaint.entries.get(step=Step.RECHECK).data["note"]


def test_complaints_are_read_only_in_admin_with_their_steps(
    client, administrator, complaint, agent
):
    take(complaint, Step.RESPECT, agent)
    client.force_login(administrator)
    assert client.get("/admin/tickets/complaint/").status_code == 200
    page = client.get(f"/admin/tickets/complaint/{complaint.pk}/change/").content.decode()
    assert "1 Show respect" in page  # the steps taken, inline
    assert client.get("/admin/tickets/complaint/add/").status_code == 403


def test_action_owners_are_reminded_once_and_managers_told_once_when_late(
    complaint, agent, manager
):
    import time_machine

    for step in (Step.RESPECT, Step.LISTEN, Step.RESTATE, Step.OPTIONS):
        take(complaint, step, agent)
    act(complaint, agent)  # due tomorrow
    today = timezone.localdate()
    assert services.complaint_actions_remind(today=today) == 1
    assert services.complaint_actions_remind(today=today) == 0  # once
    assert services.complaint_actions_escalate(today=today + timedelta(days=1)) == 0  # not late
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        assert services.complaint_actions_escalate() == 1
        assert services.complaint_actions_escalate() == 0
    verbs = Notification.objects.values_list("recipient__username", "verb")
    assert sorted(verbs) == [
        ("agent", "complaint_action_due"),
        ("agent", "complaint_action_late"),
        ("manager", "complaint_action_late"),
    ]
    # done in time, nothing is late
    services.complaint_action_done(by=agent, action_id=complaint.actions.get().pk)
    assert not selectors.surprise_breaches().exists()


def test_metrics_against_hand_computed_figures(agent, manager, complaint_category):
    import time_machine

    start = timezone.now()
    with time_machine.travel(start, tick=False):
        first = complaint_open(agent, complaint_category)
        second = complaint_open(agent, complaint_category)
    for complaint, hours in ((first, 1), (second, 3)):
        with time_machine.travel(start + timedelta(hours=hours), tick=False):
            take(complaint, Step.RESPECT, agent)
    with time_machine.travel(start + timedelta(hours=4), tick=False):
        for complaint in (first, second):
            to_recheck(Complaint.objects.get(pk=complaint.pk), agent)
        take(first, Step.RECHECK, agent, {"result": "satisfied"})
        take(second, Step.RECHECK, manager, {"result": "unreachable", "note": "三次未接"})
    metrics = selectors.complaint_metrics(Complaint.objects.all())
    assert (metrics["closed"], metrics["recovered"], metrics["recovery_rate"]) == (2, 1, 0.5)
    assert metrics["average_time_in_step"][Step.RESPECT] == timedelta(hours=2)  # (1 h + 3 h) / 2
    assert metrics["estimated_silent_dissatisfied"] == 52  # 2 complaints × 26
    assert metrics["estimated_word_of_mouth"] == (8, 16)  # the one unrecovered × 8–16
    assert metrics["surprise_breaches"] == 0


def test_the_complaint_pages_show_the_list_and_the_steps(client, agent, complaint_category):
    complaint = complaint_open(agent, complaint_category, severity="severe")
    take(complaint, Step.RESPECT, agent)
    client.force_login(agent)
    listed = client.get("/complaints/?step=listen").content.decode()
    assert complaint.record.reference in listed and "Severe" in listed
    page = client.get(f"/complaints/{complaint.pk}/").content.decode()
    assert "谢谢您把情况告诉我" in page and 'aria-current="step"' in page
    empty = client.get("/complaints/?step=act").content.decode()
    assert empty.count("No complaint matches this view.") == 1


def test_the_complaint_pages_run_a_fixed_number_of_queries(
    client, agent, complaint_category, django_assert_max_num_queries
):
    for _ in range(30):
        complaint = complaint_open(agent, complaint_category)
        take(complaint, Step.RESPECT, agent)
    to_recheck(complaint, agent)
    client.force_login(agent)
    with django_assert_max_num_queries(8):
        assert client.get("/complaints/").status_code == 200
    # The complaint, its steps, actions and revisions; the step's choices; the cause section
    # (tickets.complaints.rootcause) and the record's sections from the apps above.
    with django_assert_max_num_queries(14):
        assert client.get(f"/complaints/{complaint.pk}/").status_code == 200


def test_another_departments_complaint_page_is_not_found(client, agent, administrator):
    from tests.factories import DepartmentFactory

    finance = DepartmentFactory(code="finance")
    billing = CategoryFactory(code="billing", stage=Stage.AFTER_SALE, lead_department=finance)
    foreign = complaint_open(administrator, billing)
    client.force_login(agent)
    assert client.get(f"/complaints/{foreign.pk}/").status_code == 404
    assert foreign.record.reference not in client.get("/complaints/").content.decode()


def test_the_demo_has_a_complaint_waiting_at_every_step(db):
    from django.core.management import call_command

    call_command("seed_demo", verbosity=0)
    steps = set(Complaint.objects.values_list("step", flat=True))
    assert set(STEPS_TAKEN) <= steps
    assert Complaint.objects.filter(wants_manager=True, severity="severe").exists()
    # One whose action slipped unannounced: the overdue list and the surprise breach show it.
    # (The dashboard's three months of history, servicedesk/dashboard/demo.py, have their own.)
    from servicedesk.dashboard.demo import DESCRIPTION
    from tickets.complaints.models import ComplaintAction

    tickets_demo = Complaint.objects.exclude(record__description=DESCRIPTION)
    assert selectors.complaint_narrow(tickets_demo, overdue=True).count() == 1
    actions = ComplaintAction.objects.exclude(complaint__record__description=DESCRIPTION)
    assert selectors.surprise_breaches(actions).count() == 1
    count = Complaint.objects.count()
    call_command("seed_demo", verbosity=0)
    assert Complaint.objects.count() == count


@pytest.mark.parametrize("record", ["abc", 10**9])
def test_an_action_linking_a_record_that_is_not_there_is_refused(complaint, agent, record):
    for step in (Step.RESPECT, Step.LISTEN, Step.RESTATE, Step.OPTIONS):
        take(complaint, step, agent)
    data = {
        "actions": [
            {"description": "返工", "owner": agent.pk, "due_date": tomorrow(), "record": record}
        ]
    }
    with pytest.raises((ValidationError, DomainError)):
        take(complaint, Step.ACT, agent, data)
    assert not ComplaintAction.objects.exists()


def test_an_unknown_responsible_department_is_refused_before_anything_is_saved(
    agent, complaint_category
):
    with pytest.raises(DomainError) as refused:
        complaint_open(agent, complaint_category, responsible_department_id=987654)
    assert refused.value.field == "responsible_department"
    assert not Complaint.objects.exists()


def test_a_new_date_told_to_the_customer_is_reminded_and_escalated_afresh(complaint, agent):
    for step in (Step.RESPECT, Step.LISTEN, Step.RESTATE, Step.OPTIONS):
        take(complaint, step, agent)
    act(complaint, agent)
    action = complaint.actions.get()
    assert services.complaint_actions_remind() == 1
    later = timezone.localdate() + timedelta(days=1)
    services.complaint_action_told(by=agent, action_id=action.pk, new_due_date=later)
    assert services.complaint_actions_remind() == 1  # the new date is reminded too
