"""Callback visits for the benchmark, loaded with COPY by bench/generate.py after the records.

One visit per five records (200,000 at 1M records, 20,000 at 100k), made as the desk's shipped
rules (followups.defaults, department customer-service) would have made them since the desk
started calling back, about seven months ago:

- periodic care: every non-archived key customer once per 30-day period (the scan's periods,
  followups.scheduling.period_start), due at the start of business on the customer's day of the
  period (periodic_due_day), assigned to the account owner or left in the queue;
- greetings: every key customer before each greeting date since then, and the ones within the
  scan's look-ahead (14 days), due the working day before the date;
- after-service visits: the rest, for the most recently resolved records of the rules' categories
  (installation, repair, periodic inspection, delivery): due the rule's working days after the
  resolution, assigned to the record's assignee or the customer-service queue.

Where each visit stands follows the clock: windows in the past are done (one to three attempts,
an outcome, satisfaction mostly 4–5) or missed (three attempts or a closed window, escalated), a
few cancelled; visits due now are partly done; future ones are scheduled (most in the next two
weeks, since after-service visits fall due days after a resolution). Queue visits someone worked
were taken first (they carry that assignee). audience = tickets.visibility.record_audience,
remind_at = due_at - the rule's reminder lead (1 h), reminded once that time has passed. Every
visit has its status log (core.StatusChange) and its attempts (CallbackAttempt); each periodic or
greeting period gets its ScanMark at the last customer of the tier, as a finished scan leaves it.

Business time is the generator's weekly clock (holidays ignored), so no calendar is read per row.
A separate random stream (seeded from --seed) keeps the records identical with or without visits.
"""

import random
from bisect import bisect
from datetime import date, timedelta

from followups import scheduling as sched
from followups.models import CallbackVisit, GreetingDate, Trigger
from followups.services import GREETING_LOOKAHEAD_DAYS
from tickets.visibility import record_audience

# Loaded by COPY with their secondary indexes and foreign keys rebuilt (bench/generate.py TABLES).
TABLES = ["followups_callbackvisit", "followups_callbackattempt"]
VISITS_PER_RECORD = 0.2
PERIODS = 7  # 30-day periods of periodic care: the desk has been calling back for ~7 months
DAY = 86_400
N = "\\N"

VISIT_COLS = [
    "id", "created_at", "updated_at", "customer_id", "contact_id", "purpose", "method", "status",
    "rule_id", "source_record_id", "period", "department_id", "assignee_id", "address", "due_at",
    "window_end", "remind_at", "reminded_at", "escalated_at", "attempts", "reached",
    "reached_person", "product_state", "questions_answered", "satisfaction", "expectation",
    "notes", "new_issue_record_id", "new_need_record_id", "completed_at", "completed_by_id",
    "created_by_id", "audience", "version",
]  # fmt: skip
ATTEMPT_COLS = ["visit_id", "at", "by_id", "reached", "note"]

PEOPLE = ["本人", "本人", "本人", "家属", "前台", "同事"]
NOT_REACHED = ["无人接听", "关机", "忙线", "客户说稍后再打", "号码暂时无法接通"]
SATISFACTION = [(5, 55), (4, 30), (3, 10), (2, 3), (1, 2)]
NOTES = {
    "after_service": ["设备运行正常，客户满意", "客户对上门服务评价好", "客户反映安装师傅很专业",
                      "已提醒客户定期清洁保养", "客户询问保修期限，已说明", ""],
    "periodic": ["客户近期使用正常", "客户有续约意向", "提醒客户年度保养时间", "客户暂无新需求",
                 ""],
    "greeting": ["已致节日问候", "客户表示感谢", ""],
}  # fmt: skip
QUESTIONS = ["保修期限", "耗材购买渠道", "保养周期", "发票开具"]
CANCEL_REASONS = ["客户要求不再回访", "客户已联系过客服", "重复回访"]


