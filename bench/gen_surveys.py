"""Survey invitations, responses and answers for the benchmark, loaded with COPY by
bench/generate.py after the complaints.

Three answered surveys per ten records (300,000 at 1M records, 30,000 at 100k), with their
answers (one per question answered: about 1.8M at 1M) and their invitations, plus one unanswered
invitation for every three answered (pending, opened or expired), so the response rate reads about
75%. They use the shipped templates (surveys/defaults.py, data migration 0002), as the triggers
would have: after-service for resolved records (most), after-callback for done visits (a fifth),
complaint-recheck for closed complaints (up to a twentieth), over the last year, more of them
recent. An invitation copies its subject's stage, department and agent; it is sent at the
resolution (or the visit, or the close), answered within days, expiring 14 days after.

Ratings lean high as a desk's do (5: 45%, 4: 30%, 3: 12%, 2: 8%, 1: 5%), the likelihood to
recommend and the other answers follow the rating, and is_low is the policy's rule (rating ≤ 2 or
likelihood ≤ 6). One in ten is entered by staff on a call (channel phone, entered_by the agent).
No complaints are opened for the low ones (the lists do not read them) and no domain events are
written. The token hashes are SHA-256 of a per-row string: no bench token can be derived from
them, so bench/endpoints.py makes its own invitations through the service.

A separate random stream (seeded from --seed) keeps the rows before it identical with or without
surveys.
"""

import hashlib
import json
import random
from bisect import bisect
from datetime import UTC, datetime

from bench import gen_text as zh

# Loaded by COPY with their secondary indexes and foreign keys rebuilt (bench/generate.py TABLES).
TABLES = ["surveys_surveyinvitation", "surveys_surveyresponse", "surveys_answer"]
ANSWERED_PER_RECORD = 0.3
UNANSWERED_PER_ANSWERED = 1 / 3
STAFF_ENTERED = 0.1
DAY = 86_400
N = "\\N"

INVITATION_COLS = [
    "id", "template_id", "customer_id", "record_id", "visit_id", "complaint_id", "subject",
    "stage", "department_id", "agent_id", "channel", "language", "email", "token_salt",
    "token_hash", "status", "created_at", "sent_at", "opened_at", "answered_at", "expires_at",
    "created_by_id",
]  # fmt: skip
RESPONSE_COLS = [
    "id", "invitation_id", "template_id", "customer_id", "submitted_at", "entered_by_id",
    "rating", "nps", "stage", "department_id", "agent_id", "is_low", "complaint_id",
    "wants_meeting", "wants_supervisor", "wants_contact",
]  # fmt: skip
ANSWER_COLS = ["response_id", "question_id", "number", "choice", "text"]

RATINGS = [(5, 45), (4, 30), (3, 12), (2, 8), (1, 5)]
# The likelihood to recommend given the rating: a range drawn uniformly.
NPS_FOR = {5: (8, 10), 4: (7, 10), 3: (5, 8), 2: (2, 6), 1: (0, 4)}
EXPECTATION_FOR = {5: "better", 4: "as_expected", 3: "as_expected", 2: "worse", 1: "worse"}
PRAISE = ["师傅很专业", "态度很好，很耐心", "上门很准时", "解释得很清楚", "处理速度快",
          "电话回访很及时", "服务周到"]  # fmt: skip
WANTS = ["希望一次就把问题解决", "想尽快用上{p}", "希望价格再实惠一些", "想要准确的上门时间",
         "希望有人跟进到底"]  # fmt: skip
SUGGESTIONS = ["希望能提前电话确认上门时间", "客服电话太难打通", "希望周末也能上门",
               "配件库存要充足", "收费标准应该提前说清楚", "安装后请把现场清理干净",
               "希望回访不要太频繁"]  # fmt: skip
LOW_WORDS = ["{p}还是{x}，很失望", "等了太久", "师傅态度不好", "承诺的事没有做到"]


