"""Daily rollups of the survey answers, and the sums the results pages and dashboards read.

A closed day (in the desk's time zone, an hour after it ends) is summed once into SurveyDay (the
responses, per template, stage, department, agent and whether staff entered them) and AnswerDay
(each question's answers); RolledDay marks it done. A read over a period takes the rolled days
from the sums and counts every other day (today, or a day a change reopened) from the responses
themselves, so a figure is exact whether or not the beat has run: the sums only make it cheaper.

A change to a response of a rolled day (a customer deleted with their answers, a backdated
entry) reopens the day after commit, and the next roll sums it again. Rolling a day and
reopening it take the same lock, so a change made while its day is being summed is never lost.

The rolled days' sums a read asks for are kept in Django's cache under the read's name, its days
and each day's roll stamp (_rolled_rows, servicedesk.core.exact_cache): summing a day again or
reopening it changes the key, so an entry is never stale, and a repeated read costs one query
(which days are rolled) besides the live days'.

The invitations, the response rate's base, are summed the same way into InvitationDay by the day
they were made, with their own marker (InvitationRolledDay): an invitation sent, answered or
cancelled after its day reopens that day only for the invitations.
"""

from collections import defaultdict
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import BooleanField, Count, ExpressionWrapper, Min, Q, Sum, Value
from django.db.models.functions import TruncDate
from django.utils import timezone

from servicedesk.core import exact_cache
from servicedesk.core.periods import day_bounds, day_runs

from . import selectors
from .models import (
    Answer,
    AnswerDay,
    InvitationDay,
    InvitationRolledDay,
    InvitationStatus,
    RolledDay,
    SurveyAgentDay,
    SurveyDay,
    SurveyInvitation,
    SurveyResponse,
)

GRACE = timedelta(hours=1)  # a day is rolled this long after it ends
ROLL_PER_RUN = 60  # days summed per beat run, newest first
RATINGS = range(1, 6)
LIKELIHOODS = range(0, 11)
COLUMNS = ["answers", "low", *(f"r{v}" for v in RATINGS), *(f"n{v}" for v in LIKELIHOODS)]
_LOCK_SPACE = 0x5D41  # pg_advisory_xact_lock(space, day ordinal): one lock per day
_INVITATION_LOCK_SPACE = 0x5D42  # the same for the invitations' sums, which roll apart
MARKERS = (RolledDay, InvitationRolledDay)  # which days are in the responses' / invitations' sums


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


@dataclass(frozen=True)
class Split:
    rolled: list[tuple[date, date]]  # read from the sums
    live: list[tuple[date, date]]  # counted from the responses
    # Each rolled day with when it was summed: a day summed again, or reopened, changes it, so
    # the sums read under it can be cached (_rolled_rows).
    stamp: tuple = ()


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


def split(since: date, until: date, marker=RolledDay) -> Split:
    """Which days of [since, until] `marker` (RolledDay: the responses' sums; InvitationRolledDay:
    the invitations') says are summed. One query; inside one_read, one for both markers of the
    period and none again. The sums are in the desk's time zone: a user in another one (whose
    days start at other hours) is counted from the rows throughout."""
    if timezone.get_current_timezone_name() != settings.TIME_ZONE:
        return Split(rolled=[], live=[(since, until)])
    cache = _splits.get()
    if cache is None:
        rolled = marker.objects.filter(day__range=(since, until)).values_list("day", "rolled_at")
        return _split_of(since, until, dict(rolled))
    if (marker, since, until) not in cache:
        # A page asking for the responses' figures asks for the response rate too.
        for m, days in _rolled_days(since, until).items():
            cache[(m, since, until)] = _split_of(since, until, days)
    return cache[(marker, since, until)]


def _rolled_days(since: date, until: date) -> dict:
    """{marker: {day: rolled_at}} of its days in [since, until] for every marker, in one query."""
    first, *rest = (
        m.objects.filter(day__range=(since, until))
        .annotate(marker=Value(n))
        .values_list("day", "rolled_at", "marker")
        .order_by()
        for n, m in enumerate(MARKERS)
    )
    out: dict = {m: {} for m in MARKERS}
    for day, rolled_at, n in first.union(*rest, all=True):
        out[MARKERS[n]][day] = rolled_at
    return out


