"""Demo complaints, one waiting at each of the six steps and one severe whose customer asked
for a manager; a step 5 action falls due the day after loading. Idempotent: none are added when
any complaint exists."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from customers.models import Customer

from ..models import ServiceCategory
from . import services
from .models import STEPS, Complaint

AGENT = "wangli"

STEP_DATA = [
    ("respect", {"words": "谢谢您把情况告诉我"}),
    ("listen", {"feeling": "很生气", "want": "今天装好", "thinking": "公司不守时",
                "facts": "约定上午9点，师傅11点才到"}),
    ("restate", {"request": "今天下午把衣柜装好", "confirmed": True}),
    ("options", {"options": [{"description": "今天下午派师傅返工", "remedy": "rework", "cost": "0"},
                             {"description": "减免安装费", "remedy": "compensate", "cost": "200"}],
                 "choice": 0,
                 "declined": [{"request": "整单免费", "alternative": "你可以获得安装费减免"}]}),
    ("act", {"actions": [{"description": "返工安装", "owner": None, "due_date": None}]}),
]  # fmt: skip

SUBJECTS = [
    "安装师傅迟到两小时",
    "客服电话一直占线",
    "送货时划伤地板",
    "维修后问题依旧",
    "承诺的回电没有回",
    "发票开错抬头",
]


def _data(step_data: dict, owner_id: int) -> dict:
    if "actions" not in step_data:
        return step_data
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    return {
        "actions": [{**a, "owner": owner_id, "due_date": tomorrow} for a in step_data["actions"]]
    }


def seed(stdout=None) -> int:
    agent = get_user_model().objects.filter(username=AGENT).first()
    category = ServiceCategory.objects.filter(code="complaint-handling").first()
    customers = list(Customer.objects.filter(is_archived=False).order_by("pk")[:8])
    if Complaint.objects.exists() or agent is None or category is None or len(customers) < 8:
        return 0
    made = 0
    # complaint i stops before step i: one waiting at each step, then one at the re-check
    for i, step in enumerate(STEPS):
        complaint = services.complaint_open(
            by=agent,
            customer_id=customers[i].pk,
            stage=category.stage,
            category_id=category.pk,
            subject=SUBJECTS[i],
            channel="phone",
            severity="serious" if i % 2 else "general",
        )
        for taken, data in STEP_DATA[:i]:
            services.complaint_take_step(
                by=agent, complaint_id=complaint.pk, version=None, step=taken,
                data=_data(data, agent.pk),
            )  # fmt: skip
        if step == "recheck":
            for action in complaint.actions.all():
                services.complaint_action_done(by=agent, action_id=action.pk)
        made += 1
    _overdue(agent, category, customers[6])
    services.complaint_open(
        by=agent,
        customer_id=customers[7].pk,
        stage=category.stage,
        category_id=category.pk,
        subject="要求经理出面处理漏水问题",
        channel="visit",
        severity="severe",
        wants_manager=True,
    )
    if stdout:
        stdout.write(f"tickets: {made + 2} demo complaints")
    return made + 2


def _overdue(agent, category, customer) -> None:
    """One at step 5 whose action slipped two days ago without the customer being told: the
    list's "Actions overdue" and the surprise breach have something to show."""
    complaint = services.complaint_open(
        by=agent,
        customer_id=customer.pk,
        stage=category.stage,
        category_id=category.pk,
        subject="配件迟迟未到",
        channel="online",
        severity="serious",
    )
    for taken, data in STEP_DATA:
        services.complaint_take_step(
            by=agent, complaint_id=complaint.pk, version=None, step=taken,
            data=_data(data, agent.pk),
        )  # fmt: skip
    # The service refuses a past date, rightly; the demo backdates the plan instead, as if it
    # had been made last week.
    two_days_ago = timezone.localdate() - timedelta(days=2)
    complaint.actions.update(due_date=two_days_ago)
