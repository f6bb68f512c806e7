"""Daily rollups of the survey answers, and the sums the results pages and dashboards read.

A closed day (in the desk's time zone, an hour after it ends) is summed once into SurveyDay (the
responses, per template, stage, department, agent and whether staff entered them) and AnswerDay
(each question's answers); RolledDay marks it done. A read over a period takes the rolled days
from the sums and counts every other day (today, or a day a change reopened) from the responses
themselves, so a figure is exact whether or not the beat has run: the sums only make it cheaper.

A change to a response of a rolled day (a customer deleted with their answers, a backdated
entry) reopens the day after commit, and the next roll sums it again. Rolling a day and
reopening it take the same lock, so a change made while its day is being summed is never lost.
"""

from collections import defaultdict
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, Min, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from servicedesk.core.periods import day_bounds

from . import selectors
from .models import Answer, AnswerDay, RolledDay, SurveyAgentDay, SurveyDay, SurveyResponse

GRACE = timedelta(hours=1)  # a day is rolled this long after it ends
ROLL_PER_RUN = 60  # days summed per beat run, newest first
RATINGS = range(1, 6)
LIKELIHOODS = range(0, 11)
COLUMNS = ["answers", "low", *(f"r{v}" for v in RATINGS), *(f"n{v}" for v in LIKELIHOODS)]
_LOCK_SPACE = 0x5D41  # pg_advisory_xact_lock(space, day ordinal): one lock per day


def _histogram_counts() -> dict:
    """The raw counts a SurveyDay row holds, over responses."""
    return {
        "answers": Count("pk"),
        "low": Count("pk", filter=Q(is_low=True)),
        **{f"r{v}": Count("pk", filter=Q(rating=v)) for v in RATINGS},
        **{f"n{v}": Count("pk", filter=Q(nps=v)) for v in LIKELIHOODS},
    }


def score_counts(h: dict) -> dict:
    """selectors.SCORE_COUNTS' figures from a histogram, with selectors' thresholds."""
    return {
        "answers": h["answers"],
        "low": h["low"],
        "rated": sum(h[f"r{v}"] for v in RATINGS),
        "satisfied": sum(h[f"r{v}"] for v in RATINGS if v >= selectors.SATISFIED_FROM),
        "nps_answers": sum(h[f"n{v}"] for v in LIKELIHOODS),
        "promoters": sum(h[f"n{v}"] for v in LIKELIHOODS if v >= selectors.PROMOTER),
        "detractors": sum(h[f"n{v}"] for v in LIKELIHOODS if v <= selectors.DETRACTOR),
    }


def empty() -> dict:
    return dict.fromkeys(COLUMNS, 0)


# --- which days are rolled ------------------------------------------------------------------------


def _desk_tz():
    return timezone.get_default_timezone()


def last_closed_day(now: datetime | None = None) -> date:
    """The newest day that may be rolled: it ended at least GRACE ago."""
    return timezone.localtime((now or timezone.now()) - GRACE, _desk_tz()).date() - timedelta(
        days=1
    )


