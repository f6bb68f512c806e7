"""Demo root causes: closed complaints with their causes filed on several bones, and one fishbone
workshop with participants, causes and their whys, more than twenty solutions and three chosen
corrective actions. Idempotent: each part is added only while it is missing. Everything goes
through the services, so the complaints really pass their six steps and close satisfied."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from customers.models import Customer

from ...models import ServiceCategory
from .. import services as complaint_services
from ..demo import STEP_DATA
from ..models import Step
from . import services
from .models import CauseBone, ComplaintCause, FishboneWorkshop

AGENT, MANAGER = "wangli", "chen"
PEOPLE = ["wangli", "liuyang", "zhaolei"]

# subject, bone, the five whys, the root cause
CAUSES = [
    ("送装师傅又迟到三小时", "process",
     ["师傅在上一单超时", "派单时没有留路程时间", "排班表按固定一小时间隔排单"],
     "派单规则不考虑路程和上一单的时长"),
    ("预约改期没人通知我", "process",
     ["改期后没有给客户发通知", "改期在系统外用电话完成", "系统改期功能不好用，大家绕开它"],
     "改期流程在系统外完成，通知无人负责"),
    ("客服说话不耐烦", "people",
     ["客服在高峰时段连续接听没有休息", "排班人手不足", "新人培训未完成就上岗"],
     "高峰时段人手不足，新人未经培训上岗"),
    ("送货时把门框撞坏了", "partners",
     ["搬运工没有做防护", "物流公司没有培训防护要求", "合同里没有写防护条款"],
     "物流合作方合同缺少上门防护要求"),
    ("新装的热水器漏水", "product",
     ["接口密封圈老化", "这一批密封圈来自新供应商", "来料检验没有抽检密封件"],
     "密封件来料检验缺失"),
    ("退款要等一个月", "policy",
     ["财务每月只处理一次退款", "退款审批需要三级签字", "制度按大额退款设计，小额也一样走"],
     "退款制度不分金额一律三级审批"),
]  # fmt: skip

WORKSHOP_PROBLEM = "上门服务迟到和改期引起的投诉"
WORKSHOP_CAUSES = [
    ("process", "派单不考虑路程时间", ["排班表按固定间隔", "系统没有路程数据"]),
    ("process", "改期不通知客户", ["改期在系统外完成", "系统改期功能难用", "需求一直没排期"]),
    ("people", "师傅不主动告知会迟到", ["不知道要提前告知", "培训里没有这一条"]),
    ("place", "小区进门登记耗时", ["物业要求登记", "没有提前向物业报备"]),
    ("partners", "物流送货晚导致安装晚", ["物流和安装分开排期", "双方没有共享时间表"]),
    ("policy", "迟到没有任何补偿规则", ["制度只管产品质量", "服务时效没有写进承诺"]),
]
WORKSHOP_SOLUTIONS = [
    "派单时按地图估算路程时间", "每位师傅每天最多排五单", "迟到前三十分钟必须电话告知",
    "改期必须在系统里完成并自动短信通知", "简化系统改期操作", "客户可在线自助改期",
    "上门前一天短信确认时间", "提前向物业报备上门信息", "物流与安装同一天排期共享",
    "迟到超过一小时减免安装费", "公布服务时效承诺", "每周复盘迟到工单",
    "为师傅配备导航和路况提醒", "高峰日增加备用师傅", "新师傅跟岗一周再独立上门",
    "安装时间窗口缩短为两小时", "客服可实时查看师傅位置", "迟到率纳入师傅考核",
    "与物流公司签订时效条款", "每月公布各区域准时率", "客户评价中增加准时评分",
    "重要客户安排固定师傅",
]  # fmt: skip
CHOSEN = [0, 2, 3]  # the solutions the workshop chose, by index


def load(stdout=None) -> dict:
    User = get_user_model()
    agent = User.objects.filter(username=AGENT).first()
    manager = User.objects.filter(username=MANAGER).first()
    category = ServiceCategory.objects.filter(code="complaint-handling").first()
    if agent is None or manager is None or category is None or not CauseBone.objects.exists():
        return {"causes": 0, "workshops": 0}
    with transaction.atomic():
        made = {"causes": _causes(agent, manager, category), "workshops": _workshop(manager)}
    if stdout:
        stdout.write(
            f"tickets: {made['causes']} demo root causes, {made['workshops']} fishbone workshop"
        )
    return made


def _close(agent, category, customer, subject):
    """A complaint taken through the six steps by the services, closed with the customer
    satisfied."""
    complaint = complaint_services.complaint_open(
        by=agent,
        customer_id=customer.pk,
        stage=category.stage,
        category_id=category.pk,
        subject=subject,
        channel="phone",
        severity="serious",
    )
    due = (timezone.localdate() + timedelta(days=1)).isoformat()
    act = {"actions": [{"description": "上门处理", "owner": agent.pk, "due_date": due}]}
    for step, data in STEP_DATA:
        data = act if step == Step.ACT else data
        complaint_services.complaint_take_step(
            by=agent, complaint_id=complaint.pk, version=None, step=step, data=data
        )
    for action in complaint.actions.all():
        complaint_services.complaint_action_done(by=agent, action_id=action.pk)
    complaint_services.complaint_take_step(
        by=agent,
        complaint_id=complaint.pk,
        version=None,
        step=Step.RECHECK,
        data={"result": "satisfied", "note": ""},
    )
    return complaint


def _causes(agent, manager, category) -> int:
    if ComplaintCause.objects.exists():
        return 0
    customers = list(Customer.objects.filter(is_archived=False).order_by("-pk")[: len(CAUSES)])
    bones = {b.code: b for b in CauseBone.objects.filter(is_active=True)}
    if len(customers) < len(CAUSES):
        return 0
    in_two_weeks = timezone.localdate() + timedelta(days=14)
    made = 0
    for (subject, bone, whys, summary), customer in zip(CAUSES, customers, strict=True):
        if bone not in bones:
            continue  # an administrator retired it
        complaint = _close(agent, category, customer, subject)
        services.cause_file(
            by=manager,
            complaint_id=complaint.pk,
            bone_id=bones[bone].pk,
            whys=whys,
            summary=summary,
            corrective_actions=[
                {"description": f"整改：{summary}", "owner_id": agent.pk, "due_date": in_two_weeks}
            ],
        )
        made += 1
    return made


def _workshop(manager) -> int:
    if FishboneWorkshop.objects.filter(problem=WORKSHOP_PROBLEM).exists():
        return 0
    User = get_user_model()
    people = list(User.objects.filter(username__in=PEOPLE).values_list("pk", flat=True))
    bones = {b.code: b for b in CauseBone.objects.filter(is_active=True)}
    today = timezone.localdate()
    workshop = services.workshop_create(
        by=manager,
        problem=WORKSHOP_PROBLEM,
        held_on=today,
        facilitator_id=manager.pk,
        period_from=today - timedelta(days=89),
        period_to=today,
        participant_ids=people,
    )
    for bone, text, whys in WORKSHOP_CAUSES:
        if bone in bones:
            services.workshop_cause_add(
                by=manager, workshop_id=workshop.pk, bone_id=bones[bone].pk, text=text, whys=whys
            )
    solutions = [
        services.workshop_solution_add(by=manager, workshop_id=workshop.pk, text=text)
        for text in WORKSHOP_SOLUTIONS
    ]
    owners = people or [manager.pk]
    services.workshop_solutions_choose(
        by=manager,
        workshop_id=workshop.pk,
        choices=[
            {
                "solution_id": solutions[i].pk,
                "owner_id": owners[n % len(owners)],
                "due_date": today + timedelta(days=30),
            }
            for n, i in enumerate(CHOSEN)
        ],
    )
    return 1
