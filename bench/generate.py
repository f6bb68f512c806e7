"""Bulk volume for the benchmark, loaded with PostgreSQL COPY.

    DATABASE_URL=postgres://… DJANGO_SETTINGS_MODULE=servicedesk.settings.local \
        .venv/bin/python bench/generate.py --records 1000000 [--seed 20261124] [--now ISO]

Runs after `migrate` and `seed_demo`. `--records N` makes N service records, N/10 customers (each
with a primary contact and a phone, some with an e-mail, products owned and interactions), about
three messages per record and the status log of every record, plus ~50 agents in the active
departments; then bench/gen_visits.py adds callback visits (one per five records) and
bench/gen_complaints.py complaints (three per hundred records, with their steps and actions),
and bench/gen_surveys.py survey answers (three per ten records, with answers and invitations).
Same seed and same anchor time (`--now`, by default the current hour) give the same rows; a later
run without `--now` shifts every timestamp with the clock.

How it stays fast: rows are written as COPY text straight from Python (no ORM, no model
instances). Inside one transaction the non-unique secondary indexes and the foreign keys of the
loaded tables are dropped, the tables are loaded, then the indexes are re-created from the
definitions read from the catalogue (pg_indexes, so partial and GIN indexes come back exactly) and
the foreign keys re-added (one validating join each instead of one deferred check per row). The
identity sequences are moved past the explicit ids, then VACUUM ANALYZE refreshes the statistics
(autovacuum may be off).

The data follows the domain's rules: potential customers have only pre-sale records and own nothing;
a record's timeline is simulated (first response, optional pending spell, resolution, closing, in
business time against the desk's target policies) and its status is where that timeline stands now,
so old work is closed, the running backlog is a few percent and mostly recent, and only the late
minority of it is past due. No simple_history rows are written (as before): the pages read the
StatusChange log, which is complete.
"""

import argparse
import io
import json
import math
import os
import random
import sys
import time
from bisect import bisect
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from string import Formatter
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicedesk.settings.local")

import django  # noqa: E402

django.setup()

from bench import gen_complaints, gen_surveys, gen_visits  # noqa: E402
from bench import gen_text as zh  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.contrib.contenttypes.models import ContentType  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from customers.contactpoints import digits_reversed  # noqa: E402
from customers.models import Product  # noqa: E402
from servicedesk.core import services as core_services  # noqa: E402
from servicedesk.core.demo import DEMO_PASSWORD  # noqa: E402
from servicedesk.core.models import Department, DepartmentMembership, Profile  # noqa: E402
from servicedesk.core.roles import Role  # noqa: E402
from tickets.models import BusinessCalendar, ServiceCategory, ServiceRecord  # noqa: E402
from tickets.services import target_policy_for  # noqa: E402
from tickets.visibility import record_audience  # noqa: E402

DEFAULT_SEED = 20261124
AGENTS = 50
CHUNK = 20_000  # records per COPY round: bounds memory, keeps the progress line moving
WINDOW_DAYS = 730  # records are created over the last two years
DAY = 86_400

# The tables this script loads; their secondary indexes and foreign keys are rebuilt around COPY.
TABLES = [
    "customers_customer",
    "customers_contact",
    "customers_contactpoint",
    "customers_productowned",
    "customers_interaction",
    "tickets_servicerecord",
    "tickets_servicerecord_collaborating_departments",
    "tickets_recordmessage",
    "core_statuschange",
    *gen_visits.TABLES,  # callback visits and their attempts (bench/gen_visits.py)
    *gen_complaints.TABLES,  # complaints, their step entries and actions (bench/gen_complaints.py)
    *gen_surveys.TABLES,  # survey invitations, responses and answers (bench/gen_surveys.py)
]

CUSTOMER_COLS = [
    "id", "created_at", "updated_at", "kind", "name", "management_tier", "lifecycle",
    "converted_at", "conversion_cause", "conversion_note", "transaction_progress",
    "chain_position", "marketing_type", "party", "region", "preferences", "notes", "is_archived",
    "archived_at", "version", "merged_into_id", "organisation_id", "owner_id", "language",
]  # fmt: skip
CONTACT_COLS = ["id", "created_at", "updated_at", "name", "title", "is_primary", "notes",
                "customer_id"]  # fmt: skip
POINT_COLS = ["kind", "value", "digits_reversed", "label", "is_primary", "contact_id",
              "customer_id"]  # fmt: skip
OWNED_COLS = ["created_at", "updated_at", "serial", "purchase_date", "warranty_end", "notes",
              "customer_id", "product_id"]  # fmt: skip
INTERACTION_COLS = ["created_at", "updated_at", "kind", "occurred_at", "summary", "notes",
                    "contact_id", "customer_id", "staff_id"]  # fmt: skip
RECORD_COLS = [
    "id", "created_at", "updated_at", "stage", "nature", "place", "fee", "fee_amount",
    "frequency", "duration", "subject", "description", "priority", "status", "agreed_date",
    "first_response_due", "resolution_due", "first_responded_at", "resolved_at", "closed_at",
    "version", "assignee_id", "category_id", "contact_id", "created_by_id", "customer_id",
    "lead_department_id",
]  # fmt: skip
COLLAB_COLS = ["servicerecord_id", "department_id"]
MESSAGE_COLS = ["kind", "body", "created_at", "author_id", "record_id", "email_id"]
CHANGE_COLS = ["object_id", "field", "from_state", "to_state", "reason", "at", "by_id",
               "content_type_id"]  # fmt: skip

