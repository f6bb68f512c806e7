"""Demo reviews: a manager's reviews of handled records and complaints over the last three months,
against the shipped six-steps form, most of them acknowledged by the agent.

Through the services, at the time they would have happened (`now=`), so the rules are real.
Idempotent: nothing is added when any review exists.
"""

import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from servicedesk.core.exceptions import DomainError
from tickets.complaints.models import HANDLED_STEPS, Complaint
from tickets.models import HANDLED_STATUSES, ServiceRecord
from tickets.selectors import record_visible

from . import services
from .defaults import DEFAULT_KEY
from .models import CheckForm, Review

MANAGER = "chen"
# Work outside the manager's departments is reviewed by the administrator.
ADMINISTRATOR = "admin"
COUNT = 40
DAYS = 90
# Each agent has a level, so the averages tell them apart.
LEVELS = {"wangli": 0.85, "zhaolei": 0.7, "liuyang": 0.6, "sunmei": 0.75}
COMMENTS = [
    "先表示歉意，客户情绪很快就平稳了。",
    "复述客户要求时漏掉了上门时间，请注意确认。",
    "方案给得清楚，客户可以自己选择。",
    "承诺的时间没有提前告知变更。",
    "回访很及时，客户很满意。",
    "",
]
REPLIES = ["收到，下次注意。", "谢谢经理的指导。", ""]


def seed(stdout=None) -> int:
    if Review.objects.exists():
        if stdout:
            stdout.write("audit: demo reviews already present")
        return 0
    users = get_user_model().objects.filter(username__in=[MANAGER, ADMINISTRATOR])
    people = {u.username: u for u in users}
    manager, administrator = people.get(MANAGER), people.get(ADMINISTRATOR)
    form = CheckForm.objects.filter(key=DEFAULT_KEY, is_active=True).first()
    if manager is None or administrator is None or form is None:
        return 0
    managed = set(record_visible(manager).values_list("pk", flat=True))
    rng = random.Random(12)  # noqa: S311 - demo data, reproducible on purpose
    now = timezone.now()
    items = list(form.items.order_by("position"))
    subjects = _subjects(exclude=(manager, administrator))
    rng.shuffle(subjects)
    made = 0
    for kind, subject, handled in subjects[:COUNT]:
        # Within the three months, after the work was handled when the demo dates allow it.
        at = max(handled.created_at + timedelta(days=rng.randint(1, 7)), now - timedelta(days=DAYS))
        at = min(at, now - timedelta(hours=rng.randint(1, 48)))
        level = LEVELS.get(handled.assignee.username, 0.7)
        scores = {
            item.pk: max(0, min(item.max_points, round(rng.gauss(level, 0.15) * item.max_points)))
            for item in items
        }
        try:
            with transaction.atomic():
                review = services.review_create(
                    by=manager if handled.pk in managed else administrator,
                    form_id=form.pk,
                    scores=scores,
                    comment=rng.choice(COMMENTS),
                    now=at,
                    **{f"{kind}_id": subject.pk},
                )
                if rng.random() < 0.7:
                    services.review_acknowledge(
                        by=handled.assignee,
                        review_id=review.pk,
                        reply=rng.choice(REPLIES),
                        now=min(now, at + timedelta(hours=rng.randint(1, 30))),
                    )
        except DomainError:
            continue
        made += 1
    if stdout:
        stdout.write(f"audit: {made} reviews")
    return made


def _subjects(*, exclude) -> list[tuple[str, object, ServiceRecord]]:
    """Handled work the reviewers did not do themselves: (kind, subject, its record)."""
    records = (
        ServiceRecord.objects.filter(
            status__in=HANDLED_STATUSES, assignee__isnull=False, complaint__isnull=True
        )
        .exclude(assignee__in=exclude)
        .select_related("assignee")
        .order_by("pk")
    )
    out = [("record", r, r) for r in records]
    complaints = (
        Complaint.objects.filter(step__in=HANDLED_STEPS, record__assignee__isnull=False)
        .exclude(record__assignee__in=exclude)
        .select_related("record__assignee")
        .order_by("pk")
    )
    out += [("complaint", c, c.record) for c in complaints]
    return out
