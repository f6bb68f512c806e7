"""Demo history for the dashboards: three months of service records, their complaints (with the
step log, step 5's actions and the causes filed on the fishbone's bones) and survey answers, so
every chart has a picture: the weekly trend, the breakdowns by department and stage, the
satisfaction chain's funnel and the fishbone.

The other demos go through the services as things happen now; history cannot (the services
stamp the present, and refuse a past due date), so it is written directly, in bulk, with the
columns the services would have set (the audience, the targets, the step log). Seeded random, so
every demo database is the same. Idempotent: nothing is added once the history is there.
"""

import random
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from customers.models import Customer
from servicedesk.core.models import DepartmentMembership, StatusChange
from servicedesk.dashboard import rollups as record_rollups
from surveys import rollups
from surveys.models import (
    Answer,
    Channel,
    InvitationStatus,
    Kind,
    Purpose,
    SurveyInvitation,
    SurveyPolicy,
    SurveyResponse,
    SurveyTemplate,
)
from tickets.complaints.models import (
    STEPS,
    Complaint,
    ComplaintAction,
    Outcome,
    Severity,
    Step,
)
from tickets.complaints.models import Channel as ComplaintChannel
from tickets.complaints.rootcause.models import CauseBone, ComplaintCause
from tickets.models import Priority, ServiceCategory, ServiceRecord, Status
from tickets.visibility import record_audience

DAYS = 90
# The mark of the history's records: the dashboards' demo adds nothing once one exists.
DESCRIPTION = "示例历史记录 (demo history)"
AGENTS = ["wangli", "zhaolei", "liuyang", "sunmei"]
SUBJECTS = [
    "衣柜门安装不齐",
    "热水器需要上门安装",
    "发票金额有误",
    "咨询延保服务",
    "周六送沙发",
    "洗衣机有噪音",
    "抽油烟机配件",
    "退回损坏的椅子",
    "办公家具报价",
    "预约上门测量",
]
COMPLAINT_SHARE = 0.09
SURVEY_SHARE = 0.4
# Each bone's weight: most causes are the process's, as the seeds' fishbone found.
BONES = {"process": 5, "people": 3, "partners": 2, "product": 2, "policy": 1, "place": 1}
SUMMARIES = {
    "process": "派单不考虑路程时间",
    "people": "新人未经培训上岗",
    "partners": "物流合作方未做上门防护",
    "product": "密封件来料检验缺失",
    "policy": "退款不分金额一律三级审批",
    "place": "小区进门登记耗时",
}


def seed(stdout=None) -> int:
    if ServiceRecord.objects.filter(description=DESCRIPTION).exists():
        if stdout:
            stdout.write("dashboard: demo history already present")
        return 0
    categories = list(ServiceCategory.objects.filter(is_active=True).order_by("pk"))
    customers = list(Customer.objects.filter(is_archived=False).order_by("pk").values_list("pk"))
    if not categories or not customers:
        return 0
    rng = random.Random(12)  # noqa: S311 - demo data, reproducible on purpose
    now = timezone.now()
    with transaction.atomic():
        records = _records(rng, categories, [pk for (pk,) in customers], now)
        chosen = [r for r in records if rng.random() < COMPLAINT_SHARE]
        complaints = len(_complaints(rng, chosen, now))
        responses = _answers(rng, records, now)
        complaints += _low_answers(rng, responses, now)
        answers = len(responses)
    # The rows went in without signals: a day already summed (records, answers, invitations) is
    # counted from the rows again until rolled (a fresh database has none summed).
    for age in range(DAYS + 1):
        day = timezone.localdate(now) - timedelta(days=age)
        moment = timezone.make_aware(datetime.combine(day, time(12)))
        rollups.reopen(moment)
        rollups.reopen_invitations(moment)
        record_rollups.reopen(moment)
    if stdout:
        stdout.write(
            f"dashboard: {len(records)} records over {DAYS} days, {complaints} complaints,"
            f" {answers} survey answers"
        )
    return len(records)


def _staff() -> dict[int, list[int]]:
    """Demo agents by department, so each record is worked by someone of its lead department."""
    staff: dict[int, list[int]] = {}
    memberships = DepartmentMembership.objects.filter(user__username__in=AGENTS)
    for department_id, user_id in memberships.values_list("department_id", "user_id"):
        staff.setdefault(department_id, []).append(user_id)
    return staff


def _records(rng, categories, customers, now) -> list[ServiceRecord]:
    staff = _staff()
    made = []
    for age in range(DAYS, 0, -1):
        day = timezone.localdate(now) - timedelta(days=age)
        # Busier on weekdays and slowly busier over the quarter; faster as the desk improves.
        count = rng.randint(4, 9) if day.weekday() < 5 else rng.randint(1, 4)
        count += (DAYS - age) // 30
        pace = 1.6 - 0.8 * (DAYS - age) / DAYS
        for _ in range(count):
            category = rng.choice(categories)
            created = timezone.make_aware(
                datetime.combine(day, time(rng.randint(8, 19), rng.randint(0, 59)))
            )
            assignee = rng.choice(staff.get(category.lead_department_id) or [None])
            made.append(_record(rng, category, rng.choice(customers), assignee, created, pace))
    return bulk_create_with_history(made, ServiceRecord, batch_size=500, default_date=now)


