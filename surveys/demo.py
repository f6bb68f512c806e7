"""Demo surveys: three months of invitations and a few hundred answers on the demo customers.

The templates are the shipped ones (data migration 0002). Each demo customer is asked up to three
times, a month apart (the policy's frequency limit, kept by the service), about a resolved record,
a done callback or a complaint at its re-check; about six in ten answer, one in ten of those on a
call with the demo agent entering the answers. Low answers go through the normal loop (seed_demo
delivers events in-process, so each opens its complaint), a few customers take up an opt-in, and
the unanswered links older than two weeks have expired.

Everything goes through the services at the time it would have happened (`now=`), so the limits
and the loop are real. Idempotent: nothing is added when any response exists.
"""

import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from customers.models import Customer
from followups.models import CallbackVisit, VisitStatus
from tickets.complaints.models import Complaint
from tickets.models import ServiceRecord, Status

from . import services
from .models import Channel, Kind, Purpose, SurveyResponse, SurveyTemplate

AGENT = "wangli"
DAYS = 90
ANSWER_SHARE = 0.6
STAFF_SHARE = 0.1
RATINGS = [5] * 45 + [4] * 30 + [3] * 12 + [2] * 8 + [1] * 5
NPS_FOR = {5: (8, 10), 4: (7, 10), 3: (5, 8), 2: (2, 6), 1: (0, 4)}
EXPECTATION_FOR = {5: "better", 4: "as_expected", 3: "as_expected", 2: "worse", 1: "worse"}
PRAISE = ["师傅很专业", "态度很好，很耐心", "上门很准时", "解释得很清楚", "电话回访很及时"]
WANTS = ["希望一次就把问题解决", "想要准确的上门时间", "希望有人跟进到底"]
SUGGESTIONS = ["希望能提前电话确认上门时间", "客服电话太难打通", "希望周末也能上门",
               "收费标准应该提前说清楚", "安装后请把现场清理干净"]  # fmt: skip
LOW_WORDS = ["等了太久，很失望", "师傅态度不好", "承诺的事没有做到", "问题到现在还没解决"]


def seed(stdout=None) -> int:
    if SurveyResponse.objects.exists():
        if stdout:
            stdout.write("surveys: demo answers already present")
        return 0
    templates = {
        t.purpose: t
        for t in SurveyTemplate.objects.filter(is_active=True)
        .prefetch_related("questions")
        .order_by("key")
    }
    agent = get_user_model().objects.filter(username=AGENT).first()
    customers = list(Customer.objects.filter(is_archived=False).order_by("pk"))
    if Purpose.AFTER_SERVICE not in templates or agent is None or not customers:
        return 0
    rng = random.Random(11)  # noqa: S311 - demo data, reproducible on purpose
    subjects = _subjects()
    now = timezone.now()
    start = now - timedelta(days=DAYS)
    # Chronological, so each invitation passes the frequency limit as it would have then.
    slots = []
    for customer in customers:
        first = rng.randint(0, 27)
        for k in range(3):
            at = start + timedelta(days=first + 31 * k, hours=rng.randint(9, 17))
            slots.append((at, customer.pk))
    slots.sort()
    counts = {"invited": 0, "answered": 0, "low": 0, "staff": 0}
    for at, customer_id in slots:
        if at >= now:
            continue
        with transaction.atomic():
            _one(rng, templates, subjects, agent, customer_id, at, now, counts)
    if stdout:
        stdout.write(
            f"surveys: {counts['invited']} invitations, {counts['answered']} answers"
            f" ({counts['low']} low, {counts['staff']} entered by staff)"
        )
    return counts["answered"]


