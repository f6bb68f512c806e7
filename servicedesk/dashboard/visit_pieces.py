"""The callbacks' rates of both periods read as record_pieces reads the records': the counts of
the visits due on the days rolled and not reopened since, kept in Django's cache under a key
naming the exact query and each day's roll stamp, and the other days' counted on each request.

A visit belongs to the day it is due. Saving or deleting a visit reopens that day, and the day it
was due before if a save moved it; visits saved in bulk reopen theirs (followups.signals); so a
stale count is never read again (dashboard.apps). A visit due on a closed day has passed its due
time, so those days' counts do not turn on `now`.

Only the department and agent filters are cached: stage and category are the visit's source
record's, which can change without touching the visit. PostgreSQL only, as record_pieces.
"""

from datetime import datetime

from django.db.models import QuerySet

from followups.models import CallbackVisit, VisitStatus
from followups.selectors import RATE_COUNTS, visible_by_columns, with_rates
from servicedesk.core import exact_cache
from servicedesk.core.periods import day_runs

from .filters import Filters, narrowed_by
from .record_pieces import piece_key, split_days, viewer_of
from .record_pieces import usable as records_usable
from .rollups import moments_q

COLUMNS = {"department_id": "department_id", "agent_id": "assignee_id"}


def usable(f: Filters) -> bool:
    return records_usable(f) and not (f.stage or f.category_id)


def _due_on(visits: QuerySet, days) -> QuerySet[CallbackVisit]:
    return visits.exclude(status=VisitStatus.CANCELLED).filter(moments_q(day_runs(days), "due_at"))


def _counts(qs: QuerySet) -> dict:
    return qs.aggregate(**RATE_COUNTS)


def rates(periods: dict[str, Filters], user, rolled_all: dict, now: datetime) -> dict[str, dict]:
    """{part: followups.selectors.visit_rates' figures} for each part's filters: one cache round
    trip for the cold counts (and one query per part missing from it), one query per part with
    warm days."""
    reads, warm_qs, keys = {}, {}, {}
    viewer = viewer_of(user)
    for part, f in periods.items():
        visits = narrowed_by(visible_by_columns(user), f, COLUMNS)
        rolled, warm = split_days(f, rolled_all)
        if rolled:

            def cold(visits=visits, rolled=rolled):
                return _due_on(visits, rolled)

            keys[part] = piece_key("dash:visits", cold, rolled, (viewer, f))
            reads[keys[part]] = lambda cold=cold: _counts(cold())
        if warm:  # the days not closed yet: only the visits whose due time has passed
            warm_qs[part] = _due_on(visits, warm).filter(due_at__lt=now)
    cold = exact_cache.read_through(reads, "dashboard visit counts")
    out = {}
    for part in periods:
        found = [cold[keys[part]]] if part in keys else []
        found += [_counts(warm_qs[part])] if part in warm_qs else []
        out[part] = with_rates({name: sum(c[name] for c in found) for name in RATE_COUNTS})
    return out