def _record(rng, category, customer_id, assignee_id, created, pace) -> ServiceRecord:
    # Mostly normal; the rest spread over the other priorities.
    priority = Priority.NORMAL if rng.random() < 0.6 else rng.choice(Priority.values)
    responded = created + timedelta(minutes=int(rng.expovariate(1 / 50) * pace) + 3)
    resolved = responded + timedelta(hours=rng.expovariate(1 / 20) * pace + 0.5)
    status = rng.choices([Status.RESOLVED, Status.CLOSED, Status.OPEN], weights=[3, 6, 1])[0]
    return ServiceRecord(
        created_at=created,
        customer_id=customer_id,
        category=category,
        lead_department_id=category.lead_department_id,
        assignee_id=assignee_id,
        subject=rng.choice(SUBJECTS),
        description=DESCRIPTION,
        priority=priority,
        status=status,
        first_response_due=created + timedelta(hours=2),
        resolution_due=created + timedelta(hours=48),
        first_responded_at=responded,
        resolved_at=resolved if status != Status.OPEN else None,
        closed_at=resolved + timedelta(days=3) if status == Status.CLOSED else None,
        audience=record_audience(
            lead_department_id=category.lead_department_id, assignee_id=assignee_id
        ),
        **category.defaults(),
    )


def _complaints(rng, chosen, now, *, about=None) -> list[Complaint]:
    """Each of `chosen` is a complaint (`about`: record → the record complained about, for a
    low survey answer's). Older ones went through the six steps and mostly closed satisfied;
    recent ones wait on a step. Step 5 planned actions, a few done late or left past their date;
    most closed ones have their cause filed on a bone."""
    owner_ids = list(
        get_user_model().objects.filter(username__in=AGENTS).values_list("pk", flat=True)
    )
    bones = dict(CauseBone.objects.filter(is_active=True).values_list("code", "pk"))
    complaints, changes, actions, causes = [], [], [], []
    for record in chosen:
        complaint, moments = _complaint(rng, record, now)
        if about is not None:
            complaint.channel, complaint.about_record = ComplaintChannel.SURVEY, about[record]
        complaints.append(complaint)
        changes.append(moments)
    complaints = bulk_create_with_history(complaints, Complaint, default_date=now)
    # created_at is auto_now_add, which bulk_create stamps now: the record's moment is the
    # complaint's (complaint_open makes both at once).
    for complaint in complaints:
        complaint.created_at = complaint.record.created_at
    Complaint.objects.bulk_update(complaints, ["created_at"], batch_size=500)
    kind = ContentType.objects.get_for_model(Complaint)
    log = []
    for complaint, moments in zip(complaints, changes, strict=True):
        previous = ""
        for state, moment in moments:
            log.append(
                StatusChange(
                    content_type=kind,
                    object_id=complaint.pk,
                    field="step",
                    from_state=previous,
                    to_state=state,
                    at=moment,
                )
            )
            previous = state
        reached = dict(moments)
        if Step.ACT in reached and owner_ids:
            actions.extend(_actions(rng, complaint, reached, owner_ids, now))
        if complaint.step == Step.CLOSED and bones and rng.random() < 0.75:
            code = rng.choices(list(BONES), weights=list(BONES.values()))[0]
            if code in bones:
                causes.append(
                    ComplaintCause(
                        complaint=complaint,
                        bone_id=bones[code],
                        summary=SUMMARIES[code],
                        filed_at=complaint.closed_at,
                    )
                )
    StatusChange.objects.bulk_create(log, batch_size=1000)
    ComplaintAction.objects.bulk_create(actions, batch_size=1000)
    bulk_create_with_history(causes, ComplaintCause, default_date=now)
    return complaints


def _complaint(rng, record, now):
    age = (now - record.created_at).days
    # Recent complaints are still on a step; older ones have gone through (a few loop back).
    last = len(STEPS) if age > 10 else rng.randint(1, len(STEPS))
    path = list(STEPS[:last])
    closed = last == len(STEPS) and rng.random() < 0.9
    moments, moment = [], record.created_at
    for step in [*path, *([Step.CLOSED] if closed else [])]:
        moments.append((step, min(moment, now - timedelta(minutes=5))))
        moment += timedelta(hours=rng.uniform(0.5, 6) if step in STEPS[:3] else rng.uniform(4, 60))
    step, since = moments[-1]
    outcome = rng.choices([Outcome.SATISFIED, Outcome.MANAGER_CLOSED], weights=[5, 1])[0]
    complaint = Complaint(
        record=record,
        record_created_at=record.created_at,  # bulk-created: Complaint.save does not run
        responsible_department_id=record.lead_department_id,
        channel=rng.choice(ComplaintChannel.values),
        severity=rng.choices(Severity.values, weights=[6, 3, 1])[0],
        step=step,
        step_since=since,
        outcome=outcome if closed else "",
        close_reason="" if not closed or outcome == Outcome.SATISFIED else "客户不再回应",
        closed_at=since if closed else None,
    )
    return complaint, moments