def _subjects() -> dict[int, list[tuple[str, object]]]:
    """What each customer may be asked about: done callbacks, complaints at or past the re-check,
    resolved or closed records (each asked about once)."""
    out: dict[int, list[tuple[str, object]]] = {}
    for visit in CallbackVisit.objects.filter(status=VisitStatus.DONE).select_related(
        "source_record"
    ):
        out.setdefault(visit.customer_id, []).append((Purpose.AFTER_CALLBACK, visit))
    for complaint in Complaint.objects.filter(step__in=("recheck", "closed")).select_related(
        "record"
    ):
        out.setdefault(complaint.record.customer_id, []).append(
            (Purpose.COMPLAINT_RECHECK, complaint)
        )
    for record in ServiceRecord.objects.filter(
        status__in=(Status.RESOLVED, Status.CLOSED), complaint__isnull=True
    ).order_by("pk"):
        out.setdefault(record.customer_id, []).append((Purpose.AFTER_SERVICE, record))
    return out


def _one(rng, templates, subjects, agent, customer_id, at, now, counts) -> None:
    options = subjects.get(customer_id, [])
    purpose, subject = options.pop(0) if options else (Purpose.AFTER_SERVICE, None)
    template = templates.get(purpose) or templates[Purpose.AFTER_SERVICE]
    about = {
        Purpose.AFTER_CALLBACK: "visit",
        Purpose.COMPLAINT_RECHECK: "complaint",
        Purpose.AFTER_SERVICE: "record",
    }[purpose]
    staff = rng.random() < STAFF_SHARE
    try:
        invitation = services.survey_invite(
            template=template,
            customer_id=customer_id,
            channel=Channel.PHONE if staff else Channel.LINK,
            by=agent if staff else None,
            now=at,
            **({about: subject} if subject is not None else {}),
        )
    except services.NotInvited:
        return  # asked lately (e.g. by a trigger while the other demos loaded): skip
    counts["invited"] += 1
    if not staff and rng.random() > ANSWER_SHARE:
        return  # unanswered: pending, and expired once its fortnight is over
    answered_at = at + (timedelta(minutes=5) if staff else timedelta(hours=rng.randint(1, 96)))
    if answered_at >= now or answered_at >= invitation.expires_at:
        return
    rating = rng.choice(RATINGS)
    opt_ins = set()
    if rng.random() < 0.05:
        opt_ins.add("meeting")
    if rating >= 4 and rng.random() < 0.03:
        opt_ins.add("supervisor")
    if rating <= 2 and rng.random() < 0.4:
        opt_ins.add("contact")
    response = services.survey_submit(
        invitation_id=invitation.pk,
        data=answers(rng, template, rating),
        entered_by=agent if staff else None,
        now=answered_at,
    )
    if opt_ins:
        services.survey_opt_in(response_id=response.pk, opt_ins=frozenset(opt_ins))
    counts["answered"] += 1
    counts["low"] += response.is_low
    counts["staff"] += staff


def answers(rng, template, rating: int) -> dict:
    """Posted answers to `template` that follow a drawn rating, as a customer would give them."""
    low, high = NPS_FOR[rating]
    data = {}
    for q in template.questions.all():
        name = f"q{q.pk}"
        if q.kind == Kind.RATING:
            data[name] = rating if q.is_main else max(1, min(5, rating + rng.choice((-1, 0, 0, 1))))
        elif q.kind == Kind.NPS:
            data[name] = rng.randint(low, high)
        elif q.kind == Kind.CHOICE:
            values = [c["value"] for c in q.choices]
            if "better" in values:
                data[name] = EXPECTATION_FOR[rating]
            elif "nothing" in values and rating >= 4:
                data[name] = "nothing"
            elif "yes" in values:
                data[name] = "yes" if rating >= 4 else ("partly" if rating == 3 else "no")
            else:
                data[name] = rng.choice(values)
        elif rng.random() < (0.6 if rating <= 2 else 0.3):
            if q.aim == "suggestions":
                data[name] = rng.choice(SUGGESTIONS if rating > 2 else LOW_WORDS)
            elif q.aim == "wants":
                data[name] = rng.choice(WANTS)
            else:
                data[name] = rng.choice(PRAISE)
    return data
