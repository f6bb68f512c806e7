"""The dashboards' figures (DOMAIN.md §6): each computed here once, read by the manager's page, the
agent's page, /api/v1/kpis/ and the CSV exports alike.

Every figure is an aggregate in SQL over one set per area, narrowed by the same Filters:

- records: the records the viewer may see (tickets.selectors.record_visible) created in the
  period; department is the record list's own rule (the record's audience holds its lead and
  collaborating departments), agent is the assignee;
- complaints: the visible complaints whose record was created in the period, narrowed by their
  record's columns, so a complaint counts where its record does;
- callbacks: visits due in the period (followups.selectors.visit_rates, the callbacks page's own
  rates), by their department and assignee;
- satisfaction: survey answers given in the period and invitations made in it, by the department,
  agent and stage they name (satisfaction() alone reads them).

A figure with nothing to divide by, or an empty period, is None (shown as "—"), never 0% and never
an error. Rates are servicedesk.core.selectors.rate (4 places); times are hours to 1 place.
"""

import math
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from followups.selectors import visible_by_columns, visit_rates
from servicedesk.core.models import Department, bilingual
from servicedesk.core.selectors import rate
from surveys import rollups
from surveys import selectors as survey_selectors
from surveys.models import Answer, Kind, SurveyInvitation, SurveyResponse
from surveys.results import Period
from tickets.complaints.models import (
    STEPS,
    Complaint,
    ComplaintAction,
    Outcome,
    Step,
    overdue_actions,
)
from tickets.complaints.rootcause.selectors import bone_counts, complaints_closed_in
from tickets.complaints.selectors import complaint_metrics, complaint_visible
from tickets.models import ACTIVE_STATUSES, ServiceRecord, Stage
from tickets.selectors import record_visible
from tickets.visibility import department_key

DASH = "—"
RETENTION_DAYS = 365  # "a later record within 12 months"
PRAISE_RATING = 4  # a good rating: 4 or 5 of 5
PRAISE_SHOWN = 10
# Open records by age, in days: [low, high) with None for no upper bound.
AGE_BUCKETS = ((0, 1), (1, 3), (3, 7), (7, 30), (30, None))


# --- the filters ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    """What a dashboard shows: whole days (surveys.results.Period, in the user's time zone) and
    the optional department, agent (assignee), stage, category and customer tier."""

    period: Period
    department_id: int | None = None
    agent_id: int | None = None
    stage: str = ""
    category_id: int | None = None
    tier: str = ""

    @classmethod
    def default(cls, **narrowing) -> "Filters":
        return cls(period=Period.default(), **narrowing)

    def previous(self) -> "Filters":
        """The same filters over the as-long period just before."""
        return replace(self, period=self.period.previous())

    def as_query(self) -> dict:
        """The filters as the dashboard's and the API's query parameters."""
        query = {"since": self.period.since.isoformat(), "until": self.period.until.isoformat()}
        narrowing = {
            "department": self.department_id,
            "agent": self.agent_id,
            "stage": self.stage,
            "category": self.category_id,
            "tier": self.tier,
        }
        return query | {name: value for name, value in narrowing.items() if value}


def _narrowed(qs: QuerySet, f: Filters, columns: dict[str, str]) -> QuerySet:
    """qs narrowed by each filter that is set, on the column `columns` names for it (a Filters
    field → a lookup); a filter without a column here does not narrow this area."""
    conditions = {column: getattr(f, name) for name, column in columns.items() if getattr(f, name)}
    return qs.filter(**conditions) if conditions else qs


def narrow_records(qs: QuerySet, f: Filters, *, prefix: str = "") -> QuerySet:
    """Records (or rows reached through `prefix`, e.g. "record__") narrowed by the filters other
    than the period, with the record list's own rules (tickets.filters.RecordFilter)."""
    if f.department_id:
        qs = qs.filter(**{f"{prefix}audience__has_key": department_key(f.department_id)})
    return _narrowed(
        qs,
        f,
        {
            "agent_id": f"{prefix}assignee_id",
            "stage": f"{prefix}stage",
            "category_id": f"{prefix}category_id",
            "tier": f"{prefix}customer__management_tier",
        },
    )


