"""Root cause (tickets.complaints.rootcause): filing a closed complaint's cause with its five
whys, corrective actions, the fishbone workshop's twenty-solution rule, the fishbone's counts."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from servicedesk.core.exceptions import ConflictError, DomainError
from servicedesk.core.models import Notification
from servicedesk.core.roles import Role
from tests.factories import DepartmentFactory, UserFactory
from tests.tickets.factories import CategoryFactory, complaint_open
from tests.tickets.rootcause_factories import (
    ComplaintCauseFactory,
    WorkshopFactory,
    bone,
    closed_complaint,
    solutions,
)
from tickets.complaints import services as complaint_services
from tickets.complaints.rootcause import selectors, services
from tickets.complaints.rootcause.models import (
    CauseBone,
    ComplaintCause,
    CorrectiveAction,
    FishboneWorkshop,
    WorkshopSolution,
)
from tickets.models import Stage

pytestmark = pytest.mark.django_db


def today():
    return timezone.localdate()


def file(complaint, by, **fields):
    return services.cause_file(
        by=by,
        complaint_id=complaint.pk,
        **{
            "bone_id": bone("process").pk,
            "whys": ["师傅迟到", "上一单超时", "派单没有留路程时间"],
            "summary": "派单规则不考虑路程",
            **fields,
        },
    )


@pytest.fixture
def closed(agent, complaint_category):
    return closed_complaint(agent, complaint_category)


# --- the bones ------------------------------------------------------------------------------------


def test_the_migration_seeds_the_six_bones_in_both_languages():
    bones = list(CauseBone.objects.values_list("code", "name_en", "name_zh"))
    assert [b[0] for b in bones] == ["people", "process", "product", "policy", "place", "partners"]
    assert ("people", "People", "人") in bones and ("partners", "Partners", "合作方") in bones


# --- filing a complaint's cause -------------------------------------------------------------------


def test_a_cause_is_filed_only_once_the_complaint_is_closed(agent, manager, complaint_category):
    complaint = complaint_open(agent, complaint_category)
    with pytest.raises(DomainError, match="File the cause once the complaint is closed"):
        file(complaint, manager)
    assert not ComplaintCause.objects.exists()


def test_a_reopened_complaint_takes_no_cause_until_it_closes_again(closed, manager):
    complaint_services.complaint_reopen(by=manager, complaint_id=closed.pk, reason="客户又来电")
    with pytest.raises(DomainError) as exc:
        file(closed, manager)
    assert exc.value.field == "complaint"


def test_only_a_manager_files_a_cause(closed, agent, administrator):
    with pytest.raises(DomainError, match="Only a manager"):
        file(closed, agent)
    assert file(closed, administrator).version == 1


def test_a_cause_is_filed_with_its_whys_summary_and_actions_and_owners_are_told(
    closed, manager, agent
):
    due = today() + timedelta(days=7)
    cause = file(
        closed,
        manager,
        corrective_actions=[
            {"description": "派单加入路程估算", "owner_id": agent.pk, "due_date": due},
            {"description": "排班培训", "owner_id": manager.pk, "due_date": today()},
        ],
    )
    cause = ComplaintCause.objects.get(pk=cause.pk)
    assert cause.bone.code == "process" and cause.version == 1
    assert cause.whys == ["师傅迟到", "上一单超时", "派单没有留路程时间"]
    assert cause.filed_by == manager and cause.summary == "派单规则不考虑路程"
    assert list(cause.actions.values_list("description", "owner", "due_date")) == [
        ("排班培训", manager.pk, today()),
        ("派单加入路程估算", agent.pk, due),
    ]
    told = Notification.objects.filter(verb="corrective_action_planned")
    assert sorted(told.values_list("recipient", flat=True)) == sorted([agent.pk, manager.pk])
    assert all(n.url == f"/complaints/{closed.pk}/" for n in told)
    assert cause.history.count() == 1


@pytest.mark.parametrize(
    ("whys", "message"),
    [
        ([], "at least once"),
        (["", "   "], "at least once"),
        (["a", "b", "c", "d", "e", "f"], "at most 5"),
        (["ok", 3], "list of texts"),
        ("why", "list of texts"),
        (["x" * 501], "At most 500"),
    ],
)
def test_the_whys_chain_needs_one_to_five_answers(closed, manager, whys, message):
    with pytest.raises(DomainError, match=message) as exc:
        file(closed, manager, whys=whys)
    assert exc.value.field == "whys"


def test_blank_whys_are_left_out_of_the_chain(closed, manager):
    cause = file(closed, manager, whys=["  第一层 ", "", "第二层", "", "", "第三层"])
    assert cause.whys == ["第一层", "第二层", "第三层"]


def test_a_corrective_action_due_in_the_past_is_refused_and_nothing_is_filed(
    closed, manager, agent
):
    yesterday = today() - timedelta(days=1)
    actions = [
        {"description": "ok", "owner_id": agent.pk, "due_date": today()},
        {"description": "late", "owner_id": agent.pk, "due_date": yesterday},
    ]
    with pytest.raises(DomainError, match="has not passed") as exc:
        file(closed, manager, corrective_actions=actions)
    assert exc.value.field == "corrective_actions.1.due_date"
    assert not ComplaintCause.objects.exists() and not CorrectiveAction.objects.exists()


@pytest.mark.parametrize(
    ("action", "field"),
    [
        ({"description": " ", "owner_id": "agent", "due_date": "tomorrow"}, "description"),
        ({"description": "x", "owner_id": None, "due_date": "tomorrow"}, "owner"),
        ({"description": "x", "owner_id": "inactive", "due_date": "tomorrow"}, "owner"),
        ({"description": "x", "owner_id": "agent", "due_date": None}, "due_date"),
    ],
)
def test_a_corrective_action_needs_a_description_an_active_owner_and_a_date(
    closed, manager, agent, action, field
):
    gone = UserFactory(username="gone", is_active=False)
    owners = {"agent": agent.pk, "inactive": gone.pk, None: None}
    action = {
        **action,
        "owner_id": owners[action["owner_id"]],
        "due_date": today() + timedelta(days=1) if action["due_date"] else None,
    }
    with pytest.raises(DomainError) as exc:
        file(closed, manager, corrective_actions=[action])
    assert exc.value.field == f"corrective_actions.0.{field}"


def test_refiling_with_the_current_version_updates_and_adds_actions(closed, manager, agent):
    first = file(
        closed,
        manager,
        corrective_actions=[{"description": "一", "owner_id": agent.pk, "due_date": today()}],
    )
    again = file(
        closed,
        manager,
        version=first.version,
        bone_id=bone("people").pk,
        whys=["客服没有回电"],
        summary="回电无人负责",
        corrective_actions=[{"description": "二", "owner_id": agent.pk, "due_date": today()}],
    )
    cause = ComplaintCause.objects.get(pk=first.pk)
    assert again.pk == first.pk and cause.version == 2
    assert cause.bone.code == "people" and cause.whys == ["客服没有回电"]
    assert sorted(cause.actions.values_list("description", flat=True)) == ["一", "二"]
    assert cause.history.count() == 2


def test_refiling_with_a_stale_version_is_a_conflict(closed, manager, administrator):
    first = file(closed, manager)
    file(closed, administrator, version=first.version, summary="管理员改写")
    with pytest.raises(ConflictError) as exc:
        file(closed, manager, version=first.version, summary="我的版本")
    assert "summary" in exc.value.changes
    assert ComplaintCause.objects.get().summary == "管理员改写"


def test_filing_again_as_if_none_were_filed_is_a_conflict(closed, manager, administrator):
    # Two managers opened the form before either filed: the second does not overwrite the first.
    file(closed, administrator, summary="先到")
    with pytest.raises(ConflictError):
        file(closed, manager, version=None, summary="后到")
    assert ComplaintCause.objects.get().summary == "先到"


def test_a_complaint_the_manager_cannot_see_takes_no_cause(manager, administrator):
    finance = DepartmentFactory(code="finance")
    billing = CategoryFactory(code="billing", stage=Stage.AFTER_SALE, lead_department=finance)
    foreign = closed_complaint(administrator, billing)
    with pytest.raises(DomainError, match="No such complaint"):
        file(foreign, manager)


def test_marking_a_corrective_action_done_is_idempotent(closed, manager, agent):
    cause = file(
        closed,
        manager,
        corrective_actions=[{"description": "一", "owner_id": agent.pk, "due_date": today()}],
    )
    action = cause.actions.get()
    other = UserFactory(username="other-agent", role=Role.AGENT)
    with pytest.raises(DomainError, match="Only its owner or a manager"):
        services.corrective_action_done(by=other, action_id=action.pk)
    first = services.corrective_action_done(by=agent, action_id=action.pk)
    again = services.corrective_action_done(by=manager, action_id=action.pk)
    assert first.done_at is not None and again.done_at == first.done_at
    assert again.done_by == agent
    with pytest.raises(DomainError, match="No such action"):
        services.corrective_action_done(by=agent, action_id=10**9)


# --- the fishbone workshop ------------------------------------------------------------------------


@pytest.fixture
def workshop(manager, agent):
    return services.workshop_create(
        by=manager,
        problem="上门服务迟到",
        held_on=today(),
        facilitator_id=manager.pk,
        participant_ids=[agent.pk],
    )


def test_a_manager_calls_a_workshop_and_the_facilitator_takes_part(workshop, manager, agent):
    assert set(workshop.participants.all()) == {manager, agent}
    assert "no blame" in workshop.no_blame.lower() and "杜绝相互指责" in workshop.no_blame


def test_an_agent_cannot_call_a_workshop(agent):
    with pytest.raises(DomainError, match="Only a manager"):
        services.workshop_create(by=agent, problem="x", held_on=today(), facilitator_id=agent.pk)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"problem": "  "}, "problem"),
        ({"period_from": "later", "period_to": "earlier"}, "period_to"),
        ({"facilitator_id": None}, "facilitator"),
        ({"participant_ids": [10**9]}, "participants"),
    ],
)
def test_a_workshop_is_refused_with_the_field_to_correct(manager, fields, field):
    days = {"later": today(), "earlier": today() - timedelta(days=3)}
    fields = {k: days.get(v, v) if isinstance(v, str) else v for k, v in fields.items()}
    kwargs = {"problem": "迟到", "held_on": today(), "facilitator_id": manager.pk, **fields}
    with pytest.raises(DomainError) as exc:
        services.workshop_create(by=manager, **kwargs)
    assert exc.value.field == field


def test_participants_are_added_once(workshop, manager, agent):
    newcomer = UserFactory(username="newcomer", role=Role.AGENT)
    services.workshop_add_participants(
        by=manager, workshop_id=workshop.pk, user_ids=[agent.pk, newcomer.pk]
    )
    services.workshop_add_participants(by=manager, workshop_id=workshop.pk, user_ids=[agent.pk])
    assert workshop.participants.count() == 3


def test_a_workshop_cause_sits_on_a_bone_with_its_whys(workshop, manager):
    cause = services.workshop_cause_add(
        by=manager,
        workshop_id=workshop.pk,
        bone_id=bone("place").pk,
        text="小区进门登记耗时",
        whys=["物业要求登记", "", "没有提前报备"],
    )
    assert cause.whys == ["物业要求登记", "没有提前报备"] and cause.bone.code == "place"
    with pytest.raises(DomainError) as exc:
        services.workshop_cause_add(
            by=manager, workshop_id=workshop.pk, bone_id=bone("place").pk, text="x", whys=[]
        )
    assert exc.value.field == "whys"
    retired = bone("policy")
    retired.is_active = False
    retired.save()
    with pytest.raises(DomainError) as exc:
        services.workshop_cause_add(
            by=manager, workshop_id=workshop.pk, bone_id=retired.pk, text="x", whys=["y"]
        )
    assert exc.value.field == "bone"


def test_only_the_facilitator_or_a_manager_works_on_a_workshop(workshop, agent):
    with pytest.raises(DomainError, match="facilitator or a manager"):
        services.workshop_solution_add(by=agent, workshop_id=workshop.pk, text="想法")


def test_the_same_solution_twice_counts_once(workshop, manager):
    services.workshop_solution_add(by=manager, workshop_id=workshop.pk, text="Call ahead")
    with pytest.raises(DomainError, match="already listed") as exc:
        services.workshop_solution_add(by=manager, workshop_id=workshop.pk, text=" call AHEAD ")
    assert exc.value.field == "text"
    assert WorkshopSolution.objects.count() == 1


def _choices(listed, owner, n=2):
    due = today() + timedelta(days=30)
    return [{"solution_id": s.pk, "owner_id": owner.pk, "due_date": due} for s in listed[:n]]


def test_choosing_with_19_solutions_is_refused_naming_how_many_more(workshop, manager, agent):
    listed = solutions(workshop, 19)
    with pytest.raises(DomainError) as exc:
        services.workshop_solutions_choose(
            by=manager, workshop_id=workshop.pk, choices=_choices(listed, agent)
        )
    assert "19 listed, 1 more needed" in str(exc.value.message)
    assert exc.value.field == "solutions"
    assert not CorrectiveAction.objects.exists()


def test_choosing_with_20_solutions_plans_corrective_actions(workshop, manager, agent):
    listed = solutions(workshop, 20)
    made = services.workshop_solutions_choose(
        by=manager, workshop_id=workshop.pk, choices=_choices(listed, agent)
    )
    assert [a.description for a in made] == [listed[0].text, listed[1].text]
    assert all(a.workshop_id == workshop.pk and a.cause_id is None for a in made)
    assert set(WorkshopSolution.objects.filter(chosen=True)) == {listed[0], listed[1]}
    assert Notification.objects.filter(recipient=agent, verb="corrective_action_planned").count()
    # Chosen already: choosing it again would plan the same work twice.
    with pytest.raises(DomainError, match="already chosen") as exc:
        services.workshop_solutions_choose(
            by=manager, workshop_id=workshop.pk, choices=_choices(listed, agent, n=1)
        )
    assert exc.value.field == "choices.0.solution"


def test_a_chosen_action_due_in_the_past_is_refused(workshop, manager, agent):
    listed = solutions(workshop, 20)
    choice = {"solution_id": listed[0].pk, "owner_id": agent.pk, "due_date": today() - timedelta(1)}
    with pytest.raises(DomainError) as exc:
        services.workshop_solutions_choose(by=manager, workshop_id=workshop.pk, choices=[choice])
    assert exc.value.field == "choices.0.due_date"
    assert not WorkshopSolution.objects.filter(chosen=True).exists()


def test_choosing_a_solution_of_another_workshop_is_refused(workshop, manager, agent):
    solutions(workshop, 20)
    elsewhere = solutions(WorkshopFactory(facilitator=manager), 1)
    with pytest.raises(DomainError, match="of this workshop"):
        services.workshop_solutions_choose(
            by=manager, workshop_id=workshop.pk, choices=_choices(elsewhere, agent)
        )


# --- the fishbone's counts ------------------------------------------------------------------------


def _at(year, month, day) -> datetime:
    """Noon of that day in the desk's time zone."""
    return datetime(year, month, day, 12, tzinfo=timezone.get_current_timezone())