N = "\\N"  # COPY's NULL

# How often each category is asked for; unlisted codes weigh 1.
CATEGORY_WEIGHTS = {
    "repair": 4, "installation": 3, "delivery": 3, "usage-guidance": 2.5, "consultation": 2.5,
    "product-information": 2, "order-handling": 2, "complaint-handling": 1.5, "return-visit": 1.5,
    "return-exchange": 1.5, "billing-correction": 1, "phone-order": 1.5, "archive-update": 0.5,
    "pr-event": 0.3, "training-class": 0.4, "periodic-inspection": 0.8, "packaging": 0.5,
}  # fmt: skip
PRIORITIES = [("low", 20), ("normal", 55), ("high", 18), ("urgent", 7)]
TIER_RECORD_WEIGHT = {"key": 6.0, "regular": 2.0, "one_time": 0.6}


def cumulative(weights):
    out, total = [], 0.0
    for w in weights:
        total += w
        out.append(total)
    return out, total


class Template:
    """A str.format template that knows which fields it uses, so only those are drawn."""

    __slots__ = ("text", "fields")

    def __init__(self, text: str):
        self.text = text
        # In order of appearance (a set's order changes with PYTHONHASHSEED: not reproducible).
        found = [f for _lit, f, _spec, _conv in Formatter().parse(text) if f]
        self.fields = tuple(dict.fromkeys(found))


class Words:
    """Draws the words the templates ask for."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        r = rng.random
        self.pick = {
            "p": lambda: zh.PRODUCTS[int(r() * len(zh.PRODUCTS))],
            "pp": lambda: zh.PRODUCT_PREFIXES[int(r() * len(zh.PRODUCT_PREFIXES))],
            "x": lambda: zh.PROBLEMS[int(r() * len(zh.PROBLEMS))],
            "r": lambda: zh.REQUESTS[int(r() * len(zh.REQUESTS))],
            "v": lambda: zh.PLACES_VISIT[int(r() * len(zh.PLACES_VISIT))],
            "d": lambda: zh.DAYS[int(r() * len(zh.DAYS))],
            "h": lambda: zh.HOURS[int(r() * len(zh.HOURS))],
            "dep": lambda: zh.DEPTS[int(r() * len(zh.DEPTS))],
            "n": lambda: str(1 + int(r() * 9)),
        }
        topics = zh.PRESALE_TOPICS + zh.INSALE_TOPICS
        self.pick["t"] = lambda: topics[int(r() * len(topics))]

    def fill(self, tpl: Template, **fixed) -> str:
        if not tpl.fields:
            return tpl.text
        values = {f: fixed[f] if f in fixed else self.pick[f]() for f in tpl.fields}
        return tpl.text.format(**values)

    def one(self, templates: list[Template], **fixed) -> str:
        return self.fill(templates[int(self.rng.random() * len(templates))], **fixed)


def templates(texts) -> list[Template]:
    return [Template(t) for t in texts]


class Clock:
    """Business time as a weekly arithmetic clock (working weekdays, day start/end, fixed offset).

    Holidays are ignored: an approximation of tickets.business_time that costs two divmods.
    """

    def __init__(self, calendar: BusinessCalendar | None, anchor: datetime):
        weekdays = {int(c) for c in (calendar.working_weekdays if calendar else "12345")}
        start = calendar.day_start if calendar else datetime.min.time().replace(hour=9)
        end = calendar.day_end if calendar else datetime.min.time().replace(hour=18)
        tz = ZoneInfo(calendar.time_zone if calendar else "Asia/Shanghai")
        self.offset = int(anchor.astimezone(tz).utcoffset().total_seconds())
        self.start = start.hour * 60 + start.minute
        self.length = end.hour * 60 + end.minute - self.start  # business minutes per day
        self.workdays = [d for d in range(7) if d + 1 in weekdays]  # 0 = Monday
        self.is_work = [d + 1 in weekdays for d in range(7)]
        self.before = [sum(self.is_work[:d]) for d in range(7)]
        self.week = len(self.workdays) * self.length
        # 1970-01-05 was a Monday: local minutes are counted from there.
        self.monday = 4 * 1440

    def bm(self, t: float) -> float:
        """Business minutes since the epoch Monday at UTC second `t`."""
        m = (t + self.offset) / 60 - self.monday
        w, rest = divmod(m, 10080)
        d, mm = divmod(rest, 1440)
        d = int(d)
        within = self.before[d] * self.length
        if self.is_work[d]:
            within += min(max(mm - self.start, 0), self.length)
        return w * self.week + within

    def at(self, b: float) -> int:
        """The UTC second when the business-minute clock shows `b`."""
        w, rest = divmod(b, self.week)
        k, mm = divmod(rest, self.length)
        day = self.workdays[int(k)]
        local = (w * 10080 + day * 1440 + self.start + mm + self.monday) * 60
        return int(local - self.offset)

    def local_day_start(self, t: int) -> int:
        """UTC second of the local midnight before `t`."""
        return (t + self.offset) // DAY * DAY - self.offset

    def weekday(self, t: int) -> int:
        return ((t + self.offset) // DAY + 3) % 7  # 1970-01-01 was a Thursday (3)

    def end_of_day(self, t: int) -> int:
        return self.local_day_start(t) + (self.start + self.length) * 60


class Stamps:
    """COPY text for UTC seconds, with the date part cached per day."""

    def __init__(self):
        self.days: dict[int, str] = {}

    def __call__(self, t: int) -> str:
        d, s = divmod(int(t), DAY)
        day = self.days.get(d)
        if day is None:
            day = self.days[d] = (date(1970, 1, 1) + timedelta(days=d)).isoformat()
        return f"{day} {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}+00"

    def date(self, t: int, offset: int) -> str:
        return (date(1970, 1, 1) + timedelta(days=(int(t) + offset) // DAY)).isoformat()


class Progress:
    def __init__(self, label: str, total: int):
        self.label, self.total, self.started = label, max(total, 1), time.monotonic()

    def show(self, done: int) -> None:
        width = 30
        filled = int(width * done / self.total)
        sys.stderr.write(
            f"\r{self.label:<10} [{'#' * filled}{'.' * (width - filled)}] "
            f"{done:>9,}/{self.total:,} {time.monotonic() - self.started:6.1f}s"
        )
        sys.stderr.flush()

    def end(self) -> None:
        self.show(self.total)
        sys.stderr.write("\n")


class Loader:
    """Buffers COPY text per table and sends it in large pieces: psycopg 3's `cursor.copy()` when
    Django runs on it, psycopg2's `copy_expert` otherwise (the project pins psycopg2-binary)."""

    LIMIT = 16 << 20

    def __init__(self, cursor):
        self.raw = cursor.cursor  # the driver's cursor behind Django's wrapper
        self.buffers: dict[str, list[str]] = {}
        self.sizes: dict[str, int] = {}
        self.columns: dict[str, list[str]] = {}
        self.counts: dict[str, int] = {}

    def table(self, name: str, columns: list[str]) -> None:
        self.columns[name] = columns
        self.buffers[name] = []
        self.sizes[name] = 0
        self.counts[name] = 0

    def add(self, name: str, row: str) -> None:
        self.buffers[name].append(row)
        self.counts[name] += 1
        self.sizes[name] += len(row)
        if self.sizes[name] > self.LIMIT:
            self.flush(name)

    def flush(self, name: str | None = None) -> None:
        for table in [name] if name else list(self.buffers):
            rows = self.buffers[table]
            if not rows:
                continue
            rows.append("")
            data = "\n".join(rows)
            self.buffers[table] = []
            self.sizes[table] = 0
            sql = f"COPY {table} ({', '.join(self.columns[table])}) FROM STDIN"
            if hasattr(self.raw, "copy"):  # psycopg 3
                with self.raw.copy(sql) as copy:
                    copy.write(data)
            else:  # psycopg2
                self.raw.copy_expert(sql, io.StringIO(data), size=1 << 20)


