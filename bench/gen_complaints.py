"""Complaints for the benchmark, loaded with COPY by bench/generate.py after the visits.

Three complaints per hundred records (30,000 at 1M records, 3,000 at 100k). Each is one of the
generated records made a complaint record (tickets.complaints: one-to-one, as complaint_open makes
it): a random draw among the records of every stage, category and department whose priority a
severity maps to (normal → 一般, high → 较重, urgent → 严重; no complaint is of low priority),
so the complaints spread over pre-sale, in-sale and after-sale work and over every audience as the
records do. The record's subject gets the prefix 投诉：; about a third name an earlier record
of the same customer as the record complained about.

Each complaint's six steps are simulated from the record's creation, in business time (the
generator's weekly clock), and where the complaint stands is where that timeline stands now:
respect within the half hour, listening within hours, the restatement (not confirmed about one in
eight times: back to listening), the options within days, step 5's one to three actions due one to
eight working days later (mostly done on time; some late after the customer was told a new date,
some late by surprise), the re-check a few days after the last action (satisfied → closed; not
satisfied → the options again; unreachable → a manager closes it with a reason). About four in ten
stop at a step and stay there — most with step 5's actions open past their date (overdue) — so
about six in ten are closed, nearly all of them satisfied, and the open ones span the two years.

Every step taken has its ComplaintStepEntry (the data tickets/complaints/steps.py's cleaners
return, with the round after a loop), step 5 its ComplaintAction rows (reminded and escalated as
beat would have done), and every step change its core.StatusChange row (field "step"), as
servicedesk.core.transitions writes them. No simple_history rows and no re-check callback visits
are written (the generator writes no history, and the lists do not read the visits).

A separate random stream (seeded from --seed) keeps the records identical with or without
complaints.
"""

import json
import random
from bisect import bisect
from datetime import UTC, date, datetime, timedelta

from bench import gen_text as zh
from tickets.complaints.models import Complaint

# Loaded by COPY with their secondary indexes and foreign keys rebuilt (bench/generate.py TABLES).
TABLES = ["tickets_complaint", "tickets_complaintstepentry", "tickets_complaintaction"]
COMPLAINTS_PER_RECORD = 0.03
DAY = 86_400
N = "\\N"

COMPLAINT_COLS = [
    "id", "created_at", "updated_at", "record_id", "about_record_id", "responsible_department_id",
    "channel", "severity", "wants_manager", "step", "step_since", "outcome", "close_reason",
    "closed_at", "version", "record_created_at",
]  # fmt: skip
ENTRY_COLS = ["complaint_id", "step", "round", "data", "started_at", "taken_at", "by_id",
              "version"]  # fmt: skip
ACTION_COLS = [
    "complaint_id", "round", "description", "owner_id", "due_date", "record_id", "done_at",
    "told_at", "original_due_date", "reminded_at", "escalated_at",
]  # fmt: skip
CHANGE_COLS = ["object_id", "field", "from_state", "to_state", "reason", "at", "by_id",
               "content_type_id"]  # fmt: skip

SEVERITY = {"normal": "general", "high": "serious", "urgent": "severe"}
CHANNELS = [("phone", 40), ("online", 22), ("visit", 10), ("written", 8), ("survey", 8),
            ("callback", 12)]  # fmt: skip
# Where a complaint stops for good (None: it runs to the end). "act_do": the actions are planned
# but not all done, so they fall past their dates.
STALLS = [(None, 620), ("respect", 15), ("listen", 30), ("restate", 25), ("options", 50),
          ("act_plan", 30), ("act_do", 170), ("recheck", 60)]  # fmt: skip

RESPECT_WORDS = [
    "谢谢您把情况告诉我", "给您带来不便,我向您道歉", "非常理解您的心情",
    "感谢您的耐心,我们一定认真处理", "您反映的问题很重要,谢谢您", "让您久等了,真的很抱歉",
]  # fmt: skip
FEELINGS = ["很生气", "非常失望", "着急", "觉得不被重视", "担心安全", "很无奈", "不满意"]
WANTS = ["尽快上门处理", "更换新品", "退款", "给个明确说法", "减免费用", "今天之内解决",
         "经理出面道歉"]  # fmt: skip
THINKING = ["觉得公司不守信用", "认为产品有质量问题", "怀疑师傅不专业", "觉得客服推诿",
            "认为收费不合理", "担心以后还会出问题"]  # fmt: skip