def _actions(rng, complaint, reached, owner_ids, now) -> list[ComplaintAction]:
    """One or two actions: done when the re-check began (one in six after its date: a surprise
    breach), or still open, some of those past their date."""
    done = reached.get(Step.RECHECK)
    out = []
    for _ in range(rng.randint(1, 2)):
        if done is None:
            due = timezone.localdate(reached[Step.ACT]) + timedelta(days=rng.randint(1, 6))
        elif rng.random() < 1 / 6:
            due = timezone.localdate(done) - timedelta(days=rng.randint(1, 3))
        else:
            due = timezone.localdate(done) + timedelta(days=rng.randint(0, 3))
        out.append(
            ComplaintAction(
                complaint=complaint,
                description="按约定上门处理",
                owner_id=rng.choice(owner_ids),
                due_date=due,
                done_at=done,
            )
        )
    return out


def _answers(rng, records, now) -> int:
    """About four in ten resolved records were surveyed and answered within three days, CSAT by
    department and stage different enough that the chain has a weakest link."""
    template = (
        SurveyTemplate.objects.filter(purpose=Purpose.AFTER_SERVICE, is_active=True)
        .prefetch_related("questions")
        .first()
    )
    if template is None:
        return []
    questions = list(template.questions.all())
    main = next((q for q in questions if q.kind == Kind.RATING and q.is_main), None)
    likelihood = next((q for q in questions if q.kind == Kind.NPS), None)
    policy = SurveyPolicy.current()
    weak = {r.lead_department_id for r in records[:1]}  # one department lags behind the rest
    invitations, responses = [], []
    for record in records:
        if record.resolved_at is None or rng.random() > SURVEY_SHARE:
            continue
        asked = record.resolved_at + timedelta(hours=1)
        answered = asked + timedelta(hours=rng.uniform(1, 72))
        if answered >= now:
            continue
        invitations.append(
            SurveyInvitation(
                template=template,
                customer_id=record.customer_id,
                record=record,
                subject=f"record:{record.pk}",
                stage=record.stage,
                department_id=record.lead_department_id,
                agent_id=record.assignee_id,
                channel=Channel.LINK,
                token_salt=f"{rng.getrandbits(128):032x}",
                token_hash=f"{rng.getrandbits(256):064x}",
                status=InvitationStatus.ANSWERED,
                created_at=asked,
                sent_at=asked,
                answered_at=answered,
                expires_at=asked + timedelta(days=14),
            )
        )
        lag = 1 if record.lead_department_id in weak else 0
        rating = max(1, min(5, rng.choices([5, 4, 3, 2, 1], weights=[45, 30, 12, 8, 5])[0] - lag))
        nps = max(0, min(10, 2 * rating + rng.randint(-2, 0)))
        responses.append(
            SurveyResponse(
                template=template,
                customer_id=record.customer_id,
                submitted_at=answered,
                rating=rating,
                nps=nps,
                stage=record.stage,
                department_id=record.lead_department_id,
                agent_id=record.assignee_id,
                is_low=rating <= policy.low_rating or nps <= policy.low_nps,
            )
        )
    invitations = SurveyInvitation.objects.bulk_create(invitations, batch_size=1000)
    for invitation, response in zip(invitations, responses, strict=True):
        response.invitation = invitation
    responses = SurveyResponse.objects.bulk_create(responses, batch_size=1000)
    answers = []
    for response in responses:
        if main is not None:
            answers.append(Answer(response=response, question=main, number=response.rating))
        if likelihood is not None:
            answers.append(Answer(response=response, question=likelihood, number=response.nps))
    Answer.objects.bulk_create(answers, batch_size=1000)
    return responses


def _low_answers(rng, responses, now) -> int:
    """As the survey loop does, each low answer opened a complaint on a new record about the
    surveyed one, when it was given."""
    low = [r for r in responses if r.is_low]
    made = []
    for response in low:
        surveyed = response.invitation.record
        record = _record(
            rng, surveyed.category, surveyed.customer_id, surveyed.assignee_id,
            response.submitted_at, pace=1.0,
        )  # fmt: skip
        record.subject = f"调查低分: {surveyed.subject}"
        made.append(record)
    made = bulk_create_with_history(made, ServiceRecord, batch_size=500, default_date=now)
    about = dict(zip(made, (r.invitation.record for r in low), strict=True))
    complaints = _complaints(rng, made, now, about=about)
    for response, complaint in zip(low, complaints, strict=True):
        response.complaint = complaint
    SurveyResponse.objects.bulk_update(low, ["complaint"], batch_size=500)
    return len(complaints)
