"""Demo staff feedback: three months of daily cases (some shared), suggestions in every status,
two staff meetings, and handover ratings on the demo's shared records.

Everything goes through the services, by the demo's own people (core.demo: the manager chen, the
agents wangli, zhaolei, liuyang and sunmei), so the rules hold: a rater belongs to the receiving
department, a case's record is one its author sees. A fixed seed makes every run the same, and
each part is added only when its table is empty, so running it again changes nothing.
"""

import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from servicedesk.core.models import DepartmentMembership
from tickets.models import ServiceRecord
from tickets.selectors import record_visible

from . import services
from .models import DailyCase, HandoverRating, Meeting, Suggestion, SuggestionStatus

MANAGER = "chen"
STAFF = ["wangli", "zhaolei", "liuyang", "sunmei", "chen"]
DAYS = 90

SUCCESSES = [
    (
        "主动提前打电话确认上门时间",
        "客户原定下午安装，师傅上午打电话确认，客户临时改到傍晚，避免了白跑一趟。",
        "上门前一小时再确认一次，客户更安心，我们也少跑空。",
    ),
    (
        "婉转地说“不”，客户接受了替代方案",
        "客户要的颜色缺货，我没有直接说没有，而是说“您可以选这两种相近的颜色”。",
        "用“您可以”代替“不行”，客户感到被尊重。",
    ),
    (
        "投诉客户变成了回头客",
        "客户投诉送货迟到，我们道歉、说明原因并补送了配件，三周后他又下了订单。",
        "认真处理投诉，挑剔的客户会成为忠诚客户。",
    ),
    (
        "一次就把问题解决",
        "维修师傅带齐了可能需要的配件，第一次上门就修好了热水器。",
        "上门前看清记录里的型号，备好常用配件。",
    ),
    (
        "重复客户要求，避免了误会",
        "接电话时把客户的要求复述了一遍，发现地址少写了楼栋号。",
        "六步法第三步“重复要求”很管用。",
    ),
]
FAILURES = [
    (
        "承诺的回电没有兑现",
        "答应客户第二天回电，结果忘了，客户再次打来时很生气。",
        "承诺的事记在记录里，设好提醒；做不到要提前告诉客户。",
    ),
    (
        "部门之间相互推诿",
        "客户问发票问题，客服让找财务，财务让找业务，客户转了三次电话。",
        "先接下来，内部协调后再回复客户，不要让客户跑腿。",
    ),
    (
        "坏消息没有尽早通知",
        "配件延误两天，我们没有主动告诉客户，客户在家白等了一天。",
        "人们宁可接受坏消息，也不愿被蒙在鼓里：尽早打电话。",
    ),
    (
        "安装后没有清理现场",
        "师傅装完就走了，包装和碎屑留在客户家里，回访时客户打了低分。",
        "完工后清理现场是服务的一部分。",
    ),
]
SUGGESTIONS = [
    (
        "上门前一小时短信提醒",
        "每次上门前一小时自动给客户发短信，写明师傅姓名和电话。",
        SuggestionStatus.IMPLEMENTED,
        False,
    ),
    (
        "周末增加值班人员",
        "周末来电多，接通率低，建议周六日各加一名值班客服。",
        SuggestionStatus.ACCEPTED,
        False,
    ),
    (
        "常用配件随车携带清单",
        "维修师傅按型号带配件，减少二次上门。",
        SuggestionStatus.UNDER_REVIEW,
        False,
    ),
    (
        "投诉处理后给员工反馈结果",
        "处理投诉的同事常常不知道最后客户是否满意，希望能看到回访结果。",
        SuggestionStatus.UNDER_REVIEW,
        True,
    ),
    ("取消晚上九点后的回访电话", "有客户反映晚上回访打扰休息。", SuggestionStatus.SUBMITTED, True),
    ("每个订单都要经理签字", "建议所有订单由经理签字后再处理。", SuggestionStatus.DECLINED, False),
    (
        "内部交接单标准化",
        "业务交给技术时常缺型号和地址，建议统一交接单格式。",
        SuggestionStatus.SUBMITTED,
        False,
    ),
    ("新员工跟岗一周", "新客服先跟老员工接一周电话再独立上岗。", SuggestionStatus.ACCEPTED, True),
]
PATH = {
    SuggestionStatus.SUBMITTED: [],
    SuggestionStatus.UNDER_REVIEW: [SuggestionStatus.UNDER_REVIEW],
    SuggestionStatus.ACCEPTED: [SuggestionStatus.UNDER_REVIEW, SuggestionStatus.ACCEPTED],
    SuggestionStatus.IMPLEMENTED: [
        SuggestionStatus.UNDER_REVIEW,
        SuggestionStatus.ACCEPTED,
        SuggestionStatus.IMPLEMENTED,
    ],
    SuggestionStatus.DECLINED: [SuggestionStatus.UNDER_REVIEW, SuggestionStatus.DECLINED],
}
REASONS = {
    SuggestionStatus.ACCEPTED: "好建议，下个月开始试行。",
    SuggestionStatus.IMPLEMENTED: "已上线，谢谢！",
    SuggestionStatus.DECLINED: "会拖慢处理速度，客户要等得更久；改为大额订单经理复核。",
}
HANDOVER_COMMENTS = {
    5: ["资料齐全，直接就能开工", "交接清楚，客户信息完整"],
    4: ["基本完整，少了一个联系电话", "及时，说明清楚"],
    3: ["型号写错了，电话确认后才清楚", "交接晚了半天"],
    2: ["地址不全，师傅多跑了一趟", "没有说明客户的特殊要求"],
    1: ["什么都没交代，只能重新问客户"],
}