# --- staff ---------------------------------------------------------------------------------------


def person_name(rng: random.Random) -> tuple[str, str]:
    r = rng.random
    family = (
        zh.DOUBLE_FAMILY[int(r() * len(zh.DOUBLE_FAMILY))]
        if r() < 0.03
        else zh.FAMILY[int(r() * len(zh.FAMILY))]
    )
    given = zh.GIVEN_CHARS[int(r() * len(zh.GIVEN_CHARS))]
    if r() < 0.7:
        given += zh.GIVEN_CHARS[int(r() * len(zh.GIVEN_CHARS))]
    return family, given


@transaction.atomic
def ensure_agents(seed: int) -> None:
    """~50 agents spread over the active departments, made like the demo's (role group and
    memberships through the core services); existing ones are kept, so a re-run adds none."""
    rng = random.Random(seed * 7 + 1)  # noqa: S311 - reproducible data, not security
    User = get_user_model()
    departments = list(Department.objects.filter(is_active=True).order_by("pk"))
    if not departments:
        return
    password = make_password(DEMO_PASSWORD)  # hashed once: PBKDF2 fifty times costs seconds
    for n in range(1, AGENTS + 1):
        family, given = person_name(rng)
        second = rng.random() < 0.2
        other = rng.choice(departments)
        username = f"agent{n:02d}"
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create(
                username=username,
                first_name=given,
                last_name=family,
                email=f"{username}@example.com",
                password=password,
            )
            core_services.user_set_role(user=user, role=Role.AGENT)
            Profile.objects.get_or_create(user=user, defaults={"display_name_zh": family + given})
            core_services.department_add_member(
                department=departments[n % len(departments)], user=user
            )
            if second and other != departments[n % len(departments)]:
                core_services.department_add_member(department=other, user=user)


# --- schema helpers ------------------------------------------------------------------------------


def table_columns(cursor, table: str) -> dict[str, tuple[bool, bool]]:
    """column → (NOT NULL, has a default or identity)."""
    cursor.execute(
        "SELECT column_name, is_nullable = 'NO', column_default IS NOT NULL OR is_identity = 'YES'"
        " FROM information_schema.columns WHERE table_schema = current_schema()"
        " AND table_name = %s",
        [table],
    )
    return {name: (notnull, default) for name, notnull, default in cursor.fetchall()}


