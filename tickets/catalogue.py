"""The shipped defaults (DOMAIN.md §2): categories per stage, a calendar and target policies.

`catalogue_seed_defaults()` is idempotent: rows are looked up by natural key and never overwritten,
so what an administrator edited stays edited. It runs from the demo loader and from
`manage.py seed_catalogue`; it is not a data migration because migrations also build every test
database, and tests that count departments or categories must start from an empty desk.
"""

from decimal import Decimal

from django.db import transaction

from servicedesk.core.demo import DEPARTMENTS
from servicedesk.core.models import Department

from .models import (
    BusinessCalendar,
    Duration,
    Fee,
    Frequency,
    Nature,
    Place,
    Priority,
    ServiceCategory,
    Stage,
    TargetPolicy,
)

T, N = Nature.TECHNICAL, Nature.NON_TECHNICAL
FIX, SITE = Place.FIXED_POINT, Place.ON_SITE
ONE, REC = Frequency.ONE_TIME, Frequency.RECURRING
S, M, L = Duration.SHORT, Duration.MEDIUM, Duration.LONG

# code, stage, English, Chinese, nature, place, (fee, amount), frequency, duration, lead,
# collaborators.
# The seeds' "phone or personal return visit" (电话回访/人员回访) is not a category: return visits
# are callback visits (followups), scheduled by rules, and migration followups 0002 moved old ones.
# Lead and collaborators follow the 14 work items of `001`; where the item lists several
# departments, the one that does the work leads (e.g. service delivery installs).
CATEGORIES = [
    # pre-sale
    ("needs-survey", Stage.PRE_SALE, "Needs survey / market research", "需求调查/市场调研",
     N, SITE, (Fee.FREE, None), ONE, M, "sales", ["marketing", "customer-service"]),
    ("product-information", Stage.PRE_SALE, "Product & service information", "产品与服务信息",
     N, FIX, (Fee.FREE, None), ONE, S, "customer-service", ["sales", "marketing"]),
    ("consultation", Stage.PRE_SALE, "Consultation", "咨询",
     N, FIX, (Fee.FREE, None), ONE, S, "customer-service", ["sales", "technical"]),
    ("training-class", Stage.PRE_SALE, "Training class", "培训班",
     T, FIX, (Fee.FREE, None), ONE, M, "customer-service", ["technical"]),
    ("phone-order", Stage.PRE_SALE, "Business phone / phone order", "业务电话",
     N, FIX, (Fee.FREE, None), ONE, S, "sales", ["customer-service"]),
    ("pre-sale-demonstration", Stage.PRE_SALE, "Demonstration", "产品演示",
     T, SITE, (Fee.FREE, None), ONE, S, "sales", ["technical"]),
    ("pr-event", Stage.PRE_SALE, "Public relations event", "公关活动",
     N, SITE, (Fee.FREE, None), ONE, M, "marketing", ["sales", "customer-service"]),
    # in-sale
    ("order-handling", Stage.IN_SALE, "Order handling", "订单处理",
     N, FIX, (Fee.FREE, None), ONE, S, "sales", ["finance", "production", "customer-service"]),
    ("product-knowledge", Stage.IN_SALE, "Product knowledge", "产品知识介绍",
     N, FIX, (Fee.FREE, None), ONE, S, "sales", ["technical"]),
    ("purchase-advice", Stage.IN_SALE, "Helping the customer choose", "当好参谋",
     N, FIX, (Fee.FREE, None), ONE, S, "sales", ["customer-service"]),
    ("special-request", Stage.IN_SALE, "Reasonable special request", "合理的特殊要求",
     N, FIX, (Fee.FREE, None), ONE, S, "customer-service", ["sales", "production"]),
    ("agency-services", Stage.IN_SALE,
     "Agency services (shipping, spare parts, packaging, posting)",
     "代办服务（托运、配件、包装、邮寄）",
     N, FIX, (Fee.PAID, Decimal("50.00")), ONE, S, "service-delivery", ["sales", "finance"]),
    ("in-sale-demonstration", Stage.IN_SALE, "Demonstration", "现场演示",
     T, FIX, (Fee.FREE, None), ONE, S, "sales", ["technical"]),
    # after-sale
    ("delivery", Stage.AFTER_SALE, "Delivery", "送货上门",
     N, SITE, (Fee.FREE, None), ONE, S, "service-delivery", ["production", "sales"]),
    ("installation", Stage.AFTER_SALE, "Installation & commissioning", "安装调试",
     T, SITE, (Fee.FREE, None), ONE, S, "service-delivery", ["sales", "technical"]),
    ("packaging", Stage.AFTER_SALE, "Packaging", "包装服务",
     N, FIX, (Fee.FREE, None), ONE, S, "service-delivery", ["production"]),
    ("repair", Stage.AFTER_SALE, "Repair and inspection", "维修和检修",
     T, SITE, (Fee.FREE, None), ONE, M, "technical", ["sales", "customer-service"]),
    ("periodic-inspection", Stage.AFTER_SALE, "Periodic inspection", "定期检修",
     T, SITE, (Fee.PAID, Decimal("100.00")), REC, L, "technical", ["customer-service"]),
    ("usage-guidance", Stage.AFTER_SALE, "Usage guidance & advice", "使用指导与咨询",
     T, FIX, (Fee.FREE, None), ONE, S, "technical", ["customer-service", "service-delivery"]),
    ("archive-update", Stage.AFTER_SALE, "Archive update", "档案更新",
     N, FIX, (Fee.FREE, None), ONE, S, "customer-service", []),
    ("complaint-handling", Stage.AFTER_SALE, "Complaint handling", "投诉处理",
     N, FIX, (Fee.FREE, None), ONE, M, "customer-service", ["sales"]),
    ("return-exchange", Stage.AFTER_SALE, "Returns and exchanges", "退换货",
     N, FIX, (Fee.FREE, None), ONE, S, "sales", ["technical", "customer-service"]),
    ("billing-correction", Stage.AFTER_SALE, "Billing / invoice correction", "账单/发票更正",
     N, FIX, (Fee.FREE, None), ONE, S, "finance", ["sales", "customer-service"]),
]  # fmt: skip