def seed(stdout=None) -> dict:
    users = {u.username: u for u in get_user_model().objects.filter(username__in=STAFF)}
    if MANAGER not in users:
        return {}
    rng = random.Random(12)  # noqa: S311 - demo data, reproducible on purpose
    counts = {}
    with transaction.atomic():
        counts["cases"] = _cases(rng, users)
        counts["suggestions"] = _suggestions(rng, users)
        counts["meetings"] = _meetings(users)
        counts["ratings"] = _ratings(rng, users)
    if stdout:
        stdout.write(
            "feedback: {cases} cases, {suggestions} suggestions, {meetings} meetings, "
            "{ratings} handover ratings".format(**counts)
        )
    return counts


def _first_department(user):
    return (
        DepartmentMembership.objects.filter(user=user)
        .order_by("department__code")
        .values_list("department_id", flat=True)
        .first()
    )


def _cases(rng, users) -> int:
    if DailyCase.objects.exists():
        return 0
    today = timezone.localdate()
    manager = users[MANAGER]
    authors = [users[n] for n in STAFF if n in users]
    visible = {
        a.pk: list(record_visible(a).order_by("-pk").values_list("pk", flat=True)[:50])
        for a in authors
    }
    made = 0
    # Most days of the last three months have a case or two; today always has a few.
    for days_ago in [0, 0, 0, *sorted(rng.sample(range(1, DAYS), 36))]:
        author = rng.choice(authors)
        success = rng.random() < 0.6
        title, happened, lesson = rng.choice(SUCCESSES if success else FAILURES)
        record = (
            rng.choice(visible[author.pk]) if visible[author.pk] and rng.random() < 0.5 else None
        )
        case = services.case_create(
            by=author,
            kind="success" if success else "failure",
            title=title,
            happened=happened,
            lesson=lesson,
            record_id=record,
            department_id=_first_department(author),
            case_date=today - timedelta(days=days_ago),
        )
        if rng.random() < 0.6:
            services.case_set_shared(by=manager, case_id=case.pk, shared=True)
        made += 1
    return made


def _suggestions(rng, users) -> int:
    if Suggestion.objects.exists():
        return 0
    manager = users[MANAGER]
    authors = [users[n] for n in STAFF if n in users and n != MANAGER]
    now = timezone.now()
    for i, (title, body, status, anonymous) in enumerate(SUGGESTIONS):
        suggestion = services.suggestion_submit(
            by=authors[i % len(authors)], title=title, body=body, is_anonymous=anonymous
        )
        for step in PATH[status]:
            suggestion = services.suggestion_move(
                by=manager,
                suggestion_id=suggestion.pk,
                to=step,
                version=suggestion.version,
                reason=REASONS.get(step, ""),
            )
        # Spread over the three months (a back-dated creation, for the list's order).
        Suggestion.objects.filter(pk=suggestion.pk).update(
            created_at=now - timedelta(days=rng.randint(1, DAYS - 1), hours=rng.randint(0, 8))
        )
    return len(SUGGESTIONS)


def _meetings(users) -> int:
    if Meeting.objects.exists():
        return 0
    manager = users[MANAGER]
    today = timezone.localdate()
    everyone = [u.pk for u in users.values()]
    services.meeting_create(
        by=manager,
        title="月度服务评估座谈会",
        held_on=today - timedelta(days=40),
        attendee_ids=everyone,
        notes=(
            "回顾上月投诉：送货迟到三起，安装后未清理现场两起。\n"
            "大家认为问题多出在部门交接：业务交给技术的信息不全。"
        ),
        decisions=(
            "统一内部交接单格式——刘洋，两周内\n"
            "安装完工后拍照确认现场已清理——赵磊，立即执行\n"
            "每天早会口头分享一个成功案例、一个失败例子——陈静"
        ),
    )
    service_staff = [u.pk for n, u in users.items() if n in ("chen", "wangli", "liuyang")]
    services.meeting_create(
        by=manager,
        title="客服部座谈会：如何提高电话接通率",
        held_on=today - timedelta(days=9),
        department_id=_first_department(users["wangli"]) if "wangli" in users else None,
        attendee_ids=service_staff,
        notes="周末来电多，接通率只有七成；客户反映等待音乐太长。",
        decisions="周末排班增加一人——陈静\n试行回拨：未接来电三十分钟内回拨——王丽",
    )
    return 2


def _ratings(rng, users) -> int:
    if HandoverRating.objects.exists():
        return 0
    members: dict[int, list] = {}
    for m in DepartmentMembership.objects.filter(user__in=users.values()).select_related("user"):
        members.setdefault(m.department_id, []).append(m.user)
    # Each pair has its own habit, so the table shows strong and weak handovers.
    bias: dict[tuple[int, int], float] = {}
    since = timezone.now() - timedelta(days=DAYS)
    records = (
        ServiceRecord.objects.filter(created_at__gte=since)
        .prefetch_related("collaborating_departments")
        .order_by("pk")
    )
    now = timezone.now()
    made = 0
    for record in records:
        involved = [record.lead_department_id] + [
            d.pk for d in record.collaborating_departments.all()
        ]
        for sender in involved:
            for receiver in involved:
                if sender == receiver or receiver not in members or rng.random() > 0.35:
                    continue
                pair = (sender, receiver)
                lean = bias.setdefault(pair, rng.uniform(-1.2, 0.8))
                score = max(1, min(5, round(rng.gauss(3.8 + lean, 0.9))))
                # Rated within ten days of the handover, and never later than now.
                window = min(now - record.created_at, timedelta(days=10))
                services.handover_rate(
                    by=rng.choice(members[receiver]),
                    record_id=record.pk,
                    from_department_id=sender,
                    to_department_id=receiver,
                    score=score,
                    comment=rng.choice(HANDOVER_COMMENTS[score]),
                    created_at=record.created_at + window * rng.random(),
                )
                made += 1
    return made