def records_in(f: Filters, user) -> QuerySet[ServiceRecord]:
    start, end = f.period.bounds()
    qs = record_visible(user).filter(created_at__gte=start, created_at__lt=end)
    return narrow_records(qs, f)


def complaints_in(f: Filters, user) -> QuerySet[Complaint]:
    start, end = f.period.bounds()
    qs = complaint_visible(user).filter(record__created_at__gte=start, record__created_at__lt=end)
    return narrow_records(qs, f, prefix="record__")


# --- figures --------------------------------------------------------------------------------------


class Unit:
    RATE = "rate"  # 0..1, shown as a percentage
    COUNT = "count"
    HOURS = "hours"
    PER_1000 = "per_1000"
    NPS = "nps"  # -100..100
    ESTIMATE = "estimate"  # a count worked out from a rule of thumb, not observed


def shown(value, unit: str) -> str:
    """A figure as every page and export writes it: "—" for None, never 0%."""
    if value is None:
        return DASH
    if unit == Unit.RATE:
        return f"{value * 100:.1f}%"
    if unit == Unit.HOURS:
        return _("%(n)s h") % {"n": f"{value:.1f}"}
    if unit == Unit.PER_1000:
        return f"{value:.1f}"
    if unit == Unit.NPS:
        return f"{value:+.0f}"
    if unit == Unit.ESTIMATE:
        return f"≈{value}"
    return str(value)


@dataclass(frozen=True)
class Definition:
    key: str
    group: str
    label: str
    unit: str
    definition: str
    note: str = ""  # "estimate", "no data source"
    compared: bool = True  # False: a figure of now (the backlog), with no previous period