FACTS = [
    "约定上午九点上门,师傅十一点才到", "安装后第二天出现{x}", "已经报修两次,问题依旧",
    "送货时外包装破损,{p}有划痕", "电话打了三次都没人回复", "发票金额与合同不符",
    "{p}使用不到一个月就{x}",
]  # fmt: skip
REQUESTS = ["{r}", "要求{p}{x}的问题本周内解决", "希望更换一台新的{p}", "要求退还安装费",
            "希望公司书面道歉并说明原因"]  # fmt: skip
OPTIONS = {
    "rework": ["派师傅返工处理", "重新安装{p}"],
    "replace": ["更换同型号新{p}", "更换有问题的部件"],
    "refund": ["退还相关费用", "全额退款并上门取回{p}"],
    "repair": ["免费上门维修{p}", "送修并提供备用{p}"],
    "compensate": ["减免安装费", "赠送一年延保", "补偿代金券"],
    "apologise": ["经理电话致歉并说明原因", "书面致歉并说明改进措施"],
}
REMEDIES = list(OPTIONS)
DECLINED = [("整单免费", "你可以获得安装费减免"), ("赔偿误工费", "你可以获得一年延保"),
            ("立即换新", "你可以先用备用机,新品到货后更换")]  # fmt: skip
ACTIONS = ["安排师傅上门返工", "更换{p}部件", "办理退款手续", "联系仓库调货", "回电告知处理进度",
           "提交质量部门检测", "经理致电道歉"]  # fmt: skip
UNREACHABLE = ["三次回访均无人接听,经理决定结案", "客户手机停机,经理决定结案"]
COSTS = [None, None, "0.00", "100.00", "200.00", "500.00"]


def _weighted(pairs):
    values, cum, total = [], [], 0
    for value, weight in pairs:
        total += weight
        values.append(value)
        cum.append(total)
    return values, cum, total


def copy_json(value) -> str:
    """JSON for a COPY text field: a backslash would start an escape there."""
    return json.dumps(value, ensure_ascii=False).replace("\\", "\\\\")


