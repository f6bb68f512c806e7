"""Drill-down: the filtered list behind each tile and bar, in each list's own query words, so a
list shows exactly the rows its tile or bar counts (tests/dashboard/test_links.py).

- the record list (/records/, tickets.filters.RecordFilter): created_after / created_before (local
  days), department (lead or collaborating, as kpis counts), assignee, stage, category,
  customer_tier, status;
- the complaint list (/complaints/, tickets.complaints.forms.ComplaintListForm): the record list's
  words for the complaint's record (kpis counts a complaint where its record is), with step,
  overdue=1, breached=1 (kpis' surprise breaches) and recovered=1; the fishbone's bone with
  closed_from / closed_to / responsible_department and the other narrowing by record. The action
  figures count actions, so their list (of complaints) says how many actions it holds;
- the callbacks manager page (/callbacks/manager/): since / until;
- the survey answers list (/surveys/): since / until, stage, department, agent, score=low.
"""

from datetime import timedelta
from urllib.parse import urlencode

from django.urls import reverse

from tickets.models import ACTIVE_STATUSES

from .kpis import Filters


def _url(name: str, query: list[tuple[str, object]] | dict) -> str:
    items = query.items() if isinstance(query, dict) else query
    return f"{reverse(name)}?{urlencode([(k, v) for k, v in items if v not in (None, '')])}"


def record_query(f: Filters, **extra) -> list[tuple[str, object]]:
    query = [
        ("created_after", f.period.since.isoformat()),
        ("created_before", f.period.until.isoformat()),
        ("department", f.department_id),
        ("assignee", f.agent_id),
        ("stage", f.stage),
        ("category", f.category_id),
        ("customer_tier", f.tier),
    ]
    query = [(k, v) for k, v in query if k not in extra]
    for key, value in extra.items():
        if isinstance(value, list | tuple):
            query.extend((key, v) for v in value)
        else:
            query.append((key, value))
    return query


def records(f: Filters, **extra) -> str:
    return _url("tickets:index", record_query(f, **extra))


def backlog(f: Filters) -> str:
    return records(f, created_after=None, status=[str(s) for s in ACTIVE_STATUSES])


def week(f: Filters, start) -> str:
    """One week of the trend, clipped to the period."""
    since = max(start, f.period.since)
    until = min(start + timedelta(days=6), f.period.until)
    return records(f, created_after=since.isoformat(), created_before=until.isoformat())


def complaints(f: Filters | None = None, **extra) -> str:
    """The complaints counted over the filters (all complaints without them)."""
    return _url("tickets:complaints", record_query(f, **extra) if f else extra)


def bone(f: Filters, bone_id: int) -> str:
    """A bone's complaints as kpis.fishbone counts them: closed in the period, by responsible
    department, narrowed by their record otherwise."""
    query = record_query(f, created_after=None, created_before=None, department=None)
    return _url(
        "tickets:complaints",
        [
            ("bone", bone_id),
            ("closed_from", f.period.since.isoformat()),
            ("closed_to", f.period.until.isoformat()),
            ("responsible_department", f.department_id),
            *query,
        ],
    )


def callbacks(f: Filters) -> str:
    return _url(
        "followups:manager",
        {"since": f.period.since.isoformat(), "until": f.period.until.isoformat()},
    )


def answers(f: Filters, **extra) -> str:
    """The answers kpis.satisfaction counts: given in the period, by the stage, department and
    agent they name, the category of their record and the tier of their customer."""
    query = {
        "since": f.period.since.isoformat(),
        "until": f.period.until.isoformat(),
        "stage": f.stage,
        "department": f.department_id,
        "agent": f.agent_id,
        "category": f.category_id,
        "customer_tier": f.tier,
    }
    return _url("surveys:index", query | extra)


def tile(key: str, group: str, f: Filters, *, manager: bool) -> str:
    """The list behind a headline figure ("" where there is none the viewer may open)."""
    if key == "backlog":
        return backlog(f)
    if key == "overdue_actions":
        return complaints(f, overdue=1)
    if key == "surprise_breaches":
        return complaints(f, breached=1)
    if key in ("recovery_rate", "retention_after_recovery"):
        return complaints(f, recovered=1)
    if group == "records":
        return records(f)
    if group == "complaints":
        return complaints(f)
    if group == "satisfaction":
        return answers(f)
    if group == "callbacks" and manager:
        return callbacks(f)
    return ""