# Every headline figure, in the order tiles show it: its name, unit and definition (on hover).
DEFINITIONS = [
    Definition(
        "csat",
        "satisfaction",
        gettext_lazy("CSAT"),
        Unit.RATE,
        gettext_lazy(
            "Share of answers rating the service 4 or 5 of 5, among answers with a rating."
        ),
    ),
    Definition(
        "nps",
        "satisfaction",
        gettext_lazy("NPS"),
        Unit.NPS,
        gettext_lazy(
            "Promoters (9–10) minus detractors (0–6), as a share of answers to the "
            "likelihood to recommend, times 100."
        ),
    ),
    Definition(
        "response_rate",
        "satisfaction",
        gettext_lazy("Survey response rate"),
        Unit.RATE,
        gettext_lazy(
            "Invitations made in the period and answered, among those delivered; cancelled "
            "ones count for neither."
        ),
    ),
    Definition(
        "chain_total",
        "satisfaction",
        gettext_lazy("Chained satisfaction"),
        Unit.RATE,
        gettext_lazy(
            "The product of the CSAT of every stage and department the answers name: the "
            "journey is only as good as all its links together."
        ),
    ),
    Definition(
        "complaint_rate",
        "complaints",
        gettext_lazy("Complaint rate"),
        Unit.RATE,
        gettext_lazy(
            "Distinct customers who complained ÷ distinct customers served (with a "
            "service record created in the period)."
        ),
    ),
    Definition(
        "complaints_per_1000",
        "complaints",
        gettext_lazy("Complaints per 1,000 records"),
        Unit.PER_1000,
        gettext_lazy("Complaints ÷ service records created in the period × 1,000."),
    ),
    Definition(
        "complaints",
        "complaints",
        gettext_lazy("Complaints"),
        Unit.COUNT,
        gettext_lazy("Complaints whose record was created in the period."),
    ),
    Definition(
        "recovery_rate",
        "complaints",
        gettext_lazy("Recovery rate"),
        Unit.RATE,
        gettext_lazy("Complaints closed with the customer satisfied ÷ complaints closed."),
    ),
    Definition(
        "retention_after_recovery",
        "complaints",
        gettext_lazy("Retention after recovery"),
        Unit.RATE,
        gettext_lazy(
            "Customers whose complaint was recovered and who had a later service record "
            "(not a complaint) within 12 months of its closing ÷ those customers."
        ),
    ),
    Definition(
        "overdue_actions",
        "complaints",
        gettext_lazy("Overdue complaint actions"),
        Unit.COUNT,
        gettext_lazy("Step 5 actions of these complaints past their due date and not done."),
    ),
    Definition(
        "surprise_breaches",
        "complaints",
        gettext_lazy("Surprise breaches"),
        Unit.COUNT,
        gettext_lazy(
            "Actions that broke their date without the customer being told in advance: "
            "open past the date, or done after it."
        ),
    ),
    Definition(
        "estimated_silent_dissatisfied",
        "complaints",
        gettext_lazy("Silent dissatisfied"),
        Unit.ESTIMATE,
        gettext_lazy(
            "An estimate, not a count: for every complaint about 26 customers stay silent "
            "(TARP), so complaints × 26."
        ),
        note=gettext_lazy("estimate"),
    ),
    Definition(
        "estimated_word_of_mouth_low",
        "complaints",
        gettext_lazy("Word of mouth (low)"),
        Unit.ESTIMATE,
        gettext_lazy(
            "An estimate: each customer whose complaint closed unrecovered tells 8 others "
            "(TARP's low figure)."
        ),
        note=gettext_lazy("estimate"),
    ),
    Definition(
        "estimated_word_of_mouth_high",
        "complaints",
        gettext_lazy("Word of mouth (high)"),
        Unit.ESTIMATE,
        gettext_lazy(
            "An estimate: each customer whose complaint closed unrecovered tells 16 others "
            "(TARP's high figure)."
        ),
        note=gettext_lazy("estimate"),
    ),
    Definition(
        "records",
        "records",
        gettext_lazy("Service records"),
        Unit.COUNT,
        gettext_lazy("Service records created in the period."),
    ),
    Definition(
        "customers_served",
        "records",
        gettext_lazy("Customers served"),
        Unit.COUNT,
        gettext_lazy("Distinct customers with a service record created in the period."),
    ),
    Definition(
        "first_response_median",
        "records",
        gettext_lazy("First response, median"),
        Unit.HOURS,
        gettext_lazy(
            "Median hours from a record's creation to its first response, over the "
            "records answered."
        ),
    ),
    Definition(
        "first_response_p90",
        "records",
        gettext_lazy("First response, 90th percentile"),
        Unit.HOURS,
        gettext_lazy("Nine in ten records answered were answered within this time."),
    ),
    Definition(
        "resolution_median",
        "records",
        gettext_lazy("Resolution, median"),
        Unit.HOURS,
        gettext_lazy(
            "Median hours from a record's creation to its resolution, over the records resolved."
        ),
    ),
    Definition(
        "resolution_p90",
        "records",
        gettext_lazy("Resolution, 90th percentile"),
        Unit.HOURS,
        gettext_lazy("Nine in ten records resolved were resolved within this time."),
    ),
    Definition(
        "first_response_compliance",
        "records",
        gettext_lazy("First response on target"),
        Unit.RATE,
        gettext_lazy(
            "Records answered by their first-response target ÷ records with a target "
            "that were answered or are past it."
        ),
    ),
    Definition(
        "resolution_compliance",
        "records",
        gettext_lazy("Resolution on target"),
        Unit.RATE,
        gettext_lazy(
            "Records resolved by their resolution target ÷ records with a target that "
            "were resolved or are past it."
        ),
    ),
    Definition(
        "backlog",
        "records",
        gettext_lazy("Backlog"),
        Unit.COUNT,
        gettext_lazy("Records created by the end of the period still new, open or pending now."),
        compared=False,
    ),
    Definition(
        "callback_on_time_rate",
        "callbacks",
        gettext_lazy("Callbacks on time"),
        Unit.RATE,
        gettext_lazy("Callbacks done by the end of their window ÷ callbacks due in the period."),
    ),
    Definition(
        "callback_reach_rate",
        "callbacks",
        gettext_lazy("Callbacks reached"),
        Unit.RATE,
        gettext_lazy("Callbacks that reached the customer ÷ callbacks done or missed."),
    ),
    Definition(
        "callback_issue_find_rate",
        "callbacks",
        gettext_lazy("Issues found on callbacks"),
        Unit.RATE,
        gettext_lazy("Callbacks that found a new issue ÷ callbacks that reached the customer."),
    ),
    Definition(
        "calls_answered_effectively",
        "calls",
        gettext_lazy("Calls answered effectively"),
        Unit.RATE,
        gettext_lazy(
            "Inbound calls answered with an outcome ÷ inbound calls. The desk does not log "
            "inbound calls with an outcome, so there is nothing to count."
        ),
        note=gettext_lazy("no data source"),
        compared=False,
    ),
]
BY_KEY = {d.key: d for d in DEFINITIONS}