def check_columns(cursor, table: str, columns: list[str]) -> None:
    missing = [
        name
        for name, (notnull, default) in table_columns(cursor, table).items()
        if notnull and not default and name not in columns
    ]
    if missing:
        raise SystemExit(f"{table}: NOT NULL columns this generator does not fill: {missing}")


def drop_secondary(cursor) -> tuple[list[str], list[str]]:
    """Drop the non-unique secondary indexes and the foreign keys of the loaded tables; return
    the statements that re-create them, exactly as the catalogue has them.

    Partial indexes stay: they cover the few running records, so COPY maintains them cheaply, and
    a predicate re-read from pg_indexes comes back spelled differently (ARRAY[...]::text[] becomes
    ARRAY[x::text, ...]) — equivalent, but no longer what the migration made."""
    cursor.execute(
        """
        SELECT ix.indexname, ix.indexdef
        FROM pg_indexes ix
        JOIN pg_class c ON c.relname = ix.indexname
        JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = ix.schemaname
        JOIN pg_index i ON i.indexrelid = c.oid
        WHERE ix.schemaname = current_schema() AND ix.tablename = ANY(%s)
          AND NOT i.indisunique AND NOT i.indisprimary AND i.indpred IS NULL
          AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid)
        ORDER BY ix.tablename, ix.indexname
        """,
        [TABLES],
    )
    indexes = cursor.fetchall()
    cursor.execute(
        """
        SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
        FROM pg_constraint c
        WHERE c.contype = 'f' AND c.conrelid = ANY(%s::regclass[])
        ORDER BY 1, 2
        """,
        [TABLES],
    )
    foreign = cursor.fetchall()
    for table, name, _definition in foreign:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    return (
        [definition for _name, definition in indexes],
        [f'ALTER TABLE {t} ADD CONSTRAINT "{n}" {d}' for t, n, d in foreign],
    )


def next_id(cursor, table: str) -> int:
    cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608 - our table names
    return cursor.fetchone()[0] + 1


# --- the generator -------------------------------------------------------------------------------