@pytest.fixture
def period():
    """1 to 31 March, in the desk's time zone, as the page's bounds: [1 March, 1 April)."""
    tz = timezone.get_current_timezone()
    since = datetime(2026, 3, 1, tzinfo=tz)
    return since, datetime(2026, 4, 1, tzinfo=tz)


@pytest.fixture
def spread(agent, manager, complaint_category, period):
    """Closed complaints with their causes:
    in March, department A: process ×2, people ×1; department B: process ×1;
    in March, no department: partners ×1 — then reopened, so not closed;
    in February, department A: product ×1 (before the period);
    1 April 00:00 exactly, department A: policy ×1 (the period's end is exclusive)."""
    a, b = DepartmentFactory(code="dept-a"), DepartmentFactory(code="dept-b")
    march = _at(2026, 3, 15)
    rows = [
        ("process", a, march),
        ("process", a, period[0]),  # the first instant counts
        ("people", a, march),
        ("process", b, march),
        ("product", a, _at(2026, 2, 27)),
        ("policy", a, period[1]),
    ]
    for code, department, at in rows:
        complaint = closed_complaint(agent, complaint_category, closed_at=at, department=department)
        ComplaintCauseFactory(complaint=complaint, bone=bone(code))
    reopened = closed_complaint(agent, complaint_category, closed_at=march)
    ComplaintCauseFactory(complaint=reopened, bone=bone("partners"))
    complaint_services.complaint_reopen(by=manager, complaint_id=reopened.pk, reason="again")
    return {"a": a, "b": b}


