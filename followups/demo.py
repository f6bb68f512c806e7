"""Demo callbacks: the shipped rules and greeting dates, and a week of visits in every state.

Idempotent: when any visit exists no demo visits are added. Visits go through the services
(scheduling, attempts, outcomes, cancelling), so their logs and rules are real; only the
completion times of past visits are back-dated afterwards, which no service may do.
"""

import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from customers.models import Customer
from tickets.models import ServiceRecord, Status

from . import scheduling as sched
from . import services
from .defaults import callback_seed_defaults
from .models import CallbackVisit, Method, Purpose

AGENT = "wangli"
PEOPLE = ["本人", "家属", "前台"]


def seed(stdout=None) -> dict:
    defaults = callback_seed_defaults()
    # A demo complaint at its re-check already has its visit (tickets' demo runs first).
    made = CallbackVisit.objects.exclude(purpose=Purpose.COMPLAINT_RECHECK)
    if made.exists() or not defaults["rules"]:
        if stdout:
            stdout.write("followups: demo visits already present")
        return defaults
    rng = random.Random(9)  # noqa: S311 - demo data, reproducible on purpose
    with transaction.atomic():
        count = _after_service() + _week(rng, defaults["rules"]) + services.visits_scan()
    if stdout:
        stdout.write(f"followups: {len(defaults['rules'])} rules, {count} visits")
    return defaults


def _after_service() -> int:
    """The resolved demo records get the visits their rules ask for, as the subscriber would."""
    made = 0
    for record in ServiceRecord.objects.filter(status=Status.RESOLVED).order_by("pk")[:60]:
        made += len(services.visits_schedule_for_record(record_id=record.pk))
    return made


def _week(rng, rules) -> int:
    """Visits due from a week ago to a week ahead, for the demo agent: done, missed, cancelled,
    overdue, due today and upcoming."""
    agent = get_user_model().objects.filter(username=AGENT).first()
    customers = list(Customer.objects.filter(is_archived=False).order_by("pk")[:40])
    if agent is None or not customers:
        return 0
    rule = rules["after-installation"]
    # An after-service visit follows a record: each customer's latest one, if they have any.
    latest = {}
    for record in ServiceRecord.objects.filter(customer__in=customers).order_by("pk"):
        latest[record.customer_id] = record
    now = timezone.now()
    calendar = services._calendar(now.date())
    visits = []
    for i, customer in enumerate(customers[:28]):
        start = now + timedelta(days=i // 2 - 7, hours=rng.randint(-3, 3))
        due, end = sched.window_from(
            sched.next_slot(start, calendar, sched.ContactHours()), rule.window_days, calendar
        )
        record = latest.get(customer.pk) if rng.random() < 0.5 else None
        visits.append(
            services._visit(
                customer=customer,
                purpose=Purpose.AFTER_SERVICE if record else Purpose.AD_HOC,
                record=record,
                method=Method.PHONE,
                department_id=rule.department_id,
                assignee=agent if i % 4 else None,
                due=due,
                window_end=end,
                remind_minutes=60,
            )
        )
    made = services._insert(visits, by=agent)
    # Past visits cycle through the outcomes, so every state shows whatever the random draws.
    past = [v for v in made if v.window_end < now]
    outcomes = ["done", "missed", "done", "cancelled", "done"]
    for i, visit in enumerate(past):
        _settle_past(rng, visit, agent, outcomes[i % len(outcomes)])
    return len(made)


def _settle_past(rng, visit, agent, outcome: str) -> None:
    if outcome == "cancelled":
        services.visit_cancel(by=agent, visit_id=visit.pk, version=None, reason="客户已搬家")
        return
    if outcome == "missed":
        for _ in range(services.DEFAULT_MAX_ATTEMPTS):
            services.visit_not_reached(by=agent, visit_id=visit.pk, version=None, note="无人接听")
        return
    services.visit_complete(
        by=agent,
        visit_id=visit.pk,
        version=None,
        reached_person=rng.choice(PEOPLE),
        product_state=rng.choice(["normal", "normal", "normal", "problem"]),
        satisfaction=rng.choice([3, 4, 5, 5, 5]),
        expectation=rng.choice(["better", "as_expected", "as_expected", "worse"]),
        notes="使用正常，无其他问题。",
    )
    # Back-date the completion into the visit's window, as if it had been made then.
    CallbackVisit.objects.filter(pk=visit.pk).update(
        completed_at=visit.due_at + timedelta(minutes=rng.randint(5, 240))
    )