def _spans(days: list[date]) -> list[tuple[date, date]]:
    """Sorted days merged into inclusive runs of consecutive days."""
    runs: list[list[date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return [(a, b) for a, b in runs]


@dataclass(frozen=True)
class Split:
    rolled: list[tuple[date, date]]  # read from the sums
    live: list[tuple[date, date]]  # counted from the responses


_splits: ContextVar[dict | None] = ContextVar("survey_rollup_splits", default=None)


@contextmanager
def one_read():
    """Within it, each period's split is read once: a page asking several figures of the same
    period pays one query for it, not one per figure."""
    token = _splits.set({})
    try:
        yield
    finally:
        _splits.reset(token)


def split(since: date, until: date) -> Split:
    """One query (none again for the same period inside one_read). The sums are in the desk's
    time zone: a user in another one (whose days start at other hours) is counted from the
    responses throughout."""
    if timezone.get_current_timezone_name() != settings.TIME_ZONE:
        return Split(rolled=[], live=[(since, until)])
    cache = _splits.get()
    if cache is not None and (since, until) in cache:
        return cache[(since, until)]
    every = [since + timedelta(days=n) for n in range((until - since).days + 1)]
    rolled = set(RolledDay.objects.filter(day__range=(since, until)).values_list("day", flat=True))
    parts = Split(rolled=_spans(list(rolled)), live=_spans([d for d in every if d not in rolled]))
    if cache is not None:
        cache[(since, until)] = parts
    return parts


def _days_q(spans, field: str = "day") -> Q:
    q = Q(pk__in=[])
    for a, b in spans:
        q |= Q(**{f"{field}__range": (a, b)})
    return q


def _moments_q(spans, field: str) -> Q:
    q = Q(pk__in=[])
    for a, b in spans:
        start, end = day_bounds(a, b)
        q |= Q(**{f"{field}__gte": start, f"{field}__lt": end})
    return q


# --- the responses' sums --------------------------------------------------------------------------

# group -> (the responses' expression or column, the sums' column)
_GROUPS = {
    "template": ("template_id", "template_id"),
    "stage": ("stage", "stage"),
    "department": ("department_id", "department_key"),
    "agent": ("agent_id", "agent_key"),
    "staff": ("staff", "staff"),
    "day": ("day", "day"),
}
# filter -> (the responses' column, the sums' column)
_FILTERS = {
    "template_id": ("template_id", "template_id"),
    "stage": ("stage", "stage"),
    "department_id": ("department_id", "department_key"),
    "agent_id": ("agent_id", "agent_key"),
}


def _staff():
    return ExpressionWrapper(Q(entered_by__isnull=False), output_field=BooleanField())


def _key(group: str | None, value):
    if group in ("department", "agent"):
        return value or None  # the sums' 0 and the responses' NULL alike
    if group == "day" and isinstance(value, datetime):
        return value.date()
    return value


def histograms(since: date, until: date, group: str | None = None, **filters) -> dict:
    """{value of `group`: histogram} (or {None: histogram} without a group) over the responses
    submitted in [since, until], narrowed by template_id, stage, department_id and agent_id
    (None: any). At most three queries whatever the number of answers."""
    unknown = set(filters) - set(_FILTERS)
    if unknown:
        raise TypeError(f"unknown filters: {sorted(unknown)}")
    parts = split(since, until)
    out: dict = defaultdict(empty)
    raw_col, roll_col = _GROUPS[group] if group else (None, None)
    if parts.rolled:
        # The per-agent sums only when an agent is asked about: the others are ten times fewer.
        table = SurveyAgentDay if group == "agent" or filters.get("agent_id") else SurveyDay
        sums = table.objects.filter(_days_q(parts.rolled)).filter(
            **{_FILTERS[k][1]: (v or 0) for k, v in filters.items() if v is not None}
        )
        _add(out, group, sums, roll_col, {c: Sum(c) for c in COLUMNS})
    if parts.live:
        responses = SurveyResponse.objects.filter(_moments_q(parts.live, "submitted_at")).filter(
            **{_FILTERS[k][0]: v for k, v in filters.items() if v is not None}
        )
        if group == "staff":
            responses = responses.annotate(staff=_staff())
        elif group == "day":
            tz = timezone.get_current_timezone()
            responses = responses.annotate(day=TruncDate("submitted_at", tzinfo=tz))
        _add(out, group, responses, raw_col, _histogram_counts())
    return dict(out)


def _add(out: dict, group, queryset, column, aggregates) -> None:
    if column is None:
        row = queryset.aggregate(**aggregates)
        rows = [row] if row["answers"] else []
    else:
        rows = queryset.values(column).annotate(**aggregates).order_by()
    for row in rows:
        into = out[_key(group, row.get(column))]
        for c in COLUMNS:
            into[c] += row[c] or 0


def by_week(since: date, until: date, **filters) -> dict:
    """{Monday: histogram} of the weeks with answers, the days' sums added up per week."""
    weeks: dict = {}
    for day, histogram in histograms(since, until, "day", **filters).items():
        into = weeks.setdefault(day - timedelta(days=day.weekday()), empty())
        for column in COLUMNS:
            into[column] += histogram[column]
    return weeks


def scores(since: date, until: date, **filters) -> selectors.Scores:
    h = histograms(since, until, **filters).get(None, empty())
    return selectors.scores_of(score_counts(h))


def scores_by(since: date, until: date, group: str, **filters) -> dict:
    """{value of `group`: Scores}."""
    return {
        k: selectors.scores_of(score_counts(h))
        for k, h in histograms(since, until, group, **filters).items()
    }


def satisfaction_by(since: date, until: date, group: str, **filters) -> dict:
    """CSAT per stage or department ({value: share}), as selectors.satisfaction_by counts it."""
    return {
        k: s.csat
        for k, s in scores_by(since, until, group, **filters).items()
        if k not in ("", None) and s.rated
    }


def satisfaction_chain(since: date, until: date, **filters) -> selectors.Chain:
    links = {("stage", k): v for k, v in satisfaction_by(since, until, "stage", **filters).items()}
    links |= {
        ("department", k): v
        for k, v in satisfaction_by(since, until, "department", **filters).items()
    }
    return selectors.chained(links)


# --- the answers' sums ----------------------------------------------------------------------------


def answer_counts(template_id: int, since: date, until: date) -> dict:
    """{question id: {choice: {"n", "total"}}} of the template's answers in [since, until]; a
    rating's or text's one group has the choice "". At most three queries."""
    parts = split(since, until)
    out: dict = defaultdict(lambda: defaultdict(lambda: {"n": 0, "total": 0}))
    groups = []
    if parts.rolled:
        groups.append(
            AnswerDay.objects.filter(_days_q(parts.rolled), template_id=template_id)
            .values("question_id", "choice")
            .annotate(count=Sum("n"), sum=Sum("total"))
            .order_by()
        )
    if parts.live:
        groups.append(
            Answer.objects.filter(
                _moments_q(parts.live, "response__submitted_at"),
                response__template_id=template_id,
            )
            .values("question_id", "choice")
            .annotate(count=Count("pk"), sum=Sum("number"))
            .order_by()
        )
    for rows in groups:
        for row in rows:
            into = out[row["question_id"]][row["choice"]]
            into["n"] += row["count"]
            into["total"] += row["sum"] or 0
    return out


# --- rolling and reopening ------------------------------------------------------------------------


def _lock(day: date) -> None:
    """Serialise rolling a day with reopening it (PostgreSQL; SQLite serialises every write)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_SPACE, day.toordinal()])


def _sums(row: dict) -> dict:
    return {
        "template_id": row["template_id"],
        "stage": row["stage"],
        "department_key": row["department_id"] or 0,
        "staff": row["staff"],
        **{c: row[c] for c in COLUMNS},
    }


def roll_day(day: date) -> int:
    """Sum one day again from its responses (idempotent); returns the responses summed."""
    start, end = day_bounds(day, day, _desk_tz())
    with transaction.atomic():
        _lock(day)
        for table in (SurveyDay, SurveyAgentDay, AnswerDay):
            table.objects.filter(day=day).delete()
        responses = SurveyResponse.objects.filter(
            submitted_at__gte=start, submitted_at__lt=end
        ).annotate(staff=_staff())
        key = ["template_id", "stage", "department_id", "staff"]
        per_agent = list(
            responses.values(*key, "agent_id").annotate(**_histogram_counts()).order_by()
        )
        SurveyAgentDay.objects.bulk_create(
            SurveyAgentDay(day=day, agent_key=r["agent_id"] or 0, **_sums(r)) for r in per_agent
        )
        # The sums without the agent are the per-agent ones, added up.
        overall: dict = {}
        for r in per_agent:
            into = overall.setdefault(
                tuple(r[k] for k in key), {**{k: r[k] for k in key}, **empty()}
            )
            for column in COLUMNS:
                into[column] += r[column]
        SurveyDay.objects.bulk_create(SurveyDay(day=day, **_sums(r)) for r in overall.values())
        answers = (
            Answer.objects.filter(response__submitted_at__gte=start, response__submitted_at__lt=end)
            .values("response__template_id", "question_id", "choice")
            .annotate(count=Count("pk"), sum=Sum("number"))
            .order_by()
        )
        AnswerDay.objects.bulk_create(
            AnswerDay(
                day=day,
                template_id=a["response__template_id"],
                question_id=a["question_id"],
                choice=a["choice"],
                n=a["count"],
                total=a["sum"] or 0,
            )
            for a in answers
        )
        RolledDay.objects.update_or_create(day=day, defaults={"rolled_at": timezone.now()})
    return sum(r["answers"] for r in per_agent)


def days_to_roll(now: datetime | None = None, limit: int = ROLL_PER_RUN) -> list[date]:
    """Closed days not yet rolled, from the first response on, newest first: two queries."""
    first = SurveyResponse.objects.aggregate(first=Min("submitted_at"))["first"]
    if first is None:
        return []
    since, until = timezone.localtime(first, _desk_tz()).date(), last_closed_day(now)
    rolled = set(RolledDay.objects.filter(day__range=(since, until)).values_list("day", flat=True))
    days = []
    day = until
    while day >= since and len(days) < limit:
        if day not in rolled:
            days.append(day)
        day -= timedelta(days=1)
    return days


def roll_pending(now: datetime | None = None, limit: int = ROLL_PER_RUN) -> int:
    """The beat's sweep: rolls up to `limit` closed days; returns how many it rolled."""
    days = days_to_roll(now, limit)
    for day in days:
        roll_day(day)
    return len(days)


def reopen(submitted_at: datetime) -> None:
    """A response of this moment changed: its day is counted from the responses until rolled
    again. Runs after the change commits, under the day's lock, so a roll in progress that
    missed the change finishes first and is then undone."""
    day = timezone.localtime(submitted_at, _desk_tz()).date()
    if day > last_closed_day():
        return  # not rolled yet, nothing to undo

    def undo():
        with transaction.atomic():
            _lock(day)
            RolledDay.objects.filter(day=day).delete()

    transaction.on_commit(undo)