def _counts(user, period, **kwargs) -> dict:
    rows = selectors.fishbone_counts(user, since=period[0], until=period[1], **kwargs)
    return {b.code: b.n for b in rows}


def test_the_fishbone_counts_causes_by_bone_over_the_period(manager, spread, period):
    assert _counts(manager, period) == {
        "people": 1,
        "process": 3,
        "product": 0,
        "policy": 0,
        "place": 0,
        "partners": 0,
    }


def test_the_fishbone_counts_one_department(manager, spread, period):
    counts = _counts(manager, period, department_id=spread["a"].pk)
    assert counts["process"] == 2 and counts["people"] == 1 and sum(counts.values()) == 3
    assert sum(_counts(manager, period, department_id=spread["b"].pk).values()) == 1


def test_a_bone_count_is_the_length_of_its_list(manager, spread, period):
    closed = selectors.complaints_closed_in(
        selectors.complaint_visible(manager), since=period[0], until=period[1]
    )
    for row in selectors.fishbone_counts(manager, since=period[0], until=period[1]):
        assert selectors.complaints_on_bone(closed, row.pk).count() == row.n


def test_a_retired_bone_still_shows_its_causes_and_otherwise_not(manager, spread, period):
    CauseBone.objects.filter(code__in=["process", "place"]).update(is_active=False)
    counts = _counts(manager, period)
    assert counts["process"] == 3 and "place" not in counts