def _split_of(since: date, until: date, rolled: dict) -> Split:
    every = [since + timedelta(days=n) for n in range((until - since).days + 1)]
    return Split(
        rolled=day_runs(rolled),
        live=day_runs(d for d in every if d not in rolled),
        stamp=tuple(sorted(rolled.items())),
    )


def _rolled_rows(parts: Split, what: tuple, read) -> list[dict]:
    """`read()`'s rows (sums of the rolled days), from Django's cache when the same sums of the
    same days were read since each was last summed (servicedesk.core.exact_cache). `what` names
    the read: its table, grouping and filters."""
    key = exact_cache.key_of("surveys:sums", what, parts.rolled, parts.stamp)
    return exact_cache.read_through({key: read}, "survey day sums")[key]


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


def _on_sums(columns: dict, filters: dict) -> dict:
    """The filters on the sums' columns: a department or agent as its key (none: 0); a stage as
    it is, the empty one included."""
    return {
        columns[k][1]: (v or 0) if columns[k][1].endswith("_key") else v
        for k, v in filters.items()
        if v is not None
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
        on_sums = _on_sums(_FILTERS, filters)
        rows = _rolled_rows(
            parts,
            (table.__name__, roll_col, sorted(on_sums.items())),
            lambda: _rows(
                table.objects.filter(_days_q(parts.rolled)).filter(**on_sums),
                roll_col,
                {c: Sum(c) for c in COLUMNS},
            ),
        )
        _add_rows(out, group, rows, roll_col)
    if parts.live:
        responses = SurveyResponse.objects.filter(_moments_q(parts.live, "submitted_at")).filter(
            **{_FILTERS[k][0]: v for k, v in filters.items() if v is not None}
        )
        cube = _live_cube(responses, parts.live, filters) if group in _CUBE_GROUPS else None
        if cube is not None:
            for row in cube:
                into = out[_key(group, row[raw_col] if raw_col else None)]
                for c in COLUMNS:
                    into[c] += row[c]
            return dict(out)
        if group == "staff":
            responses = responses.annotate(staff=_staff())
        elif group == "day":
            tz = timezone.get_current_timezone()
            responses = responses.annotate(day=TruncDate("submitted_at", tzinfo=tz))
        _add_rows(out, group, _rows(responses, raw_col, _histogram_counts()), raw_col)
    return dict(out)


# The groupings one read of the live days serves (_live_cube): a results page asks for the
# period's responses by who entered them, by day, by stage and by department.
_CUBE_GROUPS = (None, "staff", "day", "stage", "department")


def _live_cube(responses, live, filters: dict) -> list | None:
    """Inside one_read: the live days' histograms per day, stage, department and staff, counted
    in one query (a few dozen rows for today) and kept, so that every grouping of the same
    responses adds them up instead of scanning them again. None outside one_read."""
    cache = _splits.get()
    if cache is None:
        return None
    key = ("live", tuple(live), tuple(sorted(filters.items())))
    if key not in cache:
        tz = timezone.get_current_timezone()
        cache[key] = _folded(
            responses.annotate(staff=_staff(), day=TruncDate("submitted_at", tzinfo=tz)),
            ("day", "stage", "department_id", "staff"),
        )
    return cache[key]


def _folded(responses, columns: tuple) -> list[dict]:
    """_histogram_counts() per value of `columns`, counted as one COUNT(*) per (those columns,
    is_low, rating, nps) and folded here: the same rows, but an aggregate that takes a fraction
    of eighteen filtered COUNTs to build, compile and run (a results page reads it each time)."""
    out: dict[tuple, dict] = {}
    grouped = responses.values(*columns, "is_low", "rating", "nps").annotate(n=Count("pk"))
    for row in grouped.order_by():
        key = tuple(row[c] for c in columns)
        into = out.get(key)
        if into is None:
            into = out[key] = {**dict(zip(columns, key, strict=True)), **empty()}
        n = row["n"]
        into["answers"] += n
        if row["is_low"]:
            into["low"] += n
        if row["rating"] in RATINGS:  # off the scale: in answers only, as the filtered COUNTs
            into[f"r{row['rating']}"] += n
        if row["nps"] in LIKELIHOODS:
            into[f"n{row['nps']}"] += n
    return list(out.values())


def _rows(queryset, column, aggregates) -> list[dict]:
    """The aggregates over `queryset`, per value of `column` (None: one row, or none when it
    counts nothing)."""
    if column is None:
        row = queryset.aggregate(**aggregates)
        return [row] if row["answers"] else []
    return list(queryset.values(column).annotate(**aggregates).order_by())


def _add_rows(out: dict, group, rows: list[dict], column) -> None:
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
            _rolled_rows(
                parts,
                ("AnswerDay", template_id),
                lambda: list(
                    AnswerDay.objects.filter(_days_q(parts.rolled), template_id=template_id)
                    .values("question_id", "choice")
                    .annotate(count=Sum("n"), sum=Sum("total"))
                    .order_by()
                ),
            )
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


# --- the invitations' sums -----------------------------------------------------------------------
# The response rate's base: invitations by the day they were made (their answers may come later).

RATE_COLUMNS = ["invited", "delivered", "answered"]
_RATE_GROUPS = {
    "template": ("template_id", "template_id"),
    "stage": ("stage", "stage"),
    "department": ("department_id", "department_key"),
}
_RATE_FILTERS = {
    "template_id": ("template_id", "template_id"),
    "stage": ("stage", "stage"),
    "department_id": ("department_id", "department_key"),
}


def _invitation_counts() -> dict:
    return {"invited": Count("pk"), **selectors.RATE_COUNTS}


def rate_counts(since: date, until: date, group: str | None = None, **filters) -> dict:
    """{value of `group`: {"invited", "delivered", "answered"}} (or {None: ...} without a group)
    over the invitations made in [since, until], cancelled ones left out, narrowed by
    template_id, stage and department_id (None: any). At most three queries."""
    unknown = set(filters) - set(_RATE_FILTERS)
    if unknown:
        raise TypeError(f"unknown filters: {sorted(unknown)}")
    parts = split(since, until, InvitationRolledDay)
    out: dict = defaultdict(lambda: dict.fromkeys(RATE_COLUMNS, 0))
    raw_col, roll_col = _RATE_GROUPS[group] if group else (None, None)
    groups = []
    if parts.rolled:
        on_sums = _on_sums(_RATE_FILTERS, filters)
        rows = _rolled_rows(
            parts,
            ("InvitationDay", roll_col, sorted(on_sums.items())),
            lambda: _rate_rows(
                InvitationDay.objects.filter(_days_q(parts.rolled)).filter(**on_sums),
                roll_col,
                {c: Sum(c) for c in RATE_COLUMNS},
            ),
        )
        groups.append((rows, roll_col))
    if parts.live:
        invitations = (
            SurveyInvitation.objects.filter(_moments_q(parts.live, "created_at"))
            .exclude(status=InvitationStatus.CANCELLED)
            .filter(**{_RATE_FILTERS[k][0]: v for k, v in filters.items() if v is not None})
        )
        groups.append((_rate_rows(invitations, raw_col, _invitation_counts()), raw_col))
    for rows, column in groups:
        for row in rows:
            into = out[_key(group, row.get(column))]
            for c in RATE_COLUMNS:
                into[c] += row[c] or 0
    return dict(out)


def _rate_rows(queryset, column, aggregates) -> list[dict]:
    """The invitations' aggregates per value of `column` (None: one row), those counting none
    left out."""
    if column is None:
        rows = [queryset.aggregate(**aggregates)]
    else:
        rows = queryset.values(column).annotate(**aggregates).order_by()
    return [row for row in rows if row["invited"]]


def response_rate(since: date, until: date, **filters) -> float | None:
    """Answered / delivered, as selectors.response_rate counts it."""
    row = rate_counts(since, until, **filters).get(None)
    return selectors.rate_of(row) if row else None


def response_rates_by(since: date, until: date, group: str, **filters) -> dict:
    """{value of `group`: answered / delivered}."""
    return {
        k: selectors.rate_of(row) for k, row in rate_counts(since, until, group, **filters).items()
    }


# --- rolling and reopening ------------------------------------------------------------------------


def _lock(day: date, space: int = _LOCK_SPACE) -> None:
    """Serialise rolling a day with reopening it (PostgreSQL; SQLite serialises every write)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [space, day.toordinal()])


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


def roll_invitation_day(day: date) -> int:
    """Sum one day's invitations again (idempotent); returns the invitations summed."""
    start, end = day_bounds(day, day, _desk_tz())
    with transaction.atomic():
        _lock(day, _INVITATION_LOCK_SPACE)
        InvitationDay.objects.filter(day=day).delete()
        rows = list(
            SurveyInvitation.objects.filter(created_at__gte=start, created_at__lt=end)
            .exclude(status=InvitationStatus.CANCELLED)
            .values("template_id", "stage", "department_id")
            .annotate(**_invitation_counts())
            .order_by()
        )
        InvitationDay.objects.bulk_create(
            InvitationDay(
                day=day,
                template_id=r["template_id"],
                stage=r["stage"],
                department_key=r["department_id"] or 0,
                **{c: r[c] for c in RATE_COLUMNS},
            )
            for r in rows
        )
        InvitationRolledDay.objects.update_or_create(
            day=day, defaults={"rolled_at": timezone.now()}
        )
    return sum(r["invited"] for r in rows)


def _days_to_roll(first: datetime | None, marker, now, limit: int) -> list[date]:
    if first is None:
        return []
    since, until = timezone.localtime(first, _desk_tz()).date(), last_closed_day(now)
    rolled = set(marker.objects.filter(day__range=(since, until)).values_list("day", flat=True))
    days = []
    day = until
    while day >= since and len(days) < limit:
        if day not in rolled:
            days.append(day)
        day -= timedelta(days=1)
    return days


def days_to_roll(now: datetime | None = None, limit: int = ROLL_PER_RUN) -> list[date]:
    """Closed days not yet rolled, from the first response on, newest first: two queries."""
    first = SurveyResponse.objects.aggregate(first=Min("submitted_at"))["first"]
    return _days_to_roll(first, RolledDay, now, limit)


def invitation_days_to_roll(now: datetime | None = None, limit: int = ROLL_PER_RUN) -> list[date]:
    """Closed days whose invitations are not summed, from the first invitation on, newest first:
    two queries."""
    first = SurveyInvitation.objects.aggregate(first=Min("created_at"))["first"]
    return _days_to_roll(first, InvitationRolledDay, now, limit)


def roll_pending(now: datetime | None = None, limit: int = ROLL_PER_RUN) -> int:
    """The beat's sweep: rolls up to `limit` closed days of responses and as many of
    invitations; returns how many days it rolled of either."""
    days = days_to_roll(now, limit)
    for day in days:
        roll_day(day)
    invitation_days = invitation_days_to_roll(now, limit)
    for day in invitation_days:
        roll_invitation_day(day)
    return len(days) + len(invitation_days)


def _reopen(moment: datetime, marker, space: int) -> None:
    day = timezone.localtime(moment, _desk_tz()).date()
    if day > last_closed_day():
        return  # not rolled yet, nothing to undo

    def undo():
        with transaction.atomic():
            _lock(day, space)
            marker.objects.filter(day=day).delete()

    transaction.on_commit(undo)


def reopen(submitted_at: datetime) -> None:
    """A response of this moment changed: its day is counted from the responses until rolled
    again. Runs after the change commits, under the day's lock, so a roll in progress that
    missed the change finishes first and is then undone."""
    _reopen(submitted_at, RolledDay, _LOCK_SPACE)


def reopen_invitations(created_at: datetime) -> None:
    """An invitation made at this moment changed (sent, answered, cancelled, deleted): its day
    is counted from the invitations until rolled again, as reopen() does for responses.
    survey_open's UPDATE sends no signal and needs none: being opened counts in no sum."""
    _reopen(created_at, InvitationRolledDay, _INVITATION_LOCK_SPACE)
