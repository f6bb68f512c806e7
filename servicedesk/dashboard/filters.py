"""What a dashboard shows (Filters), the narrowing every area shares, and the two periods a
dashboard compares read as one span (Span), so each table is scanned once for both."""

from dataclasses import dataclass, replace
from datetime import datetime

from django.db.models import Q, QuerySet

from surveys.results import Period
from tickets.complaints.models import Complaint
from tickets.complaints.selectors import complaint_visible
from tickets.models import ServiceRecord
from tickets.selectors import record_visible
from tickets.visibility import department_key


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


def narrowed_by(qs: QuerySet, f: Filters, columns: dict[str, str]) -> QuerySet:
    """qs narrowed by each filter that is set, on the column `columns` names for it (a Filters
    field → a lookup); a filter without a column here does not narrow this area."""
    conditions = {column: getattr(f, name) for name, column in columns.items() if getattr(f, name)}
    return qs.filter(**conditions) if conditions else qs


def narrow_records(qs: QuerySet, f: Filters, *, prefix: str = "") -> QuerySet:
    """Records (or rows reached through `prefix`, e.g. "record__") narrowed by the filters other
    than the period, with the record list's own rules (tickets.filters.RecordFilter)."""
    if f.department_id:
        qs = qs.filter(**{f"{prefix}audience__has_key": department_key(f.department_id)})
    return narrowed_by(
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


# --- the current and the previous period in one pass ----------------------------------------------


@dataclass(frozen=True)
class Span:
    """The previous period and the current one, which follow each other without a gap: a query
    over [start, end) with a FILTER per period reads each row once for both figures."""

    start: datetime  # the previous period's first moment
    split: datetime  # the current period's first moment
    end: datetime  # the moment after the current period

    @classmethod
    def of(cls, f: Filters) -> "Span":
        start, _ = f.previous().period.bounds()
        split, end = f.period.bounds()
        return cls(start, split, end)

    def within(self, field: str) -> Q:
        """Rows of either period."""
        return Q(**{f"{field}__gte": self.start, f"{field}__lt": self.end})

    def part(self, field: str, current: bool) -> Q:
        """Rows of one period, for an aggregate's FILTER (within() narrows to the span)."""
        return Q(**{f"{field}__gte" if current else f"{field}__lt": self.split})


PARTS = {"now": True, "before": False}  # the figures' suffix → the current period?


def per_part(span: Span, named_of) -> dict:
    """Each period's aggregates (`named_of(when)`: {name: aggregate} filtered by `when`) under
    f"{name}__{part}", for one query over the span."""
    out = {}
    for part, current in PARTS.items():
        named = named_of(span.part("created_at", current))
        out |= {f"{name}__{part}": aggregate for name, aggregate in named.items()}
    return out


def by_part(row: dict) -> dict[str, dict]:
    """per_part's answer back as {part: {name: value}}; names without a part are left out."""
    return {
        part: {name[: -len(part) - 2]: v for name, v in row.items() if name.endswith(f"__{part}")}
        for part in PARTS
    }


def records_spanning(f: Filters, user, span: Span) -> QuerySet[ServiceRecord]:
    return narrow_records(record_visible(user).filter(span.within("created_at")), f)


def complaints_spanning(f: Filters, user, span: Span) -> QuerySet[Complaint]:
    qs = complaint_visible(user).filter(span.within("record__created_at"))
    return narrow_records(qs, f, prefix="record__")
