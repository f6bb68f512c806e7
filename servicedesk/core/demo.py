"""Demo data for the core: departments (DOMAIN.md §2), one user per role and a few agents.

Idempotent: rows are looked up by natural keys, so running it again changes nothing.
"""

from django.contrib.auth import get_user_model
from django.db import transaction

from . import services
from .models import Department, Profile
from .roles import Role

DEMO_PASSWORD = "desk-demo-2026"  # noqa: S105 - printed by `make run`; demo data only

DEPARTMENTS = [
    ("sales", "Sales / business", "业务部"),
    ("marketing", "Marketing", "营销部"),
    ("customer-service", "Customer service", "客服部"),
    ("production", "Production", "生产部"),
    ("technical", "Technical", "技术部"),
    ("finance", "Finance", "财务部"),
    ("service-delivery", "Service delivery", "服务提供部"),
]

# username, first, last, Chinese name, role, [(department, is_manager)]
USERS = [
    ("admin", "Zhou", "Min", "周敏", Role.ADMINISTRATOR, []),
    (
        "chen",
        "Chen",
        "Jing",
        "陈静",
        Role.MANAGER,
        [("customer-service", True), ("service-delivery", True)],
    ),
    (
        "wangli",
        "Wang",
        "Li",
        "王丽",
        Role.AGENT,
        [("service-delivery", False), ("customer-service", False)],
    ),
    ("zhaolei", "Zhao", "Lei", "赵磊", Role.AGENT, [("technical", False)]),
    ("liuyang", "Liu", "Yang", "刘洋", Role.AGENT, [("sales", False), ("customer-service", False)]),
    ("sunmei", "Sun", "Mei", "孙梅", Role.AGENT, [("finance", False)]),
]


@transaction.atomic
def seed(stdout=None) -> dict:
    departments = {}
    for code, name_en, name_zh in DEPARTMENTS:
        departments[code], _ = Department.objects.get_or_create(
            code=code, defaults={"name_en": name_en, "name_zh": name_zh}
        )
    User = get_user_model()
    users = {}
    for username, first, last, name_zh, role, memberships in USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(
                username=username,
                password=DEMO_PASSWORD,
                first_name=first,
                last_name=last,
                email=f"{username}@example.com",
            )
            if role == Role.ADMINISTRATOR:
                user.is_superuser = True
                user.save(update_fields=["is_superuser"])
        services.user_set_role(user=user, role=role)
        Profile.objects.get_or_create(user=user, defaults={"display_name_zh": name_zh})
        for code, is_manager in memberships:
            services.department_add_member(
                department=departments[code], user=user, is_manager=is_manager
            )
        users[username] = user
    if stdout:
        stdout.write(f"core: {len(departments)} departments, {len(users)} users")
    return {"departments": departments, "users": users}
