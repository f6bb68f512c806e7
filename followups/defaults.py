"""The callback rules and greeting dates the desk ships (DOMAIN.md §4).

The seeds give the practice, not numbers: "按一定频率以打电话或派专人上门服务的形式进行回访", 3 days
after an installation, 7 after a repair, every 30 days for key customers, greetings on festivals.
So every shipped rule is marked as the desk's default (is_desk_default) for an administrator to
tune. `callback_seed_defaults()` is idempotent and never overwrites an edited row; like the
catalogue it is not a data migration, so test databases start without rules.
"""

from datetime import date

from django.db import transaction

from servicedesk.core.models import Department
from tickets.models import ServiceCategory

from .models import AssignTo, CallbackRule, GreetingDate, Method, Trigger

# code, English, Chinese, trigger, categories, tier, interval, delay, window, method, assign to
RULES = [
    ("after-installation", "After an installation", "安装后回访", Trigger.RECORD_RESOLVED,
     ["installation"], "", None, 3, 2, Method.PHONE, AssignTo.RECORD_ASSIGNEE),
    ("after-repair", "After a repair", "维修后回访", Trigger.RECORD_RESOLVED,
     ["repair", "periodic-inspection"], "", None, 7, 3, Method.PHONE, AssignTo.RECORD_ASSIGNEE),
    ("after-delivery", "After a delivery", "送货后回访", Trigger.RECORD_RESOLVED,
     ["delivery"], "", None, 2, 2, Method.PHONE, AssignTo.DEPARTMENT_QUEUE),
    ("key-customer-care", "Key customers, every 30 days", "头顶客户定期回访", Trigger.PERIODIC,
     [], "key", 30, 0, 3, Method.PHONE, AssignTo.ACCOUNT_OWNER),
    ("festival-greeting", "Festival greeting to key customers", "节日问候", Trigger.GREETING,
     [], "key", None, 1, 1, Method.PHONE, AssignTo.ACCOUNT_OWNER),
]  # fmt: skip

# Lunar festivals move: each year's date is its own row (an administrator adds the next year's).
GREETINGS = [
    (date(2026, 10, 1), "National Day", "国庆节"),
    (date(2027, 1, 1), "New Year's Day", "元旦"),
    (date(2027, 2, 6), "Spring Festival", "春节"),
    (date(2027, 6, 9), "Dragon Boat Festival", "端午节"),
    (date(2027, 9, 15), "Mid-Autumn Festival", "中秋节"),
    (date(2027, 10, 1), "National Day", "国庆节"),
]

QUEUE_DEPARTMENT = "customer-service"


@transaction.atomic
def callback_seed_defaults() -> dict:
    department = Department.objects.filter(code=QUEUE_DEPARTMENT).first()
    if department is None:
        return {"rules": {}}
    rules = {}
    for code, en, zh, trigger, cats, tier, interval, delay, window, method, assign in RULES:
        rule, created = CallbackRule.objects.get_or_create(
            code=code,
            defaults={
                "name_en": en,
                "name_zh": zh,
                "trigger": trigger,
                "customer_tier": tier,
                "interval_days": interval,
                "delay_days": delay,
                "window_days": window,
                "method": method,
                "assign_to": assign,
                "department": department,
                "is_desk_default": True,
            },
        )
        if created and cats:
            rule.categories.set(ServiceCategory.objects.filter(code__in=cats))
        rules[code] = rule
    for day, en, zh in GREETINGS:
        GreetingDate.objects.get_or_create(date=day, defaults={"name_en": en, "name_zh": zh})
    return {"rules": rules}