def iso(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat()


class Stop(Exception):  # noqa: N818 - control flow: the timeline stops here
    pass


class Flow:
    """One complaint's timeline: entries, actions and step log up to where it stands now."""

    def __init__(self, maker, rec: dict):
        self.m, self.rec = maker, rec
        self.step, self.since = "respect", rec["created"]
        self.entries: list[tuple] = []  # (step, round, data, started, taken, by)
        self.actions: list[dict] = []
        self.changes = [("", "respect", rec["created"], rec["agent"], "")]
        self.version = 1
        self.outcome = self.reason = ""
        self.closed_at = None
        self.last = rec["created"]

    def at(self, t: int, stall: str) -> int:
        """The next event's time, or Stop when the complaint stands still before it."""
        if t > self.m.now or self.rec["stall"] == stall:
            raise Stop
        return t

    def take(self, step: str, t: int, data: dict, by: int) -> None:
        n = 1 + sum(1 for e in self.entries if e[0] == step)
        self.entries.append((step, n, data, self.since, t, by))
        self.last = max(self.last, t)

    def move(self, to: str, t: int, by: int, reason: str = "") -> None:
        self.changes.append((self.step, to, t, by, reason))
        self.step, self.since = to, t
        self.version += 1
        self.last = max(self.last, t)

    def rounds(self, step: str) -> int:
        return sum(1 for e in self.entries if e[0] == step)


class ComplaintMaker:
    def __init__(self, gen, cursor, seed: int):
        self.gen, self.cursor = gen, cursor
        self.rng = random.Random(seed * 17 + 3)  # noqa: S311 - reproducible data, not security
        self.clock, self.ts, self.now = gen.clock, gen.ts, gen.now
        self.channels = _weighted(CHANNELS)
        self.stalls = _weighted(STALLS)
        from servicedesk.core.models import DepartmentMembership

        self.managers: dict[int, list[int]] = {}
        for dept, user in (
            DepartmentMembership.objects.filter(is_manager=True, user__is_active=True)
            .order_by("department_id", "user_id")
            .values_list("department_id", "user_id")
        ):
            self.managers.setdefault(dept, []).append(user)
        self.departments = sorted(gen.dept_staff)

    # --- helpers --------------------------------------------------------------------------------

    def pick(self, seq):
        return seq[int(self.rng.random() * len(seq))]

    def after(self, t: int, minutes: float) -> int:
        """`minutes` of business time after `t`."""
        return self.clock.at(self.clock.bm(t) + minutes)

    def local_date(self, t: int) -> date:
        return date(1970, 1, 1) + timedelta(days=(t + self.clock.offset) // DAY)

    def day_start(self, day: date) -> int:
        return (day - date(1970, 1, 1)).days * DAY - self.clock.offset

    def text(self, templates: list[str]) -> str:
        """One of `templates` with its product {p}, problem {x} or request {r} drawn."""
        text = self.pick(templates)
        if "{" not in text:
            return text
        pick = self.pick
        return text.format(p=pick(zh.PRODUCTS), x=pick(zh.PROBLEMS), r=pick(zh.REQUESTS))

    # --- which records ---------------------------------------------------------------------------

    def choose(self, total: int) -> list[dict]:
        cur = self.cursor
        cur.execute(  # not the demo's complaint records (seed_demo): one complaint per record
            "SELECT id FROM tickets_servicerecord r WHERE priority = ANY(%s) AND NOT EXISTS"
            " (SELECT 1 FROM tickets_complaint c WHERE c.record_id = r.id) ORDER BY id",
            [list(SEVERITY)],
        )
        candidates = [row[0] for row in cur.fetchall()]
        chosen = sorted(self.rng.sample(candidates, min(total, len(candidates))))
        cur.execute(
            """
            SELECT id, customer_id, extract(epoch FROM created_at)::bigint, priority,
                   lead_department_id, assignee_id, created_by_id
            FROM tickets_servicerecord WHERE id = ANY(%s) ORDER BY id
            """,
            [chosen],
        )
        recs = [
            {
                "id": rid,
                "customer": cust,
                "created": created,
                "priority": prio,
                "lead": lead,
                "assignee": assignee,
                "created_by": created_by,
            }
            for rid, cust, created, prio, lead, assignee, created_by in cur.fetchall()
        ]
        # The latest earlier record of the same customer: what about a third complain about.
        cur.execute(
            """
            SELECT DISTINCT ON (c.id) c.id, r.id
            FROM unnest(%s::bigint[], %s::bigint[], %s::timestamptz[]) AS c(id, customer, created)
            JOIN tickets_servicerecord r ON r.customer_id = c.customer AND r.created_at < c.created
            ORDER BY c.id, r.created_at DESC, r.id DESC
            """,
            [
                [r["id"] for r in recs],
                [r["customer"] for r in recs],
                [datetime.fromtimestamp(r["created"], UTC) for r in recs],
            ],
        )
        earlier = dict(cur.fetchall())
        ids = set(chosen)
        for rec in recs:
            about = earlier.get(rec["id"])
            rec["about"] = about if about not in ids and self.rng.random() < 0.35 else None
        # The app numbers complaints as they are opened: ids follow the creation time.
        recs.sort(key=lambda r: (r["created"], r["id"]))
        return recs

    # --- one complaint's timeline ----------------------------------------------------------------

    def simulate(self, rec: dict) -> Flow:
        r, gen = self.rng.random, self.gen
        staff = gen.dept_staff.get(rec["lead"]) or gen.agents
        rec["agent"] = rec["assignee"] or self.pick(staff)
        values, cum, total = self.stalls
        rec["stall"] = values[bisect(cum, r() * total)]
        flow = Flow(self, rec)
        agent, L = rec["agent"], self.clock.length  # business minutes per day
        try:
            t = flow.at(self.after(rec["created"], 1 + r() * 29), "respect")
            flow.take("respect", t, {"words": self.pick(RESPECT_WORDS), "said_at": iso(t)}, agent)
            flow.move("listen", t, agent)
            while True:  # listen, restate; not confirmed → listen again
                t = flow.at(self.after(t, 10 + r() * 230), "listen")
                flow.take(
                    "listen",
                    t,
                    {
                        "feeling": self.pick(FEELINGS),
                        "want": self.pick(WANTS),
                        "thinking": self.pick(THINKING),
                        "facts": self.text(FACTS),
                    },
                    agent,
                )
                flow.move("restate", t, agent)
                t = flow.at(self.after(t, 5 + r() * 475), "restate")
                confirmed = flow.rounds("restate") >= 1 or r() < 0.88
                restated = {"request": self.text(REQUESTS), "confirmed": confirmed}
                flow.take("restate", t, restated, agent)
                if confirmed:
                    flow.move("options", t, agent)
                    break
                flow.move("listen", t, agent)
            while True:  # options, act, recheck; not satisfied → options again
                t = flow.at(self.after(t, 60 + r() * 3 * L), "options")
                flow.take("options", t, self.options_data(t), agent)
                flow.move("act", t, agent)
                t = flow.at(self.after(t, 30 + r() * 2 * L), "act_plan")
                done = self.plan_actions(flow, t, staff)
                flow.version += 1  # taking step 5 saves the complaint (version) without a move
                if done is None or done > self.now or rec["stall"] == "act_do":
                    raise Stop
                t = done
                flow.move("recheck", t, flow.actions[-1]["owner"])
                t = flow.at(self.after(t, L * (0.5 + 4.5 * r())), "recheck")
                roll = r()
                if roll < 0.08 and flow.rounds("recheck") == 0:
                    flow.take("recheck", t, {"result": "not_satisfied", "note": ""}, agent)
                    flow.move("options", t, agent)
                    continue
                if roll < 0.12:
                    managers = self.managers.get(rec["lead"]) or self.managers.get(
                        self.pick(self.departments)
                    ) or [agent]  # fmt: skip
                    manager = self.pick(managers)
                    note = self.pick(UNREACHABLE)
                    flow.take("recheck", t, {"result": "unreachable", "note": note}, manager)
                    flow.outcome, flow.reason, flow.closed_at = "manager_closed", note, t
                    flow.move("closed", t, manager, note)
                else:
                    flow.take("recheck", t, {"result": "satisfied", "note": ""}, agent)
                    flow.outcome, flow.closed_at = "satisfied", t
                    flow.move("closed", t, agent)
                break
        except Stop:
            pass
        return flow

    def options_data(self, t: int) -> dict:
        r = self.rng.random
        day = self.local_date(t)
        options = []
        for _n in range(1 + int(r() * 3)):
            remedy = self.pick(REMEDIES)
            options.append(
                {
                    "description": self.text(OPTIONS[remedy]),
                    "remedy": remedy,
                    "cost": self.pick(COSTS),
                    "department": self.pick(self.departments) if r() < 0.3 else None,
                    "date": (day + timedelta(days=1 + int(r() * 7))).isoformat()
                    if r() < 0.5
                    else None,
                }
            )
        declined = []
        if r() < 0.2:
            request, alternative = self.pick(DECLINED)
            declined.append({"request": request, "alternative": alternative})
        return {"options": options, "choice": int(r() * len(options)), "declined": declined}

    def plan_actions(self, flow: Flow, t: int, staff: list[int]) -> int | None:
        """Step 5 taken at `t`: one to three actions with owners and dates; their done and told
        times as the timeline has them (None: one is never done). Returns when the last was done."""
        r, L = self.rng.random, self.clock.length
        rnd = flow.rounds("act") + 1
        about = flow.rec["about"]
        planned, last = [], 0
        count = 1 + int(r() * 3)
        never = int(r() * count) if flow.rec["stall"] == "act_do" else -1
        for k in range(count):
            days = 1 + int(r() * 8)
            due = self.local_date(self.after(t, days * L))
            a = {
                "round": rnd,
                "description": self.text(ACTIONS),
                "owner": self.pick(staff),
                "due": due,
                "record": about if about and r() < 0.3 else None,
                "planned": t,
                "done": None,
                "told": None,
                "original": None,
            }
            roll = r()
            end_of_due = self.clock.end_of_day(self.day_start(due))
            if roll < 0.78:  # on time
                a["done"] = self.after(t, days * L * (0.2 + 0.8 * r()))
                a["done"] = min(a["done"], end_of_due)
            elif roll < 0.9:  # a new date, told to the customer before the old one
                a["told"] = self.after(t, days * L * (0.1 + 0.8 * r()))
                a["original"] = due
                a["due"] = due + timedelta(days=1 + int(r() * 5))
                new_end = self.clock.end_of_day(self.day_start(a["due"]))
                a["done"] = min(self.after(a["told"], L * (0.5 + 4 * r())), new_end)
            else:  # late, by surprise
                a["done"] = self.after(end_of_due, L * (0.3 + 4.7 * r()))
            if k == never:
                a["done"] = None
            planned.append(a)
            last = None if last is None or a["done"] is None else max(last, a["done"])
        flow.actions.extend(planned)
        flow.take(
            "act",
            t,
            {
                "actions": [
                    {
                        "description": a["description"],
                        "owner": a["owner"],
                        "due_date": (a["original"] or a["due"]).isoformat(),
                        "record": a["record"],
                    }
                    for a in planned
                ]
            },
            flow.rec["agent"],
        )
        return last

    # --- rows ------------------------------------------------------------------------------------

    def write(self, load, recs: list[dict], first_id: int, ct: int, progress) -> dict:
        r, ts, now = self.rng.random, self.ts, self.now
        load.table("tickets_complaint", COMPLAINT_COLS)
        load.table("tickets_complaintstepentry", ENTRY_COLS)
        load.table("tickets_complaintaction", ACTION_COLS)
        ch_values, ch_cum, ch_total = self.channels
        counts = {"closed": 0, "satisfied": 0, "open_overdue": 0, "actions": 0, "entries": 0}
        for n, rec in enumerate(recs):
            cid = first_id + n
            flow = self.simulate(rec)
            severity = SEVERITY[rec["priority"]]
            roll = r()
            if roll < 0.7:
                responsible = rec["lead"]
            elif roll < 0.9:
                responsible = self.pick(self.departments)
            else:
                responsible = None
            wants = r() < {"general": 0.08, "serious": 0.18, "severe": 0.4}[severity]
            overdue = False
            for a in flow.actions:
                counts["actions"] += 1
                done = a["done"] if a["done"] is not None and a["done"] <= now else None
                told = a["told"] if a["told"] is not None and a["told"] <= now else None
                due = a["due"] if told else (a["original"] or a["due"])
                original = a["original"] if told else None
                # Beat's claims: reminded the day before the date (at 09:00, or when planned),
                # escalated the day after it when still open; a new date starts both afresh.
                since = told or a["planned"]
                remind = max(self.day_start(due - timedelta(days=1)) + 9 * 3600, since)
                escalate = self.day_start(due + timedelta(days=1)) + 9 * 3600
                reminded = remind if remind <= now and (done is None or done > remind) else None
                escalated = (
                    escalate if escalate <= now and (done is None or done > escalate) else None
                )
                overdue = overdue or (done is None and due < self.local_date(now))
                load.add(
                    "tickets_complaintaction",
                    "\t".join(
                        [
                            str(cid),
                            str(a["round"]),
                            a["description"],
                            str(a["owner"]),
                            due.isoformat(),
                            str(a["record"]) if a["record"] else N,
                            ts(done) if done else N,
                            ts(told) if told else N,
                            original.isoformat() if original else N,
                            ts(reminded) if reminded else N,
                            ts(escalated) if escalated else N,
                        ]
                    ),
                )
            for step, rnd, data, started, taken, by in flow.entries:
                counts["entries"] += 1
                load.add(
                    "tickets_complaintstepentry",
                    f"{cid}\t{step}\t{rnd}\t{copy_json(data)}\t{ts(started)}\t{ts(taken)}\t{by}\t1",
                )
            for frm, to, at, by, reason in flow.changes:
                load.add(
                    "core_statuschange", f"{cid}\tstep\t{frm}\t{to}\t{reason}\t{ts(at)}\t{by}\t{ct}"
                )
            closed = flow.step == "closed"
            counts["closed"] += closed
            counts["satisfied"] += flow.outcome == "satisfied"
            counts["open_overdue"] += not closed and overdue
            load.add(
                "tickets_complaint",
                "\t".join(
                    [
                        str(cid),
                        ts(rec["created"]),
                        ts(flow.last),
                        str(rec["id"]),
                        str(rec["about"]) if rec["about"] else N,
                        str(responsible) if responsible else N,
                        ch_values[bisect(ch_cum, r() * ch_total)],
                        severity,
                        "t" if wants else "f",
                        flow.step,
                        ts(flow.since),
                        flow.outcome,
                        flow.reason,
                        ts(flow.closed_at) if flow.closed_at else N,
                        str(flow.version),
                        ts(rec["created"]),
                    ]
                ),
            )
            if n % 1000 == 0:
                progress.show(n)
        load.flush()
        progress.end()
        return counts


def load_complaints(gen, load, cursor, *, seed: int, check_columns, next_id, progress) -> dict:
    """Choose, simulate and COPY the complaints (with step entries, actions and step log) and mark
    their records' subjects; returns the counts for the generator's summary line. check_columns,
    next_id and progress (Progress) are bench/generate.py's (run as a script, it is not
    importable as a module)."""
    from django.contrib.contenttypes.models import ContentType

    check_columns(cursor, "tickets_complaint", COMPLAINT_COLS)
    check_columns(cursor, "tickets_complaintstepentry", ENTRY_COLS)
    check_columns(cursor, "tickets_complaintaction", ACTION_COLS)
    maker = ComplaintMaker(gen, cursor, seed)
    recs = maker.choose(int(gen.records * COMPLAINTS_PER_RECORD))
    cursor.execute(
        "UPDATE tickets_servicerecord SET subject = '投诉：' || subject"
        " WHERE id = ANY(%s) AND subject NOT LIKE '投诉%%'",
        [[rec["id"] for rec in recs]],
    )
    counts = maker.write(
        load,
        recs,
        next_id(cursor, "tickets_complaint"),
        ContentType.objects.get_for_model(Complaint).pk,
        progress("complaints", len(recs)),
    )
    return {"complaints": len(recs), **counts}