@dataclass(frozen=True)
class Figure:
    definition: Definition
    value: float | int | None
    previous: float | int | None = None

    @property
    def key(self) -> str:
        return self.definition.key

    @property
    def compared(self) -> bool:
        return self.definition.compared

    @property
    def text(self) -> str:
        return shown(self.value, self.definition.unit)

    @property
    def previous_text(self) -> str:
        return shown(self.previous, self.definition.unit) if self.compared else DASH

    @property
    def change(self) -> float | None:
        """Now minus the previous period, in the figure's unit (None when either is unknown)."""
        if not self.compared or self.value is None or self.previous is None:
            return None
        return round(self.value - self.previous, 4)

    @property
    def change_text(self) -> str:
        change = self.change
        if change is None:
            return DASH
        unit = self.definition.unit
        if unit == Unit.RATE:
            return _("%(n)s pts") % {"n": f"{change * 100:+.1f}"}
        if unit in (Unit.HOURS, Unit.PER_1000):
            return f"{change:+.1f}"
        return f"{change:+.0f}" if isinstance(change, float) else f"{change:+d}"


# --- time percentiles -----------------------------------------------------------------------------


class PercentileCont(Aggregate):
    """PostgreSQL's percentile_cont: the continuous percentile, interpolated between values."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()
    allow_distinct = False

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def _seconds_between(start: str, end: str) -> Func:
    return Func(
        F(end),
        F(start),
        template="EXTRACT(EPOCH FROM (%(expressions)s))",
        arg_joiner=" - ",
        output_field=FloatField(),
    )


def percentile(values: list[float], fraction: float) -> float | None:
    """percentile_cont in Python (the SQLite fallback, and the tests' recount)."""
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * fraction
    low, high = math.floor(k), math.ceil(k)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 1)


TIMES = {
    "first_response": ("created_at", "first_responded_at"),
    "resolution": ("created_at", "resolved_at"),
}
PERCENTILES = {"median": 0.5, "p90": 0.9}


def _percentile_aggregates() -> dict:
    """PostgreSQL's median and 90th percentile of each of TIMES, in seconds, as aggregates to read
    in the same query as the records' counts."""
    return {
        f"{name}_{p}": PercentileCont(_seconds_between(start, end), fraction)
        for name, (start, end) in TIMES.items()
        for p, fraction in PERCENTILES.items()
    }


def _time_percentiles_in_python(records: QuerySet) -> dict:
    """SQLite has no percentile: the two durations read as values, percentile_cont in Python."""
    durations: dict[str, list[float]] = {name: [] for name in TIMES}
    columns = sorted({c for pair in TIMES.values() for c in pair})
    any_end = Q()
    for _start, end in TIMES.values():
        any_end |= Q(**{f"{end}__isnull": False})
    for row in records.filter(any_end).values(*columns):
        for name, (start, end) in TIMES.items():
            if row[end] is not None:
                durations[name].append((row[end] - row[start]).total_seconds())
    return {
        f"{name}_{p}": percentile(values, fraction)
        for name, values in durations.items()
        for p, fraction in PERCENTILES.items()
    }


# --- records --------------------------------------------------------------------------------------


def _target_counts(now: datetime) -> dict:
    def judged(due: str, met_at: str) -> Q:
        return Q(**{f"{due}__isnull": False}) & (
            Q(**{f"{met_at}__isnull": False}) | Q(**{f"{due}__lt": now})
        )

    response_met = Q(first_responded_at__lte=F("first_response_due"))
    return {
        "first_response_judged": Count(
            "pk", filter=judged("first_response_due", "first_responded_at")
        ),
        "first_response_met": Count("pk", filter=response_met),
        "resolution_judged": Count("pk", filter=judged("resolution_due", "resolved_at")),
        "resolution_met": Count("pk", filter=Q(resolved_at__lte=F("resolution_due"))),
    }


