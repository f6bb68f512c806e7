"""History of changes, on django-simple-history.

Domain models declare `history = HistoricalRecords()`; these helpers turn the historical rows into
"who changed what, when, old → new" lines for pages and the API, in a bounded number of queries.
"""

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Change:
    field: str
    old: object
    new: object


@dataclass
class HistoryEntry:
    when: datetime
    who: object
    kind: str  # "+" created, "~" changed, "-" deleted
    changes: list[Change] = field(default_factory=list)
    reason: str = ""


def history_entries(history_qs, *, exclude_fields=("updated_at", "version")) -> list[HistoryEntry]:
    """Diff consecutive historical rows, newest first; pass `obj.history.all()` or a subset."""
    records = list(history_qs.select_related("history_user").order_by("history_date", "history_id"))
    entries = []
    previous = None
    for record in records:
        changes = []
        if previous is not None:
            delta = record.diff_against(previous, excluded_fields=list(exclude_fields))
            changes = [Change(c.field, c.old, c.new) for c in delta.changes]
        entries.append(
            HistoryEntry(
                when=record.history_date,
                who=record.history_user,
                kind=record.history_type,
                changes=changes,
                reason=record.history_change_reason or "",
            )
        )
        previous = record
    return [e for e in reversed(entries) if e.kind != "~" or e.changes]
