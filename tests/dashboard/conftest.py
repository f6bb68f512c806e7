"""Generated data for the dashboards: several departments, agents and periods of records,
complaints (with their step log, actions and causes), callbacks and survey answers, written
directly with factories at chosen dates so every figure has something to count and a recount
in Python can check it."""

import random
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from customers.models import ManagementTier
from followups.models import VisitStatus
from servicedesk.core.models import StatusChange
from servicedesk.core.roles import Role
from surveys.models import (
    Answer,
    Channel,
    InvitationStatus,
    Kind,
    SurveyInvitation,
    SurveyResponse,
)
from tests.factories import CustomerFactory, DepartmentFactory, MembershipFactory, UserFactory
from tests.followups.factories import VisitFactory
from tests.surveys.factories import rating_template
from tests.tickets.factories import CategoryFactory, RecordFactory
from tests.tickets.rootcause_factories import ComplaintCauseFactory, bone
from tickets.complaints.models import STEPS, Complaint, ComplaintAction, Outcome, Step
from tickets.models import ServiceRecord, Stage, Status

TODAY = date(2025, 6, 30)
NOW_HOUR = 15


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    return timezone.make_aware(
        datetime.combine(day, time(hour, minute)), timezone.get_current_timezone()
    )


NOW = None  # set when time is frozen (at() needs the time zone from settings)


@pytest.fixture
def frozen(settings):
    """Today is TODAY, 15:00 in the desk's time zone."""
    moment = at(TODAY, NOW_HOUR)
    with time_machine.travel(moment, tick=False):
        yield moment


@dataclass
class Generated:
    departments: list = field(default_factory=list)
    agents: list = field(default_factory=list)
    categories: list = field(default_factory=list)
    records: list = field(default_factory=list)
    complaints: list = field(default_factory=list)
    manager: object = None
    administrator: object = None


def _record(rng, categories, customers, agents, *, day, collaborators=None):
    category = rng.choice(categories)
    members = [a for a in agents if category.lead_department in a.departments]
    assignee = rng.choice(members + [None]) if members else None
    created = at(day, rng.randint(8, 20), rng.randint(0, 59))
    status = rng.choice([Status.NEW, Status.OPEN, Status.PENDING, Status.RESOLVED, Status.CLOSED])
    responded = created + timedelta(minutes=rng.randint(5, 600)) if status != Status.NEW else None
    resolved = (
        created + timedelta(hours=rng.randint(1, 200))
        if status in (Status.RESOLVED, Status.CLOSED)
        else None
    )
    has_targets = rng.random() < 0.8
    record = RecordFactory(
        customer=rng.choice(customers),
        category=category,
        assignee=assignee.user if assignee else None,
        created_at=created,
        status=status,
        first_responded_at=responded,
        resolved_at=resolved,
        first_response_due=created + timedelta(hours=2) if has_targets else None,
        resolution_due=created + timedelta(hours=48) if has_targets else None,
        collaborators=collaborators,
    )
    return record


@dataclass
class Agent:
    user: object
    departments: list


def _complaint(rng, record, departments, *, now):
    ct = ContentType.objects.get_for_model(Complaint)
    path = STEPS[: rng.randint(1, len(STEPS))]
    closed = len(path) == len(STEPS) and rng.random() < 0.8
    step = Step.CLOSED if closed else path[-1]
    moments = []
    moment = record.created_at
    for _step in [*path, *([Step.CLOSED] if closed else [])]:
        moments.append(moment)
        moment = moment + timedelta(hours=rng.randint(1, 60))
    moments = [min(m, now - timedelta(minutes=5)) for m in moments]
    outcome = rng.choice([Outcome.SATISFIED, Outcome.SATISFIED, Outcome.MANAGER_CLOSED])
    complaint = Complaint.objects.create(
        record=record,
        responsible_department=rng.choice(departments),
        channel="phone",
        severity="general",
        step=step,
        step_since=moments[-1],
        outcome=outcome if closed else "",
        closed_at=moments[-1] if closed else None,
    )
    previous = ""
    for state, moment in zip([*path, *([Step.CLOSED] if closed else [])], moments, strict=True):
        StatusChange.objects.create(
            content_type=ct,
            object_id=complaint.pk,
            field="step",
            from_state=previous,
            to_state=state,
            at=moment,
        )
        previous = state
    return complaint


def _actions(rng, complaint, owner, *, today):
    for _ in range(rng.randint(0, 2)):
        due = today + timedelta(days=rng.randint(-10, 10))
        done = rng.random() < 0.5
        ComplaintAction.objects.create(
            complaint=complaint,
            description="Fix it",
            owner=owner,
            due_date=due,
            done_at=at(due + timedelta(days=rng.randint(-2, 2))) if done else None,
        )


