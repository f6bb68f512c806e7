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

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.contrib.postgres.aggregates import ArrayAgg
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from followups.selectors import visible_by_columns, visit_rates
from servicedesk.core.models import Department, bilingual
from surveys import rollups
from surveys import selectors as survey_selectors
from surveys.models import Answer, Kind, SurveyInvitation, SurveyResponse
from tickets.models import Stage

from . import complaint_pieces, record_pieces, visit_pieces
from .complaint_figures import (
    ALL_STEPS,
    complaint_aggregates,
    complaint_figures,
    complaints_by_step,
    fishbone,
    step_aggregates,
)
from .filters import (
    PARTS,
    Span,
    by_part,
    complaints_spanning,
    narrowed_by,
    per_part,
    records_spanning,
)
from .filters import Filters as Filters  # the pages, forms and API build their filters here
from .record_figures import backlog, breakdown, record_aggregates, record_values
from .record_figures import percentile as percentile  # tests check it against percentile_cont

DASH = "—"
PRAISE_RATING = 4  # a good rating: 4 or 5 of 5
PRAISE_SHOWN = 10


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


# --- callbacks ------------------------------------------------------------------------------------


def _callback_values(rates: dict) -> dict:
    return {
        "callback_on_time_rate": rates["on_time_rate"],
        "callback_reach_rate": rates["reach_rate"],
        "callback_issue_find_rate": rates["issue_find_rate"],
    }


def callback_parts(f: Filters, user, *, now: datetime, rolled_all=None) -> dict[str, dict]:
    """{"now": callback_figures of the period, "before": of the previous one}; on PostgreSQL,
    where the cache can serve, from cached counts of the closed days (visit_pieces)."""
    if connection.vendor == "postgresql" and visit_pieces.usable(f):
        periods = {"now": f, "before": f.previous()}
        if rolled_all is None:
            rolled_all = record_pieces.period_stamps(periods)
        parts = visit_pieces.rates(periods, user, rolled_all, now)
        return {part: _callback_values(rates) for part, rates in parts.items()}
    return {
        "now": callback_figures(f, user, now=now),
        "before": callback_figures(f.previous(), user, now=now),
    }


def callback_figures(f: Filters, user, *, now: datetime | None = None) -> dict:
    """The callbacks page's three rates (followups.selectors.visit_rates) over visits due in the
    period, by the visit's department and assignee; stage and category are the source record's,
    so a visit without one drops out when either is chosen."""
    visits = narrowed_by(
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
    return _callback_values(visit_rates(visits, since=start, until=end, now=now))


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
    if filters.tier or filters.category_id:
        return _satisfaction_counted(filters, _counted_rate(filters), weekly=weekly)
    since, until = filters.period.since, filters.period.until
    narrow = {
        "department_id": filters.department_id or None,
        "agent_id": filters.agent_id or None,
        "stage": filters.stage or None,
    }
    with rollups.one_read():
        if filters.agent_id:  # the invitations' sums are not kept per agent
            rate = _counted_rate(filters)
        else:
            rate = rollups.response_rate(
                since, until, department_id=narrow["department_id"], stage=narrow["stage"]
            )
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


def _counted_rate(filters: Filters) -> float | None:
    """The response rate counted from the invitations themselves."""
    start, end = filters.period.bounds()
    invitations = _narrow_surveys(
        SurveyInvitation.objects.filter(created_at__gte=start, created_at__lt=end),
        filters,
        record="record",
    )
    return survey_selectors.response_rate(invitations)


def _narrow_surveys(qs, filters: Filters, *, record: str):
    """Invitations or responses by the department, agent and stage they name, the customer's
    tier and (through `record`) the record's category."""
    return narrowed_by(
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


def _department_names() -> dict[int, str]:
    rows = Department.objects.values_list("pk", "name_en", "name_zh").order_by("pk")
    return {pk: bilingual(en, zh) for pk, en, zh in rows}


def by_department(counts: dict, chain: survey_selectors.Chain, names: dict) -> list[dict]:
    """Records and complaints per department as the record list counts them (a record is in its
    lead's and its collaborators' lists; record_figures.breakdown), with each department's CSAT
    from the chain: the departments with records or answers."""
    csat = {k: v for (kind, k), v in chain.links.items() if kind == "department"}
    weakest = chain.weakest[1] if chain.weakest and chain.weakest[0] == "department" else None
    rows = [
        {
            "department_id": pk,
            "label": label,
            "records": counts.get(pk, {}).get("records", 0),
            "complaints": counts.get(pk, {}).get("complaints", 0),
            "csat": csat.get(pk),
            "weakest": pk == weakest,
        }
        for pk, label in names.items()
        if counts.get(pk, {}).get("records") or pk in csat
    ]
    return sorted(rows, key=lambda r: (-r["records"], r["label"]))  # fmt: skip


def by_stage(counts: dict, chain: survey_selectors.Chain) -> list[dict]:
    """Records and complaints per stage, in the journey's order, with each stage's CSAT and the
    chain so far (the funnel: the product of every stage's CSAT up to this one)."""
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
                "records": counts.get(stage, {}).get("records", 0),
                "complaints": counts.get(stage, {}).get("complaints", 0),
                "csat": share,
                "kept": None if share is None else round(kept, 4),
                "weakest": stage == weakest,
            }
        )
    return result


def weekly(f: Filters, counts: dict, csat_by_week: dict) -> list[dict]:
    """Records and complaints per week of the period (weeks start on Monday), with CSAT."""
    first = f.period.since - timedelta(days=f.period.since.weekday())
    weeks = []
    week = first
    while week <= f.period.until:
        row = counts.get(week, {})
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