def record_figures(f: Filters, user, *, now: datetime | None = None) -> dict:
    """Counts, customers served, the time percentiles (hours) and target compliance of the
    period's records: one aggregate (two on SQLite, which has no percentile)."""
    now = now or timezone.now()
    records = records_in(f, user)
    in_sql = connection.vendor == "postgresql"
    row = records.aggregate(
        records=Count("pk"),
        customers_served=Count("customer_id", distinct=True),
        **_target_counts(now),
        **(_percentile_aggregates() if in_sql else {}),
    )
    seconds = row if in_sql else _time_percentiles_in_python(records)
    return {
        "records": row["records"],
        "customers_served": row["customers_served"],
        **{f"{n}_{p}": _hours(seconds[f"{n}_{p}"]) for n in TIMES for p in PERCENTILES},
        "first_response_compliance": rate(row["first_response_met"], row["first_response_judged"]),
        "resolution_compliance": rate(row["resolution_met"], row["resolution_judged"]),
    }


def backlog(f: Filters, user, *, now: datetime | None = None) -> dict:
    """Records created by the end of the period that are still running, by age now."""
    now = now or timezone.now()
    _start, end = f.period.bounds()
    running = narrow_records(
        record_visible(user).filter(status__in=ACTIVE_STATUSES, created_at__lt=end), f
    )
    buckets = {}
    for low, high in AGE_BUCKETS:
        q = Q(created_at__lte=now - timedelta(days=low))
        if high is not None:
            q &= Q(created_at__gt=now - timedelta(days=high))
        buckets[f"age_{low}"] = Count("pk", filter=q)
    row = running.aggregate(backlog=Count("pk"), **buckets)
    ageing = [{"low": low, "high": high, "count": row[f"age_{low}"]} for low, high in AGE_BUCKETS]
    return {"backlog": row["backlog"], "ageing": ageing}


# --- complaints -----------------------------------------------------------------------------------


def complaint_figures(f: Filters, user, *, records: int, customers: int) -> dict:
    """The complaint rate beside complaints per 1,000 records, recovery, retention after
    recovery, overdue actions, surprise breaches and the TARP estimates (complaint_metrics)."""
    complaints = complaints_in(f, user)
    metrics = complaint_metrics(complaints)
    complainants = complaints.aggregate(n=Count("record__customer_id", distinct=True))["n"]
    overdue = ComplaintAction.objects.filter(
        overdue_actions(), complaint__in=complaints.values("pk")
    ).count()
    low, high = metrics["estimated_word_of_mouth"]
    return {
        "complaints": metrics["total"],
        "complaint_rate": rate(complainants, customers),
        "complaints_per_1000": (round(metrics["total"] / records * 1000, 1) if records else None),
        "recovery_rate": metrics["recovery_rate"],
        "retention_after_recovery": retention_after_recovery(complaints),
        "overdue_actions": overdue,
        "surprise_breaches": metrics["surprise_breaches"],
        "estimated_silent_dissatisfied": metrics["estimated_silent_dissatisfied"],
        "estimated_word_of_mouth_low": low,
        "estimated_word_of_mouth_high": high,
        "_average_time_in_step": metrics["average_time_in_step"],
    }


def retention_after_recovery(complaints: QuerySet[Complaint]) -> float | None:
    """Of the customers whose complaint here closed recovered (satisfied), the share with a later
    service record, not itself a complaint, within RETENTION_DAYS of the closing."""
    later = ServiceRecord.objects.filter(
        customer_id=OuterRef("record__customer_id"),
        complaint__isnull=True,
        created_at__gt=OuterRef("closed_at"),
        created_at__lte=OuterRef("closed_at") + timedelta(days=RETENTION_DAYS),
    )
    row = complaints.filter(step=Step.CLOSED, outcome=Outcome.SATISFIED).aggregate(
        complainants=Count("record__customer_id", distinct=True),
        retained=Count("record__customer_id", distinct=True, filter=Exists(later)),
    )
    return rate(row["retained"], row["complainants"])