def test_the_fishbone_counts_only_complaints_the_user_sees(manager, administrator, spread, period):
    finance = DepartmentFactory(code="finance")
    billing = CategoryFactory(code="billing", stage=Stage.AFTER_SALE, lead_department=finance)
    foreign = closed_complaint(administrator, billing, closed_at=_at(2026, 3, 2))
    ComplaintCauseFactory(complaint=foreign, bone=bone("place"))
    assert _counts(manager, period)["place"] == 0
    assert _counts(administrator, period)["place"] == 1


def test_the_fishbone_counts_in_two_queries(manager, spread, period, django_assert_num_queries):
    # The first call caches the user's role and departments on the user, as a request does.
    selectors.fishbone_counts(manager, since=period[0], until=period[1])
    # the causes counted per bone, then the bones
    with django_assert_num_queries(2):
        selectors.fishbone_counts(manager, since=period[0], until=period[1])


# --- demo -----------------------------------------------------------------------------------------


def test_the_demo_files_causes_on_several_bones_and_holds_a_workshop(db):
    from django.core.management import call_command

    from servicedesk.dashboard.demo import DESCRIPTION

    call_command("seed_demo", verbosity=0)
    # The root-cause demo's own; the dashboard's three months of history add theirs.
    causes = ComplaintCause.objects.select_related("complaint").exclude(
        complaint__record__description=DESCRIPTION
    )
    assert causes.count() == 6
    assert all(c.complaint.step == "closed" for c in causes)
    assert len({c.bone_id for c in causes}) == 5
    workshop = FishboneWorkshop.objects.get()
    assert workshop.participants.count() >= 3
    assert workshop.causes.count() >= 5 and workshop.solutions.count() >= 20
    assert workshop.actions.count() == 3
    counts = (ComplaintCause.objects.count(), CorrectiveAction.objects.count())
    call_command("seed_demo", verbosity=0)
    assert (ComplaintCause.objects.count(), CorrectiveAction.objects.count()) == counts
    assert FishboneWorkshop.objects.count() == 1