def _weighted(pairs):
    values, total, cum = [], 0, []
    for value, weight in pairs:
        total += weight
        values.append(value)
        cum.append(total)
    return values, cum, total


class VisitMaker:
    def __init__(self, gen, cursor, seed: int):
        self.gen, self.cursor = gen, cursor
        self.rng = random.Random(seed * 13 + 5)  # noqa: S311 - reproducible data, not security
        self.clock, self.ts, self.now = gen.clock, gen.ts, gen.now
        self.rows: list[dict] = []
        self._rules()
        self.sat = _weighted(SATISFACTION)

    # --- reference data ------------------------------------------------------------------------

    def _rules(self) -> None:
        from followups.defaults import callback_seed_defaults

        rules = callback_seed_defaults()["rules"]  # idempotent: seed_demo made them already
        if not rules:
            raise SystemExit("no callback rules: the department customer-service is missing")
        self.rules = list(rules.values())
        self.by_category: dict[int, object] = {}
        for rule in self.rules:
            if rule.trigger == Trigger.RECORD_RESOLVED and rule.is_active:
                for category in rule.categories.all():
                    self.by_category.setdefault(category.pk, rule)
        self.periodic = [
            r
            for r in self.rules
            if r.trigger == Trigger.PERIODIC and r.is_active and r.interval_days
        ]
        self.greeting = [r for r in self.rules if r.trigger == Trigger.GREETING and r.is_active]

    def _tier_customers(self, tier: str) -> list[tuple[int, int | None]]:
        where = "NOT is_archived" + (" AND management_tier = %s" if tier else "")
        self.cursor.execute(
            f"SELECT id, owner_id FROM customers_customer WHERE {where} ORDER BY id",  # noqa: S608
            [tier] if tier else [],
        )
        return self.cursor.fetchall()

    def _existing(self, sql: str) -> set:
        self.cursor.execute(sql)
        return set(self.cursor.fetchall())

    # --- time -----------------------------------------------------------------------------------

    def day_start(self, day: date) -> int:
        """UTC second of the local midnight starting `day`."""
        return (day - date(1970, 1, 1)).days * DAY - self.clock.offset

    def local_date(self, t: int) -> date:
        return date(1970, 1, 1) + timedelta(days=(t + self.clock.offset) // DAY)

    def after_business(self, t: int, minutes: float) -> int:
        """`minutes` of business time after `t`, at the first business moment (next_slot)."""
        return self.clock.at(self.clock.bm(t) + minutes)

    # --- the visits -----------------------------------------------------------------------------

    def plan(self, total: int) -> dict:
        today = self.local_date(self.now)
        made = {"periodic": 0, "greeting": 0, "after_service": 0}
        have_period = self._existing(
            "SELECT rule_id, customer_id, period FROM followups_callbackvisit"
            " WHERE period IS NOT NULL AND status <> 'cancelled'"
        )
        self.marks: dict[tuple[int, date], int] = {}
        for rule in self.periodic:
            customers = self._tier_customers(rule.customer_tier)
            current = sched.period_start(today, rule.interval_days)
            for k in range(PERIODS):
                period = current - timedelta(days=k * rule.interval_days)
                # The scan ran in the first minutes of the period.
                created = self.day_start(period) + 300 + int(self.rng.random() * 600)
                for cid, owner in customers:
                    if (rule.pk, cid, period) in have_period:
                        continue
                    day = sched.periodic_due_day(
                        period,
                        interval_days=rule.interval_days,
                        delay_days=rule.delay_days,
                        customer_id=cid,
                    )
                    due = self.after_business(max(self.day_start(day), created), 0)
                    self._add(rule, "periodic", cid, owner, None, period, created, due)
                    made["periodic"] += 1
                if customers:
                    self.marks[rule.pk, period] = customers[-1][0]
        start = self.day_start(sched.period_start(today, 30) - timedelta(days=30 * (PERIODS - 1)))
        dates = list(
            GreetingDate.objects.filter(
                is_active=True,
                date__gte=self.local_date(start) + timedelta(days=GREETING_LOOKAHEAD_DAYS),
                date__lte=today + timedelta(days=GREETING_LOOKAHEAD_DAYS),
            ).values_list("date", flat=True)
        )
        for rule in self.greeting:
            customers = self._tier_customers(rule.customer_tier)
            for greeting in dates:
                created = self.day_start(greeting - timedelta(days=GREETING_LOOKAHEAD_DAYS)) + 300
                day = greeting - timedelta(days=rule.delay_days)
                while not self.clock.is_work[day.weekday()]:
                    day -= timedelta(days=1)
                due = self.after_business(self.day_start(day), 0)
                for cid, owner in customers:
                    if (rule.pk, cid, greeting) in have_period:
                        continue
                    self._add(rule, "greeting", cid, owner, None, greeting, created, due)
                    made["greeting"] += 1
                if customers:
                    self.marks[rule.pk, greeting] = customers[-1][0]
        made["after_service"] = self._after_service(max(0, total - len(self.rows)))
        return made

    def _after_service(self, wanted: int) -> int:
        """The most recently resolved records of the rules' categories that have no visit yet."""
        if not wanted or not self.by_category:
            return 0
        self.cursor.execute(
            """
            SELECT r.id, r.customer_id, r.contact_id, r.assignee_id, r.category_id,
                   extract(epoch FROM r.resolved_at)::bigint, c.owner_id
            FROM tickets_servicerecord r
            JOIN customers_customer c ON c.id = r.customer_id
            WHERE r.resolved_at IS NOT NULL AND r.resolved_at <= %s AND NOT c.is_archived
              AND r.category_id = ANY(%s)
              AND NOT EXISTS (SELECT 1 FROM followups_callbackvisit v
                              WHERE v.source_record_id = r.id AND v.status <> 'cancelled')
            ORDER BY r.resolved_at DESC, r.id DESC
            LIMIT %s
            """,
            [self.gen.anchor, list(self.by_category), wanted],
        )
        rows = self.cursor.fetchall()
        for rid, cid, contact, assignee, category, resolved, owner in rows:
            rule = self.by_category[category]
            due = self.after_business(resolved, rule.delay_days * self.clock.length)
            created = resolved + 1 + int(self.rng.random() * 5)  # the subscriber, at once
            self._add(
                rule, "after_service", cid, owner, (rid, contact, assignee), None, created, due
            )
        return len(rows)

    def _add(self, rule, purpose, cid, owner, record, period, created, due) -> None:
        if rule.assign_to == "record_assignee" and record is not None:
            assignee = record[2]
        elif rule.assign_to == "account_owner":
            assignee = owner
        else:
            assignee = None
        window_end = self.after_business(due, rule.window_days * self.clock.length)
        self.rows.append(
            {
                "rule": rule,
                "purpose": purpose,
                "customer": cid,
                "record": record[0] if record else None,
                "contact": record[1] if record else None,
                "assignee": assignee,
                "period": period,
                "created": created,
                "due": due,
                "window_end": max(window_end, due),
            }
        )

    # --- where each visit stands now ------------------------------------------------------------

    def staff_of(self, department_id: int) -> list[int]:
        return self.gen.dept_staff.get(department_id) or self.gen.agents

    def attempt_times(self, v: dict, rule) -> list[int]:
        """When the calls were (or will be) made: the first soon after the due time, the next
        after the rule's doubling backoff, all inside the window."""
        r = self.rng.random
        first = self.after_business(v["due"], r() * 150)
        times = [first]
        wait = rule.retry_minutes
        while len(times) < rule.max_attempts:
            nxt = self.after_business(times[-1], wait)
            if nxt >= v["window_end"]:
                break
            times.append(nxt)
            wait *= 2
        return [t for t in times if t < v["window_end"]] or [v["due"]]

    def settle(self, v: dict) -> None:
        """Status, attempts and outcome of one visit, from its timeline against now."""
        r, rule, now = self.rng.random, v["rule"], self.now
        dept = rule.department_id
        v.update(status="scheduled", attempts=[], completed=None, by=None, reached=None)
        v["changes"] = [("", "scheduled", v["created"], None, "")]
        if r() < 0.02:  # cancelled by someone, before it was made
            at = v["created"] + int(r() * max(60, min(now, v["due"]) - v["created"]))
            who = self.staff_of(dept)[int(r() * len(self.staff_of(dept)))]
            v.update(status="cancelled", completed=None, by=who)
            v["changes"].append(("scheduled", "cancelled", at, who, CANCEL_REASONS[int(r() * 3)]))
            return
        # Someone took it from the queue before calling: most of those due, a few ahead of time.
        if v["assignee"] is None and r() < (0.9 if v["due"] <= now else 0.15):
            staff = self.staff_of(dept)
            v["assignee"] = staff[int(r() * len(staff))]
        caller = v["assignee"] or self.staff_of(dept)[int(r() * len(self.staff_of(dept)))]
        times = self.attempt_times(v, rule)
        roll = r()
        reached_on = 1 if roll < 0.72 else 2 if roll < 0.86 else 3 if roll < 0.92 else 0
        late = r() < 0.04  # made after the window closed: missed first, then done
        for k, at in enumerate(times, start=1):
            if at > now:
                break
            reached = k == reached_on
            v["attempts"].append((at, caller, reached))
            if reached:
                v.update(status="done", completed=at, by=caller, reached=True)
                v["changes"].append(("scheduled", "done", at, caller, ""))
                return
        tried = len(v["attempts"])
        if tried >= rule.max_attempts or v["window_end"] <= now:
            if tried == 0 and v["window_end"] > now:
                return
            missed_at = (
                v["attempts"][-1][0] + 60
                if tried >= rule.max_attempts
                else v["window_end"] + 300 + int(r() * 600)
            )
            if missed_at > now:
                return
            v.update(status="missed", reached=False, escalated=missed_at + 2)
            reason = "not reached after attempts" if tried >= rule.max_attempts else "window closed"
            v["changes"].append(("scheduled", "missed", missed_at, None, reason))
            if late and reached_on:
                at = missed_at + int((0.5 + r() * 3) * DAY)
                if at < now:
                    v["attempts"].append((at, caller, True))
                    v.update(status="done", completed=at, by=caller, reached=True)
                    v["changes"].append(("missed", "done", at, caller, ""))
            return
        if tried:  # still open: due again at the next attempt (visit_not_reached's backoff)
            nxt = times[tried] if tried < len(times) else v["window_end"]
            v["due"] = max(nxt, v["due"])

    # --- rows -----------------------------------------------------------------------------------

    def write(self, load, first_id: int, ct: int) -> dict:
        r, ts = self.rng.random, self.ts
        load.table("followups_callbackvisit", VISIT_COLS)
        load.table("followups_callbackattempt", ATTEMPT_COLS)
        self.rows.sort(key=lambda v: (v["created"], v["customer"]))
        counts = {"scheduled": 0, "done": 0, "missed": 0, "cancelled": 0}
        sat_values, sat_cum, sat_total = self.sat
        for n, v in enumerate(self.rows):
            self.settle(v)
            vid = first_id + n
            rule, status = v["rule"], v["status"]
            counts[status] += 1
            remind = v["due"] - rule.remind_minutes * 60
            reminded = remind + 30 + int(r() * 240) if remind + 300 <= self.now else None
            done = status == "done"
            sat = expectation = N
            person = product = questions = ""
            notes = ""
            if done:
                person = PEOPLE[int(r() * len(PEOPLE))]
                product = "problem" if r() < 0.08 else "normal"
                s = sat_values[bisect(sat_cum, r() * sat_total)]
                sat = str(s)
                expectation = (
                    "worse" if s <= 2 else ("better" if s == 5 and r() < 0.35 else "as_expected")
                )
                questions = QUESTIONS[int(r() * len(QUESTIONS))] if r() < 0.15 else ""
                texts = NOTES[v["purpose"]]
                notes = texts[int(r() * len(texts))]
            elif status == "cancelled":
                notes = v["changes"][-1][4]
            updated = max(
                [v["created"], *(c[2] for c in v["changes"]), *(a[0] for a in v["attempts"])]
            )
            row = [
                str(vid),
                ts(v["created"]),
                ts(updated),
                str(v["customer"]),
                str(v["contact"]) if v["contact"] else N,
                v["purpose"],
                rule.method,
                status,
                str(rule.pk),
                str(v["record"]) if v["record"] else N,
                v["period"].isoformat() if v["period"] else N,
                str(rule.department_id),
                str(v["assignee"]) if v["assignee"] else N,
                "",
                ts(v["due"]),
                ts(v["window_end"]),
                ts(remind),
                ts(reminded) if reminded else N,
                ts(v["escalated"]) if v.get("escalated") else N,
                str(len(v["attempts"])),
                "t" if v["reached"] else ("f" if v["reached"] is False else N),
                person,
                product,
                questions,
                sat,
                expectation if done else "",
                notes,
                N,
                N,
                ts(v["completed"]) if done else N,
                str(v["by"]) if done else N,
                N,
                _json(
                    record_audience(
                        lead_department_id=rule.department_id, assignee_id=v["assignee"]
                    )
                ),  # fmt: skip
                str(len(v["changes"]) + len(v["attempts"])),
            ]
            if status == "cancelled":
                row[-1] = str(len(v["changes"]))
            load.add("followups_callbackvisit", "\t".join(row))
            for at, by, reached in v["attempts"]:
                note = "" if reached else NOT_REACHED[int(r() * len(NOT_REACHED))]
                load.add(
                    "followups_callbackattempt",
                    f"{vid}\t{ts(at)}\t{by}\t{'t' if reached else 'f'}\t{note}",
                )
            for frm, to, at, by, reason in v["changes"]:
                load.add(
                    "core_statuschange",
                    f"{vid}\tstatus\t{frm}\t{to}\t{reason}\t{ts(at)}\t{by or N}\t{ct}",
                )
        load.flush()
        return counts

    def save_marks(self) -> None:
        """The scan's cursor at the end of each generated period, as a finished scan leaves it."""
        for (rule_id, period), last in sorted(self.marks.items()):
            self.cursor.execute(
                "INSERT INTO followups_scanmark (rule_id, period, last_customer_id, updated_at)"
                " VALUES (%s, %s, %s, now()) ON CONFLICT (rule_id, period) DO UPDATE"
                " SET last_customer_id = GREATEST(followups_scanmark.last_customer_id,"
                " EXCLUDED.last_customer_id)",
                [rule_id, period, last],
            )


def _json(audience: dict) -> str:
    return "{" + ", ".join(f'"{k}": true' for k in audience) + "}"


def load_visits(gen, load, cursor, *, seed: int, check_columns, next_id) -> dict:
    """Plan, settle and COPY the visits (with attempts and status log) and set the scan marks;
    returns the counts for the generator's summary line. check_columns and next_id are
    bench/generate.py's (run as a script, it is not importable as a module)."""
    from django.contrib.contenttypes.models import ContentType

    check_columns(cursor, "followups_callbackvisit", VISIT_COLS)
    check_columns(cursor, "followups_callbackattempt", ATTEMPT_COLS)
    maker = VisitMaker(gen, cursor, seed)
    total = int(gen.records * VISITS_PER_RECORD)
    made = maker.plan(total)
    counts = maker.write(
        load,
        next_id(cursor, "followups_callbackvisit"),
        ContentType.objects.get_for_model(CallbackVisit).pk,
    )
    maker.save_marks()
    return {"visits": len(maker.rows), **made, **counts}