def complaints_by_step(f: Filters, user, average_time: dict) -> list[dict]:
    """Complaints by the step they are on now, with the average time spent in each step (from
    the transition log, a step taken twice after a loop counted each time)."""
    counts = dict(complaints_in(f, user).values_list("step").annotate(n=Count("pk")).order_by())
    labels = dict(Step.choices)
    return [
        {
            "step": step,
            "label": str(labels[step]),
            "count": counts.get(step, 0),
            "average_hours": (
                _hours(average_time[step].total_seconds()) if step in average_time else None
            ),
        }
        for step in [*STEPS, Step.CLOSED]
    ]


def fishbone(f: Filters, user) -> list[dict]:
    """The fishbone's counts as tickets' own fishbone page counts them (rootcause.selectors
    .complaints_closed_in): complaints closed in the period, by their responsible department,
    with a filed cause on each bone; the other filters narrow by the complaint's record."""
    start, end = f.period.bounds()
    visible = narrow_records(
        complaint_visible(user), replace(f, department_id=None), prefix="record__"
    )
    closed = complaints_closed_in(visible, since=start, until=end, department_id=f.department_id)
    return [{"bone_id": b.pk, "label": b.name, "count": b.n} for b in bone_counts(closed)]


# --- callbacks ------------------------------------------------------------------------------------


def callback_figures(f: Filters, user, *, now: datetime | None = None) -> dict:
    """The callbacks page's three rates (followups.selectors.visit_rates) over visits due in the
    period, by the visit's department and assignee; stage and category are the source record's,
    so a visit without one drops out when either is chosen."""
    visits = _narrowed(
        visible_by_columns(user),
        f,
        {
            "department_id": "department_id",
            "agent_id": "assignee_id",
            "stage": "source_record__stage",
            "category_id": "source_record__category_id",
            "tier": "customer__management_tier",
        },
    )
    start, end = f.period.bounds()
    rates = visit_rates(visits, since=start, until=end, now=now)
    return {
        "callback_on_time_rate": rates["on_time_rate"],
        "callback_reach_rate": rates["reach_rate"],
        "callback_issue_find_rate": rates["issue_find_rate"],
    }


# --- satisfaction ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Satisfaction:
    scores: survey_selectors.Scores
    response_rate: float | None
    chain: survey_selectors.Chain
    weeks: dict = field(default_factory=dict)  # week start (date) → CSAT


def satisfaction(filters: Filters, *, weekly: bool = False) -> Satisfaction:
    """CSAT, NPS, the response rate and the satisfaction chain (by stage and department, with its
    weakest link) of the answers given and the invitations made in the period, by the department,
    agent and stage they name; category and tier through the record and customer. The one place
    the dashboards read survey answers (surveys.selectors defines each score).

    Without a category or tier, the answers are read from surveys.rollups' daily sums (exact:
    days not yet summed are counted from the answers); those two filters need the answers'
    records and customers, so they count the answers themselves."""
    start, end = filters.period.bounds()
    invitations = _narrow_surveys(
        SurveyInvitation.objects.filter(created_at__gte=start, created_at__lt=end),
        filters,
        record="record",
    )
    rate = survey_selectors.response_rate(invitations)
    if filters.tier or filters.category_id:
        return _satisfaction_counted(filters, rate, weekly=weekly)
    since, until = filters.period.since, filters.period.until
    narrow = {
        "department_id": filters.department_id or None,
        "agent_id": filters.agent_id or None,
        "stage": filters.stage or None,
    }
    with rollups.one_read():
        weeks = {}
        if weekly:
            weeks = {
                monday: survey_selectors.scores_of(rollups.score_counts(h)).csat
                for monday, h in sorted(rollups.by_week(since, until, **narrow).items())
            }
        return Satisfaction(
            scores=rollups.scores(since, until, **narrow),
            response_rate=rate,
            chain=rollups.satisfaction_chain(since, until, **narrow),
            weeks=weeks,
        )