# name, priority, customer tier, first response, resolution (business minutes; a day is 540).
POLICIES = [
    ("Default", "", "", 240, 2700),
    ("Low priority", Priority.LOW, "", 480, 5400),
    ("High priority", Priority.HIGH, "", 120, 1080),
    ("Urgent", Priority.URGENT, "", 30, 480),
    ("Key customers", "", "key", 120, 1620),
    ("Key customers, urgent", Priority.URGENT, "key", 15, 240),
]


@transaction.atomic
def catalogue_seed_defaults() -> dict:
    names = {code: (en, zh) for code, en, zh in DEPARTMENTS}
    departments = {}

    def dept(code: str) -> Department:
        if code not in departments:
            en, zh = names[code]
            departments[code], _ = Department.objects.get_or_create(
                code=code, defaults={"name_en": en, "name_zh": zh}
            )
        return departments[code]

    categories = {}
    for order, row in enumerate(CATEGORIES):
        code, stage, en, zh, nature, place, (fee, amount), freq, dur, lead, collab = row
        category, created = ServiceCategory.objects.get_or_create(
            code=code,
            defaults={
                "stage": stage,
                "name_en": en,
                "name_zh": zh,
                "default_nature": nature,
                "default_place": place,
                "default_fee": fee,
                "default_fee_amount": amount,
                "default_frequency": freq,
                "default_duration": dur,
                "lead_department": dept(lead),
                "sort_order": order,
            },
        )
        if created:
            category.collaborating_departments.set([dept(c) for c in collab])
        categories[code] = category

    calendar, _ = BusinessCalendar.objects.get_or_create(
        name="Office hours", defaults={"is_default": not BusinessCalendar.objects.exists()}
    )
    for name, priority, tier, first, resolution in POLICIES:
        if not TargetPolicy.objects.filter(
            priority=priority, customer_tier=tier, category__isnull=True
        ).exists():
            TargetPolicy.objects.create(
                name=name,
                priority=priority,
                customer_tier=tier,
                first_response_minutes=first,
                resolution_minutes=resolution,
                calendar=calendar,
            )
    return {"categories": categories, "calendar": calendar}
