"""Demo service records: a few hundred across stages, categories and statuses, some breached.

Idempotent: when any record exists no demo records are added. A fixed seed makes every run the
same. Records go through the services, so routing, targets and history are real.
"""

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from customers.models import Customer
from servicedesk.core.models import DepartmentMembership

from . import services
from .catalogue import catalogue_seed_defaults
from .complaints import demo as complaints_demo
from .complaints.rootcause import demo as rootcause_demo
from .models import (
    ACTIVE_STATUSES,
    DepartmentRoutingPolicy,
    MessageKind,
    Priority,
    ServiceRecord,
    Status,
)

COUNT = 300
AGENTS = ["wangli", "zhaolei", "liuyang", "sunmei", "chen"]
SUBJECTS = [
    "Wardrobe door misaligned",
    "Install the new water heater",
    "Invoice shows the wrong amount",
    "Ask about the extended warranty",
    "Deliver the sofa on Saturday",
    "Noise from the washing machine",
    "Training for the new till system",
    "Spare part for the range hood",
    "Return a damaged chair",
    "Quote for office furniture",
]
# How far along a record got: the path it follows from new.
PATHS = {
    Status.NEW: [],
    Status.OPEN: [Status.OPEN],
    Status.PENDING: [Status.OPEN, Status.PENDING],
    Status.RESOLVED: [Status.OPEN, Status.RESOLVED],
    Status.CLOSED: [Status.OPEN, Status.RESOLVED, Status.CLOSED],
}


def seed(stdout=None) -> dict:
    catalogue = catalogue_seed_defaults()
    if ServiceRecord.objects.exists():
        if stdout:
            stdout.write("tickets: demo records already present")
        complaints_demo.seed(stdout)
        rootcause_demo.load(stdout)
        return catalogue
    rng = random.Random(4)  # noqa: S311 - demo data, reproducible on purpose
    with transaction.atomic():
        count = _records(rng, list(catalogue["categories"].values()))
    if stdout:
        stdout.write(f"tickets: {len(catalogue['categories'])} categories, {count} records")
    complaints_demo.seed(stdout)
    rootcause_demo.load(stdout)
    return catalogue


def _records(rng, categories) -> int:
    # Each record is opened and worked by someone of its lead department (the create service
    # refuses a record its creator could not follow); by the system where nobody is.
    staff: dict[int, list] = {}
    for m in DepartmentMembership.objects.filter(user__username__in=AGENTS).select_related("user"):
        staff.setdefault(m.department_id, []).append(m.user)
    customers = list(Customer.objects.order_by("pk")[:200])
    if not customers:
        customers = [
            Customer.objects.create(name=name, management_tier=tier)
            for name, tier in [
                ("李伟", "key"),
                ("张敏", "regular"),
                ("王芳", "regular"),
                ("Acme Trading Co.", "key"),
                ("刘强", "one_time"),
            ]
        ]
    service_delivery = next(
        (c.lead_department for c in categories if c.code == "installation"), None
    )
    if service_delivery is not None:
        DepartmentRoutingPolicy.objects.get_or_create(
            department=service_delivery, defaults={"mode": "round_robin"}
        )
    now = timezone.now()
    statuses = list(PATHS)
    weights = [15, 30, 10, 25, 20]
    for i in range(COUNT):
        category = rng.choice(categories)
        target = rng.choices(statuses, weights)[0]
        # Running work is recent (some of it breached); finished work spreads over two months.
        hours = rng.randint(1, 24 * 5) if target in ACTIVE_STATUSES else rng.randint(1, 24 * 60)
        created = now - timedelta(hours=hours)
        user = rng.choice(staff.get(category.lead_department_id) or [None])
        record = services.record_create(
            by=user,
            customer_id=rng.choice(customers).pk,
            stage=category.stage,
            category_id=category.pk,
            subject=rng.choice(SUBJECTS),
            description="",
            priority=rng.choice(Priority.values),
            created_at=created,
        )
        if target != Status.NEW:
            services.message_add(
                by=user,
                record_id=record.pk,
                kind=MessageKind.REPLY,
                body="We have received your request and will contact you shortly.",
                created_at=created + timedelta(minutes=rng.randint(5, 50)),
            )
        if i % 3 == 0:
            services.message_add(
                by=user,
                record_id=record.pk,
                kind=MessageKind.NOTE,
                body="Checked stock.",
                created_at=created + timedelta(hours=1),
            )
        for status in PATHS[target][1:]:
            services.record_transition(by=user, record_id=record.pk, to_status=status)
    return COUNT