def _narrow_surveys(qs, filters: Filters, *, record: str):
    """Invitations or responses by the department, agent and stage they name, the customer's
    tier and (through `record`) the record's category."""
    return _narrowed(
        qs,
        filters,
        {
            "department_id": "department_id",
            "agent_id": "agent_id",
            "stage": "stage",
            "tier": "customer__management_tier",
            "category_id": f"{record}__category_id",
        },
    )


def _satisfaction_counted(filters: Filters, rate, *, weekly: bool) -> Satisfaction:
    start, end = filters.period.bounds()
    responses = _narrow_surveys(
        SurveyResponse.objects.filter(submitted_at__gte=start, submitted_at__lt=end),
        filters,
        record="invitation__record",
    )
    weeks = {}
    if weekly:
        tz = timezone.get_current_timezone()
        rows = (
            responses.annotate(week=TruncWeek("submitted_at", tzinfo=tz))
            .values("week")
            .annotate(**survey_selectors.SCORE_COUNTS)
            .order_by("week")
        )
        weeks = {_day(r["week"]): survey_selectors.scores_of(r).csat for r in rows}
    return Satisfaction(
        scores=survey_selectors.scores(responses),
        response_rate=rate,
        chain=survey_selectors.satisfaction_chain(responses),
        weeks=weeks,
    )


def praise_for(user, f: Filters) -> list[dict]:
    """The praise that names the agent: their answers in the period with a good rating and a
    free-text comment, newest first."""
    start, end = f.period.bounds()
    answers = (
        Answer.objects.filter(
            response__agent=user,
            response__rating__gte=PRAISE_RATING,
            response__submitted_at__gte=start,
            response__submitted_at__lt=end,
            question__kind=Kind.TEXT,
        )
        .exclude(text="")
        .order_by("-response__submitted_at", "-pk")
    )
    return list(
        answers.values("text", "response_id", "response__rating", "response__submitted_at")[
            :PRAISE_SHOWN
        ]
    )


def _day(value) -> date:
    return timezone.localdate(value) if isinstance(value, datetime) else value


# --- breakdowns and trends ------------------------------------------------------------------------


def _department_names(ids) -> dict[int, str]:
    rows = Department.objects.filter(pk__in=list(ids)).values_list("pk", "name_en", "name_zh")
    return {pk: bilingual(en, zh) for pk, en, zh in rows}


def by_department(f: Filters, user, chain: survey_selectors.Chain) -> list[dict]:
    """Records and complaints per department as the record list counts them (a record is in its
    lead's and its collaborators' lists), with each department's CSAT from the chain."""
    records = records_in(f, user)
    counts: dict[int, dict] = {}
    lead = records.values("lead_department_id").annotate(
        records=Count("pk"), complaints=Count("complaint")
    )
    through = ServiceRecord.collaborating_departments.through
    collaborating = (
        through.objects.filter(servicerecord__in=records.values("pk"))
        .values("department_id")
        .annotate(records=Count("servicerecord_id"), complaints=Count("servicerecord__complaint"))
    )
    for rows, key in (
        (lead.order_by(), "lead_department_id"),
        (collaborating.order_by(), "department_id"),
    ):
        for row in rows:
            total = counts.setdefault(row[key], {"records": 0, "complaints": 0})
            total["records"] += row["records"]
            total["complaints"] += row["complaints"]
    csat = {k: v for (kind, k), v in chain.links.items() if kind == "department"}
    names = _department_names(set(counts) | set(csat))
    weakest = chain.weakest[1] if chain.weakest and chain.weakest[0] == "department" else None
    rows = [
        {
            "department_id": pk,
            "label": names.get(pk, str(pk)),
            "records": counts.get(pk, {}).get("records", 0),
            "complaints": counts.get(pk, {}).get("complaints", 0),
            "csat": csat.get(pk),
            "weakest": pk == weakest,
        }
        for pk in names
    ]
    return sorted(rows, key=lambda r: (-r["records"], r["label"]))  # fmt: skip