def _survey(rng, template, customer, *, day, department, agent, stage, status, text=""):
    moment = at(day, rng.randint(8, 20))
    invitation = SurveyInvitation.objects.create(
        template=template,
        customer=customer,
        subject=f"record:{secrets.token_hex(6)}",
        stage=stage,
        department=department,
        agent=agent,
        channel=Channel.EMAIL,
        token_salt=secrets.token_hex(16),
        token_hash=secrets.token_hex(32),
        status=status,
        created_at=moment,
        sent_at=moment if rng.random() < 0.9 else None,
        expires_at=moment + timedelta(days=14),
    )
    if status != InvitationStatus.ANSWERED:
        return None
    rating = rng.choice([None, 1, 2, 3, 4, 5, 5])
    nps = rng.choice([None, 0, 5, 7, 8, 9, 10])
    response = SurveyResponse.objects.create(
        invitation=invitation,
        template=template,
        customer=customer,
        submitted_at=moment + timedelta(hours=1),
        rating=rating,
        nps=nps,
        stage=stage,
        department=department,
        agent=agent,
        is_low=(rating is not None and rating <= 2) or (nps is not None and nps <= 6),
    )
    if text:
        question = template.questions.get(kind=Kind.TEXT)
        Answer.objects.create(response=response, question=question, text=text)
    return response


def generate(
    *, seed: int = 7, records_per_day: float = 1.2, days: int = 200, today: date = TODAY
) -> Generated:
    """Records over `days` days up to TODAY across three departments and four agents, a quarter
    of them complaints, with callbacks and survey answers over the same days."""
    rng = random.Random(seed)
    g = Generated()
    names = [("service", "Customer service", "客服部"), ("install", "Installation", "安装部"),
             ("finance", "Finance", "财务部")]  # fmt: skip
    g.departments = [DepartmentFactory(code=c, name_en=en, name_zh=zh) for c, en, zh in names]
    for i, stage in enumerate([Stage.PRE_SALE, Stage.IN_SALE, Stage.AFTER_SALE, Stage.AFTER_SALE]):
        g.categories.append(
            CategoryFactory(code=f"cat-{i}", stage=stage, lead_department=g.departments[i % 3])
        )
    memberships = [[0], [0, 1], [1], [2]]
    for i, deps in enumerate(memberships):
        user = UserFactory(username=f"agent{i}", role=Role.AGENT)
        for d in deps:
            MembershipFactory(user=user, department=g.departments[d])
        g.agents.append(Agent(user, [g.departments[d] for d in deps]))
    g.manager = UserFactory(username="boss", role=Role.MANAGER)
    for d in g.departments:
        MembershipFactory(user=g.manager, department=d, is_manager=True)
    g.administrator = UserFactory(username="root", role=Role.ADMINISTRATOR)
    tiers = list(ManagementTier.values)
    customers = [CustomerFactory(management_tier=tiers[i % 3]) for i in range(40)]
    template = rating_template()
    now = timezone.now()
    for n in range(days):
        day = today - timedelta(days=n)
        for _ in range(int(records_per_day) + (rng.random() < records_per_day % 1)):
            collaborators = [rng.choice(g.departments)] if rng.random() < 0.15 else None
            record = _record(rng, g.categories, customers, g.agents, day=day,
                             collaborators=collaborators)  # fmt: skip
            if collaborators and collaborators[0].pk == record.lead_department_id:
                record.collaborating_departments.clear()
            g.records.append(record)
            if rng.random() < 0.25:
                complaint = _complaint(rng, record, g.departments, now=now)
                _actions(rng, complaint, g.agents[0].user, today=today)
                if complaint.step == Step.CLOSED and rng.random() < 0.7:
                    ComplaintCauseFactory(
                        complaint=complaint,
                        bone=bone(rng.choice(["people", "process", "product"])),
                        filed_at=complaint.closed_at,
                    )
                g.complaints.append(complaint)
        if rng.random() < 0.6:
            department = rng.choice(g.departments)
            agent = rng.choice(g.agents)
            due = min(at(day, rng.randint(8, 18)), now - timedelta(hours=1))
            status = rng.choice(list(VisitStatus.values))
            reached = rng.choice([True, True, False]) if status == VisitStatus.DONE else None
            VisitFactory(
                customer=rng.choice(customers),
                department=department,
                assignee=agent.user,
                due_at=due,
                window_end=due + timedelta(days=1),
                status=status,
                completed_at=due + timedelta(hours=rng.choice([2, 30]))
                if status == VisitStatus.DONE
                else None,
                reached=reached,
                new_issue_record=rng.choice(g.records) if reached and rng.random() < 0.4 else None,
            )
        for _ in range(rng.randint(0, 2)):
            agent = rng.choice(g.agents)
            _survey(
                rng, template, rng.choice(customers), day=day,
                department=rng.choice([*g.departments, None]),
                agent=agent.user if rng.random() < 0.8 else None,
                stage=rng.choice([*Stage.values, ""]),
                status=rng.choice([InvitationStatus.ANSWERED, InvitationStatus.ANSWERED,
                                   InvitationStatus.PENDING, InvitationStatus.CANCELLED]),
                text=rng.choice(["", "很好, thank you!", "=HYPERLINK(\"x\")"]),
            )  # fmt: skip
    # Later records of some complainants, for the retention after recovery.
    for complaint in g.complaints[::3]:
        if complaint.closed_at and complaint.closed_at < now - timedelta(days=1):
            g.records.append(
                RecordFactory(
                    customer=complaint.record.customer,
                    category=g.categories[0],
                    created_at=complaint.closed_at + timedelta(days=1),
                )
            )
    assert ServiceRecord.objects.count() == len(g.records)
    return g


@pytest.fixture
def generated(db, frozen) -> Generated:
    return generate()