class Generator:
    def __init__(self, records: int, seed: int, anchor: datetime):
        self.records = records
        self.customers = max(10, records // 10)
        self.rng = random.Random(seed)  # noqa: S311 - reproducible data, not security
        self.words = Words(self.rng)
        self.anchor = anchor
        self.now = int(anchor.timestamp())
        self.clock = Clock(BusinessCalendar.objects.filter(is_default=True).first(), anchor)
        self.ts = Stamps()
        self.counts: dict[str, int] = {}
        self._reference_data()

    def _reference_data(self) -> None:
        memberships = DepartmentMembership.objects.filter(
            user__is_active=True, department__is_active=True
        ).order_by("department_id", "user_id")
        self.dept_staff: dict[int, list[int]] = {}
        for department_id, user_id in memberships.values_list("department_id", "user_id"):
            self.dept_staff.setdefault(department_id, []).append(user_id)
        self.agents = sorted({u for staff in self.dept_staff.values() for u in staff})
        if not self.agents:
            raise SystemExit("no staff in any department: run `manage.py seed_demo` first")
        cats = list(
            ServiceCategory.objects.filter(is_active=True)
            .prefetch_related("collaborating_departments")
            .order_by("pk")
        )
        if not cats:
            raise SystemExit("no service categories: run `manage.py seed_demo` first")
        self.categories = []
        for c in cats:
            collab = sorted(d.pk for d in c.collaborating_departments.all())
            lead = c.lead_department_id
            on_site = c.default_place == "on_site"
            # Share of records with an agreed date (scheduled service, due that day).
            if c.default_frequency == "recurring" or c.default_duration == "long":
                scheduled = 0.9
            else:
                scheduled = 0.5 if on_site else 0.03
            self.categories.append(
                {
                    "id": c.pk,
                    "code": c.code,
                    "stage": c.stage,
                    "lead": lead,
                    "collab": collab,
                    "static": "\t".join(
                        [
                            c.stage,
                            c.default_nature,
                            c.default_place,
                            c.default_fee,
                            str(c.default_fee_amount) if c.default_fee == "paid" else N,
                            c.default_frequency,
                            c.default_duration,
                        ]
                    ),
                    "subjects": templates(
                        zh.SUBJECTS.get(c.code) or zh.SUBJECTS_BY_STAGE.get(c.stage, ["{p}"])
                    ),
                    "scheduled": scheduled,
                    "ahead": (7, 90) if scheduled >= 0.9 else ((1, 45) if on_site else (1, 14)),
                    "staff": self.dept_staff.get(lead) or self.agents,
                }
            )
        self.cat_cw, self.cat_total = cumulative(
            CATEGORY_WEIGHTS.get(c["code"], 1.0) for c in self.categories
        )
        self.prio_cw, self.prio_total = cumulative(w for _p, w in PRIORITIES)
        self.targets = {}
        for prio, _w in PRIORITIES:
            for tier in TIER_RECORD_WEIGHT:
                for c in self.categories:
                    policy = target_policy_for(priority=prio, tier=tier, category_id=c["id"])
                    self.targets[prio, tier, c["id"]] = (
                        (policy.first_response_minutes, policy.resolution_minutes)
                        if policy
                        else (240, 2700)
                    )
        self.products = list(Product.objects.filter(is_active=True).order_by("pk"))
        self.record_ct = ContentType.objects.get_for_model(ServiceRecord).pk
        self.subject_templates = {
            "reply_mid": templates(zh.REPLY_MIDDLES),
            "reply_act": templates(zh.REPLY_ACTIONS),
            "final": templates(zh.FINAL_REPLIES),
            "note": templates(zh.NOTES),
            "desc": templates(zh.DESCRIPTIONS),
            **{k: templates(v) for k, v in zh.INTERACTIONS.items()},
        }

    # --- customers --------------------------------------------------------------------------

    def company_name(self) -> tuple[str, str]:
        r = self.rng.random
        city, area = zh.CITIES[int(r() * len(zh.CITIES))]
        name = (
            city
            + zh.COMPANY_WORDS[int(r() * len(zh.COMPANY_WORDS))]
            + zh.COMPANY_TRADES[int(r() * len(zh.COMPANY_TRADES))]
            + zh.COMPANY_SUFFIXES[int(r() * len(zh.COMPANY_SUFFIXES))]
        )
        return name, area

    def load_customers(self, load: Loader, cursor) -> None:
        rng, r, ts, now = self.rng, self.rng.random, self.ts, self.now
        load.table("customers_customer", CUSTOMER_COLS)
        load.table("customers_contact", CONTACT_COLS)
        load.table("customers_contactpoint", POINT_COLS)
        load.table("customers_productowned", OWNED_COLS)
        load.table("customers_interaction", INTERACTION_COLS)
        first_customer = next_id(cursor, "customers_customer")
        first_contact = next_id(cursor, "customers_contact")
        self.cust_tier: list[str] = []
        self.cust_actual: list[bool] = []
        self.cust_contact: list[int] = []
        self.cust_first: int = first_customer
        orgs: list[int] = []
        phone_offset = int(r() * 100_000_000)
        mobile_prefixes = ["13" + str(d) for d in range(10)] + [
            "150", "151", "152", "153", "155", "156", "157", "158", "159", "166", "177",
            "180", "181", "182", "183", "185", "186", "187", "188", "189", "199",
        ]  # fmt: skip
        interaction_kinds = list(zh.INTERACTIONS)
        progress = Progress("customers", self.customers)
        for i in range(self.customers):
            cid, contact_id = first_customer + i, first_contact + i
            is_org = r() < 0.1
            actual = r() < 0.7
            if actual:
                tier = "key" if r() < 0.12 else ("regular" if r() < 0.72 else "one_time")
                converted = now - int((WINDOW_DAYS + 1 + r() * 700) * DAY)
                created = converted - int(r() * 200 * DAY)
                progress_value = "past" if r() < 0.4 else "current"
                cause = "sale" if r() < 0.8 else "service"
            else:
                tier = "key" if r() < 0.05 else ("regular" if r() < 0.58 else "one_time")
                converted = None
                created = now - int((WINDOW_DAYS + 1 + r() * 900) * DAY)
                progress_value, cause = "upcoming", ""
            archived = r() < 0.005
            city, area = zh.CITIES[int(r() * len(zh.CITIES))]
            if is_org:
                name, area = self.company_name()
                family, given = person_name(rng)
                contact_name = family + given
                title = zh.CONTACT_TITLES[int(r() * len(zh.CONTACT_TITLES))]
                phone = f"+86{area}{6000_0000 + (i * 7919 + phone_offset) % 3000_0000}"
                organisation = N
            else:
                family, given = person_name(rng)
                name = contact_name = family + given
                title = ""
                prefix = mobile_prefixes[int(r() * len(mobile_prefixes))]
                phone = f"+86{prefix}{(i * 48271 + phone_offset) % 100_000_000:08d}"
                organisation = str(orgs[int(r() * len(orgs))]) if orgs and r() < 0.1 else N
            updated = converted or created
            load.add(
                "customers_customer",
                "\t".join(
                    [
                        str(cid),
                        ts(created),
                        ts(updated),
                        "organisation" if is_org else "individual",
                        name,
                        tier,
                        "actual" if actual else "potential",
                        ts(converted) if converted else N,
                        cause,
                        "",
                        progress_value,
                        "intermediate" if r() < (0.6 if is_org else 0.1) else "end",
                        ("economic", "ethical", "personalised", "convenience")[int(r() * 4)],
                        "internal" if r() < 0.03 else "external",
                        city,
                        zh.PREFERENCES[int(r() * len(zh.PREFERENCES))],
                        "",
                        "t" if archived else "f",
                        ts(now - int(r() * 300 * DAY)) if archived else N,
                        "1",
                        N,
                        organisation,
                        str(self.agents[int(r() * len(self.agents))]) if r() < 0.6 else N,
                        "zh-hans" if r() < 0.95 else ("en" if r() < 0.6 else ""),
                    ]
                ),
            )
            if is_org:
                orgs.append(cid)
            load.add(
                "customers_contact",
                f"{contact_id}\t{ts(created)}\t{ts(created)}\t{contact_name}\t{title}\tt\t\t{cid}",
            )
            load.add(
                "customers_contactpoint",
                f"phone\t{phone}\t{digits_reversed(phone)}\t\tt\t{contact_id}\t{cid}",
            )
            if not is_org and r() < 0.3:
                load.add(
                    "customers_contactpoint",
                    f"email\tc{cid}@example.com\t\t\tt\t{contact_id}\t{cid}",
                )
            if actual and self.products and r() < 0.6:
                for n in range(1 + int(r() * 3)):
                    product = self.products[int(r() * len(self.products))]
                    bought = converted + (0 if n == 0 else int(r() * (now - converted)))
                    day = date(1970, 1, 1) + timedelta(days=(bought + self.clock.offset) // DAY)
                    months = product.warranty_months
                    y, m = divmod(day.month - 1 + months, 12)
                    end = date(day.year + y, m + 1, min(day.day, 28))
                    load.add(
                        "customers_productowned",
                        f"{ts(bought)}\t{ts(bought)}\t{product.sku}-{cid:07d}-{n}\t"
                        f"{day.isoformat()}\t{end.isoformat()}\t\t{cid}\t{product.pk}",
                    )
            for _n in range(int(r() * 4)):
                kind = interaction_kinds[int(r() * len(interaction_kinds))]
                at = now - int(r() * WINDOW_DAYS * DAY)
                summary = self.words.one(self.subject_templates[kind])
                staff = self.agents[int(r() * len(self.agents))]
                load.add(
                    "customers_interaction",
                    f"{ts(at)}\t{ts(at)}\t{kind}\t{ts(at)}\t{summary}\t\t{contact_id}\t{cid}\t{staff}",
                )
            self.cust_tier.append(tier)
            self.cust_actual.append(actual and not archived)
            self.cust_contact.append(contact_id)
            if i % 5000 == 0:
                progress.show(i)
        load.flush()
        progress.end()
        # Who the records are about: actual customers for every stage, potential ones only for
        # pre-sale work; key customers ask more often than one-time ones.
        self.actual_pool = [i for i in range(self.customers) if self.cust_actual[i]]
        self.actual_cw, self.actual_total = cumulative(
            TIER_RECORD_WEIGHT[self.cust_tier[i]] for i in self.actual_pool
        )
        self.all_pool = list(range(self.customers))
        self.all_cw, self.all_total = cumulative(
            TIER_RECORD_WEIGHT[self.cust_tier[i]] * (1.0 if self.cust_actual[i] else 0.8)
            for i in self.all_pool
        )
        if not self.actual_pool:
            raise SystemExit("no actual customer was drawn; use more records")

    # --- records ----------------------------------------------------------------------------

    def created_time(self) -> int:
        """Over the last two years, the volume growing (more recent work), mostly in the day."""
        r, clock, now = self.rng.random, self.clock, self.now
        # A mixture of uniform and a decreasing triangle: density 1.6 (today) to 0.4 (two years).
        age = r() * WINDOW_DAYS if r() < 0.4 else WINDOW_DAYS * (1 - math.sqrt(1 - r()))
        day = clock.local_day_start(now - int(age) * DAY)
        seconds = (8 * 3600 + r() * 12 * 3600) if r() < 0.85 else r() * DAY
        created = day + int(seconds)
        if created > now - 60:
            created -= DAY
        return created

    def load_records(self, load: Loader, cursor) -> None:
        rng, r, ts, now, clock, words = (
            self.rng, self.rng.random, self.ts, self.now, self.clock, self.words,
        )  # fmt: skip
        columns = [*RECORD_COLS, "audience"]
        check_columns(cursor, "tickets_servicerecord", columns)
        load.table("tickets_servicerecord", columns)
        load.table("tickets_servicerecord_collaborating_departments", COLLAB_COLS)
        load.table("tickets_recordmessage", MESSAGE_COLS)
        load.table("core_statuschange", CHANGE_COLS)
        ct = str(self.record_ct)
        first_id = next_id(cursor, "tickets_servicerecord")
        cats, cat_cw, cat_total = self.categories, self.cat_cw, self.cat_total
        prio_names = [p for p, _w in PRIORITIES]
        tpl = self.subject_templates
        greetings, closings = zh.GREETINGS, zh.REPLY_CLOSINGS
        progress = Progress("records", self.records)
        for i in range(self.records):
            rid = first_id + i
            cat = cats[bisect(cat_cw, r() * cat_total)]
            if cat["stage"] == "pre_sale":
                cust = self.all_pool[bisect(self.all_cw, r() * self.all_total)]
            else:
                cust = self.actual_pool[bisect(self.actual_cw, r() * self.actual_total)]
            tier = self.cust_tier[cust]
            prio = prio_names[bisect(self.prio_cw, r() * self.prio_total)]
            created = self.created_time()
            fr_min, res_min = self.targets[prio, tier, cat["id"]]
            b0 = clock.bm(created)
            fr_due = clock.at(b0 + fr_min)
            res_due = clock.at(b0 + res_min)

            # The timeline, independent of now: first response, resolution, closing.
            fr_f = 0.05 + 0.9 * r() if r() < 0.9 else 1 + rng.expovariate(0.7)
            fr_at = max(clock.at(b0 + fr_min * fr_f), created + 60)
            agreed = N
            if r() < cat["scheduled"]:
                low, high = cat["ahead"]
                day = created + int(low + r() * (high - low)) * DAY
                while not clock.is_work[clock.weekday(day)]:
                    day += DAY
                agreed = ts.date(day, clock.offset)
                res_due = clock.end_of_day(day)
                fr_due = min(fr_due, res_due)
                fr_at = min(fr_at, max(created + 60, res_due - 3600))
                if r() < 0.92:  # done on the agreed day, in working hours
                    res_at = clock.local_day_start(day) + (clock.start + r() * clock.length) * 60
                else:
                    res_at = res_due + int((1 + r() * 4) * DAY)
            else:
                roll = r()
                if roll < 0.86:
                    g = 0.08 + 0.92 * r()
                elif roll < 0.995:
                    g = 1 + rng.expovariate(1.0)
                else:  # stuck for weeks or months
                    g = 3 + 40 * r()
                res_at = clock.at(b0 + res_min * g)
            res_at = int(res_at)
            if res_at < fr_at + 300:
                res_at = fr_at + 300 + int(r() * 4 * 3600)
            pending_at = fr_at + int((res_at - fr_at) * (0.2 + 0.5 * r())) if r() < 0.25 else None
            closed_at = res_at + int((1 + r() * 6) * DAY if r() < 0.97 else (14 + r() * 46) * DAY)

            # Where that timeline stands now.
            if now < fr_at:
                status = "new"
            elif now < res_at:
                status = "pending" if pending_at is not None and now >= pending_at else "open"
            elif now < closed_at:
                status = "resolved"
            else:
                status = "closed"

            staff = cat["staff"]
            created_by = staff[int(r() * len(staff))]
            if status == "new":
                assignee = staff[int(r() * len(staff))] if r() < 0.15 else None
            else:
                assignee = staff[int(r() * len(staff))]
            collab = cat["collab"] if cat["collab"] and r() < 0.5 else ()

            # Status log.
            by = str(assignee) if assignee else N
            changes = [("", "new", created, str(created_by))]
            last = created
            if status != "new":
                changes.append(("new", "open", fr_at, by))
                last = fr_at
                if pending_at is not None and now >= pending_at:
                    changes.append(("open", "pending", pending_at, by))
                    last = pending_at
                if status in ("resolved", "closed"):
                    changes.append(
                        ("pending" if pending_at is not None else "open", "resolved", res_at, by)
                    )
                    last = res_at
                if status == "closed":
                    changes.append(("resolved", "closed", closed_at, by))
                    last = closed_at
            for frm, to, at, who in changes:
                load.add(
                    "core_statuschange", f"{rid}\tstatus\t{frm}\t{to}\t\t{ts(at)}\t{who}\t{ct}"
                )

            # Messages: the first reply is the first response; a closing reply on resolution.
            product = zh.PRODUCTS[int(r() * len(zh.PRODUCTS))]
            messages = []
            if status == "new":
                if r() < 0.3:
                    messages.append(("note", created + int(r() * (now - created)), created_by))
            else:
                messages.append(("reply", fr_at, assignee))
                end = res_at if status in ("resolved", "closed") else now
                roll = r()
                extra = 0 if roll < 0.3 else (1 if roll < 0.7 else (2 if roll < 0.9 else 3))
                for at in sorted(fr_at + int(r() * (end - fr_at)) for _n in range(extra)):
                    author = assignee if r() < 0.7 else staff[int(r() * len(staff))]
                    messages.append(("note" if r() < 0.5 else "reply", at, author))
                if status in ("resolved", "closed"):
                    messages.append(("final", res_at, assignee))
            for kind, at, author in messages:
                if kind == "note":
                    body = words.one(tpl["note"], p=product)
                elif kind == "final":
                    body = words.one(tpl["final"], p=product)
                    kind = "reply"
                else:
                    body = (
                        greetings[int(r() * len(greetings))]
                        + words.one(tpl["reply_mid"], p=product)
                        + words.one(tpl["reply_act"])
                        + closings[int(r() * len(closings))]
                    )
                load.add("tickets_recordmessage", f"{kind}\t{body}\t{ts(at)}\t{author}\t{rid}\t{N}")
                last = max(last, at)

            for department in collab:
                load.add("tickets_servicerecord_collaborating_departments", f"{rid}\t{department}")

            subject = words.one(cat["subjects"], p=product)
            row = [
                str(rid),
                ts(created),
                ts(last),
                cat["static"],
                subject,
                words.one(tpl["desc"], p=product),
                prio,
                status,
                agreed,
                ts(fr_due),
                ts(res_due),
                ts(fr_at) if status != "new" else N,
                ts(res_at) if status in ("resolved", "closed") else N,
                ts(closed_at) if status == "closed" else N,
                "1",
                str(assignee) if assignee else N,
                str(cat["id"]),
                str(self.cust_contact[cust]),
                str(created_by),
                str(self.cust_first + cust),
                str(cat["lead"]),
            ]
            # The app's own rule for who sees the record (tickets.visibility).
            audience = record_audience(
                lead_department_id=cat["lead"],
                collaborator_ids=collab,
                assignee_id=assignee or None,
            )
            row.append(json.dumps(audience))
            load.add("tickets_servicerecord", "\t".join(row))
            if i % CHUNK == 0:
                progress.show(i)
        load.flush()
        progress.end()


def set_sequences(cursor) -> None:
    for table in TABLES:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, 'id'), GREATEST(MAX(id), 1), MAX(id) IS"  # noqa: S608
            f" NOT NULL) FROM {table}",
            [table],
        )