def by_stage(f: Filters, user, chain: survey_selectors.Chain) -> list[dict]:
    """Records and complaints per stage, in the journey's order, with each stage's CSAT and the
    chain so far (the funnel: the product of every stage's CSAT up to this one)."""
    rows = {
        r["stage"]: r
        for r in records_in(f, user)
        .values("stage")
        .annotate(records=Count("pk"), complaints=Count("complaint"))
        .order_by()
    }
    csat = {k: v for (kind, k), v in chain.links.items() if kind == "stage"}
    weakest = chain.weakest[1] if chain.weakest and chain.weakest[0] == "stage" else None
    kept, result = None, []
    for stage, label in Stage.choices:
        share = csat.get(stage)
        if share is not None:
            kept = share if kept is None else kept * share
        result.append(
            {
                "stage": stage,
                "label": str(label),
                "records": rows.get(stage, {}).get("records", 0),
                "complaints": rows.get(stage, {}).get("complaints", 0),
                "csat": share,
                "kept": None if share is None else round(kept, 4),
                "weakest": stage == weakest,
            }
        )
    return result


def weekly(f: Filters, user, csat_by_week: dict) -> list[dict]:
    """Records and complaints per week of the period (weeks start on Monday), with CSAT."""
    tz = timezone.get_current_timezone()
    rows = (
        records_in(f, user)
        .annotate(week=TruncWeek("created_at", tzinfo=tz))
        .values("week")
        .annotate(records=Count("pk"), complaints=Count("complaint"))
        .order_by("week")
    )
    found = {_day(r["week"]): r for r in rows}
    first = f.period.since - timedelta(days=f.period.since.weekday())
    weeks = []
    week = first
    while week <= f.period.until:
        row = found.get(week, {})
        weeks.append(
            {
                "start": week,
                "records": row.get("records", 0),
                "complaints": row.get("complaints", 0),
                "csat": csat_by_week.get(week),
            }
        )
        week += timedelta(days=7)
    return weeks


# --- the whole report -----------------------------------------------------------------------------


@dataclass
class Report:
    filters: Filters
    figures: list[Figure]
    complaints_by_step: list[dict]
    ageing: list[dict]
    by_department: list[dict] = field(default_factory=list)
    by_stage: list[dict] = field(default_factory=list)
    weeks: list[dict] = field(default_factory=list)
    fishbone: list[dict] = field(default_factory=list)
    chain_weakest: object = None

    def figure(self, key: str) -> Figure:
        return next(f for f in self.figures if f.key == key)


def headline(f: Filters, user, *, now: datetime | None = None, weekly_csat: bool = False):
    """Every headline figure's value (by key) over the filters, and what the tables reuse."""
    now = now or timezone.now()
    sat = satisfaction(f, weekly=weekly_csat)
    records = record_figures(f, user, now=now)
    complaints = complaint_figures(
        f, user, records=records["records"], customers=records["customers_served"]
    )
    values = {
        "csat": sat.scores.csat if sat.scores.csat is None else round(sat.scores.csat, 4),
        "nps": sat.scores.nps,
        "response_rate": None if sat.response_rate is None else round(sat.response_rate, 4),
        "chain_total": None if sat.chain.total is None else round(sat.chain.total, 4),
        **records,
        **complaints,
        **callback_figures(f, user, now=now),
        "calls_answered_effectively": None,
    }
    return values, sat


def report(f: Filters, user, *, now: datetime | None = None, full: bool = True) -> Report:
    """The figures beside the previous period's, the tables, and (full) the charts' data."""
    now = now or timezone.now()
    values, sat = headline(f, user, now=now, weekly_csat=full)
    previous, _sat = headline(f.previous(), user, now=now)
    queue = backlog(f, user, now=now)
    values["backlog"] = queue["backlog"]
    figures = [Figure(d, values.get(d.key), previous.get(d.key)) for d in DEFINITIONS]
    result = Report(
        filters=f,
        figures=figures,
        complaints_by_step=complaints_by_step(f, user, values["_average_time_in_step"]),
        ageing=queue["ageing"],
        chain_weakest=sat.chain.weakest,
    )
    if full:
        result.by_department = by_department(f, user, sat.chain)
        result.by_stage = by_stage(f, user, sat.chain)
        result.weeks = weekly(f, user, sat.weeks)
        result.fishbone = fishbone(f, user)
    return result