def _satisfaction_values(sat: Satisfaction) -> dict:
    return {
        "csat": sat.scores.csat if sat.scores.csat is None else round(sat.scores.csat, 4),
        "nps": sat.scores.nps,
        "response_rate": None if sat.response_rate is None else round(sat.response_rate, 4),
        "chain_total": None if sat.chain.total is None else round(sat.chain.total, 4),
    }


def _records_pass(f: Filters, user, *, now: datetime, rolled_all=None) -> dict[str, dict]:
    """{part: the records' aggregates and their complaints', and "ids", the complaints'} of both
    periods, from one scan of the records with their complaint joined (record_dashboard_idx
    serves it index-only); SQLite, without percentiles or arrays, reads a little more. On
    PostgreSQL, where the cache can serve (record_pieces.usable), from cold and warm pieces
    instead (complaint_pieces), the actions and the step log counted with them, no "ids"."""
    if connection.vendor == "postgresql" and record_pieces.usable(f):
        return complaint_pieces.records_and_complaints(f, user, now, rolled_all)
    span = Span.of(f)
    records = records_spanning(f, user, span)
    in_sql = connection.vendor == "postgresql"

    def named_of(when: Q) -> dict:
        named = record_aggregates(now, when, in_sql=in_sql) | complaint_aggregates(when)
        if in_sql:
            named["ids"] = ArrayAgg("complaint__id", filter=when & Q(complaint__isnull=False))
        return named

    row = records.aggregate(
        **per_part(span, named_of), **step_aggregates(span.part("created_at", True))
    )
    out = by_part(row)
    if not in_sql:
        pairs = complaints_spanning(f, user, span).values_list("pk", "record__created_at")
        for part, current in PARTS.items():
            out[part]["ids"] = [pk for pk, at in pairs if (at >= span.split) == current]
    for part, current in PARTS.items():
        of_part = None if in_sql else records.filter(span.part("created_at", current))
        out[part]["figures"] = record_values(out[part], of_part)
        out[part]["ids"] = out[part]["ids"] or []
    out["now"]["_steps"] = {s: row[f"step_{s}"] for s in ALL_STEPS}
    return out


def headline(
    f: Filters, user, *, now: datetime | None = None, weekly_csat: bool = False, rolled_all=None
):
    """Every headline figure's value (by key) of the period and of the previous one, and what the
    tables reuse. Records and complaints read both periods in the same queries."""
    now = now or timezone.now()
    sat = satisfaction(f, weekly=weekly_csat)
    previous_sat = satisfaction(f.previous())
    counts = _records_pass(f, user, now=now, rolled_all=rolled_all)
    callbacks = callback_parts(f, user, now=now, rolled_all=rolled_all)
    ids = {part: counts[part].get("ids", []) for part in PARTS}
    complaints = complaint_figures(counts=counts, ids=ids, now=now)
    values = {
        **_satisfaction_values(sat),
        **counts["now"]["figures"],
        **complaints["now"],
        "_steps": counts["now"]["_steps"],
        **callbacks["now"],
        "calls_answered_effectively": None,
    }
    previous = {
        **_satisfaction_values(previous_sat),
        **counts["before"]["figures"],
        **complaints["before"],
        **callbacks["before"],
        "calls_answered_effectively": None,
    }
    return values, previous, sat


def _tune_session() -> None:
    """Three PostgreSQL settings for this transaction only (set_config's `true`: SET LOCAL), in
    one round trip:

    - jit off: a query whose estimated cost passes jit_above_cost is compiled first; the records'
      pass (its retention EXISTS is costed per row) spent ~0.5 s of ~1.3 s at 1M records
      compiling, more than it runs;
    - work_mem 32MB: the planner cannot estimate the breakdown's groups (weeks of a timestamp),
      expects one per row and, above the 4MB default, sorts ~130k rows on disk instead of
      hashing the few thousand groups there are. The dashboard's few aggregates are its only
      large nodes;
    - no parallel workers: the callbacks' counts at 1M records took 22 ms on three processes
      against 25 on one, so each dashboard cost the server twice the CPU. On a machine whose
      cores are busy serving other requests, that only moves the wait elsewhere."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT set_config('jit', 'off', true), set_config('work_mem', '32MB', true), "
                "set_config('max_parallel_workers_per_gather', '0', true)"
            )


@transaction.atomic
def report(f: Filters, user, *, now: datetime | None = None, full: bool = True) -> Report:
    """The figures beside the previous period's, the tables, and (full) the charts' data."""
    _tune_session()
    now = now or timezone.now()
    # Which days are rolled, read once for the pieces and the breakdown (record_pieces).
    rolled_all = None
    if record_pieces.usable(f):
        rolled_all = record_pieces.period_stamps({"now": f, "before": f.previous()})
    values, previous, sat = headline(f, user, now=now, weekly_csat=full, rolled_all=rolled_all)
    queue = backlog(f, user, now=now)
    values["backlog"] = queue["backlog"]
    figures = [Figure(d, values.get(d.key), previous.get(d.key)) for d in DEFINITIONS]
    result = Report(
        filters=f,
        figures=figures,
        complaints_by_step=complaints_by_step(values["_steps"], values["_average_time_in_step"]),
        ageing=queue["ageing"],
        chain_weakest=sat.chain.weakest,
    )
    if full:
        names = _department_names()
        counts = breakdown(f, user, list(names), rolled_all=rolled_all)
        result.by_department = by_department(counts["departments"], sat.chain, names)
        result.by_stage = by_stage(counts["stages"], sat.chain)
        result.weeks = weekly(f, counts["weeks"], sat.weeks)
        result.fishbone = fishbone(f, user)
    return result