def generate(records: int, seed: int, anchor: datetime) -> None:
    started = time.monotonic()
    if connection.vendor != "postgresql":
        raise SystemExit("bench/generate.py loads with COPY: point DATABASE_URL at PostgreSQL")
    ensure_agents(seed)
    generator = Generator(records, seed, anchor)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SET LOCAL synchronous_commit = off")
        for table, columns in [
            ("customers_customer", CUSTOMER_COLS),
            ("customers_contact", CONTACT_COLS),
            ("customers_contactpoint", POINT_COLS),
            ("customers_productowned", OWNED_COLS),
            ("customers_interaction", INTERACTION_COLS),
            ("tickets_recordmessage", MESSAGE_COLS),
            ("core_statuschange", CHANGE_COLS),
        ]:
            check_columns(cursor, table, columns)
        cursor.execute(f"LOCK TABLE {', '.join(TABLES)} IN SHARE ROW EXCLUSIVE MODE")
        create_indexes, add_foreign_keys = drop_secondary(cursor)
        load = Loader(cursor)
        generator.load_customers(load, cursor)
        generator.load_records(load, cursor)
        visits = gen_visits.load_visits(
            generator, load, cursor, seed=seed, check_columns=check_columns, next_id=next_id
        )
        complaints = gen_complaints.load_complaints(
            generator,
            load,
            cursor,
            seed=seed,
            check_columns=check_columns,
            next_id=next_id,
            progress=Progress,
        )
        surveys = gen_surveys.load_surveys(
            generator, load, cursor, seed=seed, check_columns=check_columns, next_id=next_id
        )
        counts = dict(load.counts)
        step = time.monotonic()
        for n, statement in enumerate(create_indexes + add_foreign_keys):
            sys.stderr.write(f"\rindexes    {n + 1}/{len(create_indexes) + len(add_foreign_keys)}")
            sys.stderr.flush()
            cursor.execute(statement)
        sys.stderr.write(f" rebuilt in {time.monotonic() - step:.1f}s\n")
        set_sequences(cursor)
    step = time.monotonic()
    with connection.cursor() as cursor:  # autocommit: VACUUM cannot run in a transaction
        for table in TABLES:
            cursor.execute(f"VACUUM ANALYZE {table}")
    sys.stderr.write(f"vacuum analyze {time.monotonic() - step:.1f}s\n")
    step = time.monotonic()
    with connection.cursor() as cursor:
        rolled = gen_surveys.roll_all(cursor)
    sys.stderr.write(f"survey days summed {rolled} in {time.monotonic() - step:.1f}s\n")
    step = time.monotonic()
    # After every generator (records, complaints): COPY sent no signals, so the dashboard's day
    # sums are made here, as its hourly beat would.
    from servicedesk.dashboard import rollups as record_rollups

    rolled = record_rollups.roll_pending(limit=100_000)
    with connection.cursor() as cursor:
        # Their statistics, as autovacuum would leave them: unanalysed, the weekly breakdown's
        # 20k rows were estimated at 7 and sorted instead of hashed.
        for table in ("dashboard_recordday", "dashboard_recordrolledday"):
            cursor.execute(f"ANALYZE {table}")
    sys.stderr.write(f"record days summed {rolled} in {time.monotonic() - step:.1f}s\n")
    print(
        f"generated customers={counts['customers_customer']}"
        f" records={counts['tickets_servicerecord']}"
        f" messages={counts['tickets_recordmessage']}"
        f" status_changes={counts['core_statuschange']}"
        f" visits={visits['visits']} (periodic={visits['periodic']}"
        f" greeting={visits['greeting']} after_service={visits['after_service']};"
        f" scheduled={visits['scheduled']} done={visits['done']} missed={visits['missed']}"
        f" cancelled={visits['cancelled']})"
        f" complaints={complaints['complaints']} (closed={complaints['closed']}"
        f" satisfied={complaints['satisfied']} open_overdue={complaints['open_overdue']}"
        f" entries={complaints['entries']} actions={complaints['actions']})"
        f" surveys={surveys['answered']} (invitations={surveys['invitations']}"
        f" unanswered={surveys['unanswered']} expired={surveys['expired']} low={surveys['low']}"
        f" staff_entered={surveys['staff']} answers={surveys['answers']})"
        f" seconds={time.monotonic() - started:.1f}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--records", type=int, default=10_000, help="service records to make")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (reproducible)")
    ap.add_argument(
        "--now",
        help="anchor time, ISO 8601 (default: the current hour); fix it to reproduce rows exactly",
    )
    args = ap.parse_args()
    if args.now:
        anchor = datetime.fromisoformat(args.now)
        anchor = anchor if anchor.tzinfo else anchor.replace(tzinfo=UTC)
    else:
        anchor = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    generate(args.records, args.seed, anchor)


if __name__ == "__main__":
    main()