def _weighted(pairs):
    values, cum, total = [], [], 0
    for value, weight in pairs:
        total += weight
        values.append(value)
        cum.append(total)
    return values, cum, total


class SurveyMaker:
    def __init__(self, gen, cursor, seed: int):
        self.gen, self.cursor = gen, cursor
        self.rng = random.Random(seed * 31 + 11)  # noqa: S311 - reproducible data, not security
        self.ts, self.now = gen.ts, gen.now
        self.ratings = _weighted(RATINGS)
        cursor.execute(
            "SELECT t.key, t.id, q.id, q.kind, q.is_main, q.required, q.aim, q.choices"
            " FROM surveys_surveytemplate t JOIN surveys_question q ON q.template_id = t.id"
            " WHERE t.key IN ('after-service', 'after-callback', 'complaint-recheck')"
            " ORDER BY t.key, q.position"
        )
        self.templates: dict[str, tuple[int, list[tuple]]] = {}
        for key, tid, qid, kind, is_main, required, aim, raw in cursor.fetchall():
            # Django reads jsonb as text through a raw cursor.
            choices = json.loads(raw) if isinstance(raw, str) else raw
            self.templates.setdefault(key, (tid, []))[1].append(
                (qid, kind, is_main, required, aim, [c["value"] for c in choices or []])
            )
        if len(self.templates) < 3:
            raise SystemExit("the shipped survey templates are missing: run `manage.py migrate`")

    def pick(self, seq):
        return seq[int(self.rng.random() * len(seq))]

    def text(self, choices: list[str]) -> str:
        return self.pick(choices).format(p=self.pick(zh.PRODUCTS), x=self.pick(zh.PROBLEMS))

    # --- what the invitations follow --------------------------------------------------------------

    def subjects(self, total: int) -> list[dict]:
        """`total` things asked about, newest-weighted over the last year: closed complaints,
        done callbacks and resolved records, as the three triggers would have chosen them."""
        since = datetime.fromtimestamp(self.now - 365 * DAY, UTC)
        cur, rng = self.cursor, self.rng
        cur.execute(
            "SELECT c.id, r.customer_id, r.stage, r.lead_department_id, r.assignee_id,"
            " extract(epoch FROM c.closed_at)::bigint FROM tickets_complaint c"
            " JOIN tickets_servicerecord r ON r.id = c.record_id"
            " WHERE c.closed_at >= %s ORDER BY c.id",
            [since],
        )
        complaints = cur.fetchall()
        cur.execute(
            "SELECT v.id, v.customer_id, COALESCE(r.stage, ''), v.department_id, v.assignee_id,"
            " extract(epoch FROM v.completed_at)::bigint FROM followups_callbackvisit v"
            " LEFT JOIN tickets_servicerecord r ON r.id = v.source_record_id"
            " WHERE v.status = 'done' AND v.completed_at >= %s"
            " AND v.purpose <> 'complaint_recheck' ORDER BY v.id",
            [since],
        )
        visits = cur.fetchall()
        cur.execute(
            "SELECT r.id, r.customer_id, r.stage, r.lead_department_id, r.assignee_id,"
            " extract(epoch FROM r.resolved_at)::bigint FROM tickets_servicerecord r"
            " WHERE r.resolved_at >= %s AND NOT EXISTS"
            " (SELECT 1 FROM tickets_complaint c WHERE c.record_id = r.id) ORDER BY r.id",
            [since],
        )
        records = cur.fetchall()
        # Not what seed_demo already asked about: one open invitation per customer and subject.
        cur.execute("SELECT subject FROM surveys_surveyinvitation")
        taken = {row[0] for row in cur.fetchall()}
        complaints = [c for c in complaints if f"complaint:{c[0]}" not in taken]
        visits = [v for v in visits if f"visit:{v[0]}" not in taken]
        records = [x for x in records if f"record:{x[0]}" not in taken]
        n_complaints = min(len(complaints), total // 20)
        n_visits = min(len(visits), total // 5)
        n_records = min(len(records), total - n_complaints - n_visits)
        out = []
        for key, kind, rows, n in (
            ("complaint-recheck", "complaint", complaints, n_complaints),
            ("after-callback", "visit", visits, n_visits),
            ("after-service", "record", records, n_records),
        ):
            for sid, customer, stage, dept, agent, at in rng.sample(rows, n):
                out.append(
                    {
                        "key": key,
                        "kind": kind,
                        "id": sid,
                        "customer": customer,
                        "stage": stage or "",
                        "dept": dept,
                        "agent": agent,
                        "at": at + 3600 + int(rng.random() * 6 * 3600),
                    }
                )
        # The app numbers invitations as they are made: ids follow the time.
        out.sort(key=lambda s: (s["at"], s["kind"], s["id"]))
        return out

    # --- one response's answers -------------------------------------------------------------------

    def answers(self, questions, rating: int, nps: int) -> list[tuple]:
        r = self.rng.random
        rows = []
        for qid, kind, is_main, _required, aim, choices in questions:
            if kind == "rating":
                value = rating if is_main else max(1, min(5, rating + self.pick((-1, 0, 0, 1))))
                rows.append((qid, str(value), "", ""))
            elif kind == "nps":
                rows.append((qid, str(nps), "", ""))
            elif kind == "choice":
                if "better" in choices:
                    choice = EXPECTATION_FOR[rating] if r() < 0.8 else self.pick(choices)
                elif "nothing" in choices and rating >= 4 and r() < 0.6:
                    choice = "nothing"
                elif "yes" in choices:
                    choice = "yes" if rating >= 4 else ("partly" if rating == 3 else "no")
                else:
                    choice = self.pick(choices)
                rows.append((qid, N, choice, ""))
            elif r() < (0.5 if rating <= 2 else 0.25):  # optional text: mostly left empty
                if aim == "suggestions":
                    words = self.text(SUGGESTIONS if rating > 2 else LOW_WORDS)
                elif aim == "wants":
                    words = self.text(WANTS)
                else:
                    words = self.pick(PRAISE)
                rows.append((qid, N, "", words))
        return rows

    def write(self, load, subjects: list[dict], answered: set[int], first_inv: int, first_resp):
        r, ts, now = self.rng.random, self.ts, self.now
        values, cum, total = self.ratings
        counts = {"answered": 0, "unanswered": 0, "expired": 0, "low": 0, "staff": 0, "answers": 0}
        inv_id, resp_id = first_inv, first_resp
        for n, s in enumerate(subjects):
            tid, questions = self.templates[s["key"]]
            created = min(s["at"], now - 60)
            expires = created + 14 * DAY
            staff = s["agent"] and r() < STAFF_ENTERED
            channel = "phone" if staff else ("email" if r() < 0.7 else "link")
            is_answered = n in answered
            if is_answered:
                submitted = min(created + int(r() * r() * 5 * DAY) + 300, now - 30)
                status, opened = "answered", submitted - 120
            elif expires <= now:
                status, opened, submitted = ("opened" if r() < 0.3 else "pending"), None, None
                counts["expired"] += 1
            else:
                status, opened, submitted = ("opened" if r() < 0.3 else "pending"), None, None
            if status == "opened" and opened is None:
                opened = min(created + int(r() * 2 * DAY), now - 60)
            salt = f"{inv_id:016x}{int(r() * 2**64):016x}"
            load.add(
                "surveys_surveyinvitation",
                "\t".join(
                    [
                        str(inv_id),
                        str(tid),
                        str(s["customer"]),
                        str(s["id"]) if s["kind"] == "record" else N,
                        str(s["id"]) if s["kind"] == "visit" else N,
                        str(s["id"]) if s["kind"] == "complaint" else N,
                        f"{s['kind']}:{s['id']}",
                        s["stage"],
                        str(s["dept"]) if s["dept"] else N,
                        str(s["agent"]) if s["agent"] else N,
                        channel,
                        "en" if r() < 0.08 else "zh-hans",
                        "",
                        salt,
                        hashlib.sha256(f"bench:{salt}".encode()).hexdigest(),
                        status,
                        ts(created),
                        ts(created) if channel == "email" else N,
                        ts(opened) if opened else N,
                        ts(submitted) if submitted else N,
                        ts(expires),
                        str(s["agent"]) if staff else N,
                    ]
                ),
            )
            if is_answered:
                rating = values[bisect(cum, r() * total)]
                low, high = NPS_FOR[rating]
                nps = low + int(r() * (high - low + 1))
                is_low = rating <= 2 or nps <= 6
                counts["answered"] += 1
                counts["low"] += is_low
                counts["staff"] += bool(staff)
                load.add(
                    "surveys_surveyresponse",
                    "\t".join(
                        [
                            str(resp_id),
                            str(inv_id),
                            str(tid),
                            str(s["customer"]),
                            ts(submitted),
                            str(s["agent"]) if staff else N,
                            str(rating),
                            str(nps),
                            s["stage"],
                            str(s["dept"]) if s["dept"] else N,
                            str(s["agent"]) if s["agent"] else N,
                            "t" if is_low else "f",
                            N,
                            "t" if r() < 0.04 else "f",
                            "t" if r() < 0.02 else "f",
                            "t" if is_low and r() < 0.3 else "f",
                        ]
                    ),
                )
                for qid, number, choice, text in self.answers(questions, rating, nps):
                    counts["answers"] += 1
                    load.add("surveys_answer", f"{resp_id}\t{qid}\t{number}\t{choice}\t{text}")
                resp_id += 1
            else:
                counts["unanswered"] += 1
            inv_id += 1
        load.flush()
        return counts


def load_surveys(gen, load, cursor, *, seed: int, check_columns, next_id) -> dict:
    """Choose the subjects, then COPY the invitations, responses and answers; returns the counts
    for the generator's summary line. check_columns and next_id are bench/generate.py's."""
    check_columns(cursor, "surveys_surveyinvitation", INVITATION_COLS)
    check_columns(cursor, "surveys_surveyresponse", RESPONSE_COLS)
    check_columns(cursor, "surveys_answer", ANSWER_COLS)
    maker = SurveyMaker(gen, cursor, seed)
    want_answered = int(gen.records * ANSWERED_PER_RECORD)
    subjects = maker.subjects(int(want_answered * (1 + UNANSWERED_PER_ANSWERED)))
    # Which of them were answered: a uniform draw (a recent one answers within minutes if so).
    n_answered = min(want_answered, len(subjects))
    answered = set(maker.rng.sample(range(len(subjects)), n_answered))
    load.table("surveys_surveyinvitation", INVITATION_COLS)
    load.table("surveys_surveyresponse", RESPONSE_COLS)
    load.table("surveys_answer", ANSWER_COLS)
    counts = maker.write(
        load,
        subjects,
        answered,
        next_id(cursor, "surveys_surveyinvitation"),
        next_id(cursor, "surveys_surveyresponse"),
    )
    return {"invitations": len(subjects), **counts}


ROLLUP_TABLES = [
    "surveys_surveyday",
    "surveys_surveyagentday",
    "surveys_answerday",
    "surveys_rolledday",
    "surveys_invitationday",
    "surveys_invitationrolledday",
]


def roll_all(cursor) -> int:
    """Sum every closed day into the survey rollups (the responses' and the invitations'), as the
    hourly beat would have (the COPY sent no signals and ran no beat), then refresh their
    statistics; returns the days summed."""
    from surveys import rollups

    days = rollups.roll_pending(limit=100_000)
    for table in ROLLUP_TABLES:
        cursor.execute(f"ANALYZE {table}")
    return days
