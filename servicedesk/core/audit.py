"""History of changes, on django-simple-history.

Domain models declare `history = HistoricalRecords()`; `history_entries` turns the historical rows
into "who changed what, when, old → new" for the record page and the API alike: the field's label,
the raw values (JSON-ready) and the values as a person reads them (people's names, choice labels,
related objects' names, dates in the active language and time zone).

Its cost does not grow with the rows: one query for the rows and their authors, one per tracked
many-to-many field, and one per kind of related object the changes name (users, categories, ...).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import models
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .users import display_name

EMPTY = "—"


class HistoryKind(models.TextChoices):
    CREATED = "created", _("Created")
    CHANGED = "changed", _("Changed")
    DELETED = "deleted", _("Deleted")


KIND_BY_TYPE = {"+": HistoryKind.CREATED, "~": HistoryKind.CHANGED, "-": HistoryKind.DELETED}


@dataclass
class Change:
    field: str
    label: str  # the model field's verbose_name in the active language
    old: object  # raw and JSON-ready: ids, ISO 8601 dates and times, decimals as text
    new: object
    old_display: str  # as a person reads it
    new_display: str


@dataclass
class HistoryEntry:
    when: datetime
    who: object  # the user, or None for the system
    kind: str  # "+" created, "~" changed, "-" deleted (django-simple-history's history_type)
    changes: list[Change] = field(default_factory=list)
    reason: str = ""
    who_name: str = ""  # servicedesk.core.users.display_name, as everywhere people are named

    @property
    def kind_name(self) -> str:
        return KIND_BY_TYPE[self.kind].value


def history_entries(history_qs, *, exclude_fields=("updated_at", "version")) -> list[HistoryEntry]:
    """Diff consecutive historical rows, newest first; pass `obj.history.all()` or a subset.

    Display values are formatted now, in the active language and time zone.
    """
    history_model = history_qs.model
    excluded = {"id", *exclude_fields}
    fields = [f for f in history_model.tracked_fields if f.editable and f.name not in excluded]
    m2m_fields = [
        f for f in getattr(history_model, "_history_m2m_fields", ()) if f.name not in excluded
    ]
    records = list(history_qs.select_related("history_user").order_by("history_date", "history_id"))
    m2m_values = _m2m_values(history_model, m2m_fields, records)

    raw_entries = []
    previous = None
    for record in records:
        diffs = []
        if previous is not None:
            for f in fields:
                old, new = getattr(previous, f.attname), getattr(record, f.attname)
                if old != new:
                    diffs.append((f, old, new))
            for f in m2m_fields:
                old = m2m_values[previous.pk].get(f.name, [])
                new = m2m_values[record.pk].get(f.name, [])
                if old != new:
                    diffs.append((f, old, new))
        raw_entries.append((record, diffs))
        previous = record

    related = _load_related(diffs for _record, diffs in raw_entries)
    entries = [
        HistoryEntry(
            when=record.history_date,
            who=record.history_user,
            who_name=display_name(record.history_user),
            kind=record.history_type,
            changes=[_change(f, old, new, related) for f, old, new in diffs],
            reason=record.history_change_reason or "",
        )
        for record, diffs in raw_entries
    ]
    return [e for e in reversed(entries) if e.kind != "~" or e.changes]


def _m2m_values(history_model, m2m_fields, records) -> dict[int, dict[str, list]]:
    """history id → field → sorted related ids, one query per many-to-many field."""
    values: dict[int, dict[str, list]] = defaultdict(dict)
    ids = [r.pk for r in records]
    for f in m2m_fields:
        through = getattr(history_model, f.name).model
        target = f.m2m_reverse_field_name()
        rows = defaultdict(list)
        for history_id, pk in through.objects.filter(history_id__in=ids).values_list(
            "history_id", f"{target}_id"
        ):
            rows[history_id].append(pk)
        for history_id in ids:
            values[history_id][f.name] = sorted(rows.get(history_id, []))
    return values


def _load_related(all_diffs) -> dict[type, dict]:
    """The related objects the changes name, by model and pk, one query per model."""
    wanted: dict[type, set] = defaultdict(set)
    for diffs in all_diffs:
        for f, old, new in diffs:
            if not f.is_relation:
                continue
            for value in (old, new):
                if f.many_to_many:
                    wanted[f.related_model].update(value or ())
                elif value is not None:
                    wanted[f.related_model].add(value)
    loaded = {}
    for model, pks in wanted.items():
        loaded[model] = {obj.pk: obj for obj in model._base_manager.filter(pk__in=pks)}
    return loaded


def _change(f, old, new, related) -> Change:
    return Change(
        field=f.name,
        label=capfirst(str(f.verbose_name)),
        old=_raw(old),
        new=_raw(new),
        old_display=_display(f, old, related),
        new_display=_display(f, new, related),
    )


def _raw(value):
    if isinstance(value, datetime | date):
        return value.isoformat()  # stored aware: the offset is included
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_raw(v) for v in value]
    return value


def _display(f, value, related) -> str:
    if value is None or value == "" or value == []:
        return EMPTY
    if f.is_relation:
        objects = related.get(f.related_model, {})
        names = [_object_name(objects.get(pk), pk) for pk in (value if f.many_to_many else [value])]
        return ", ".join(names)
    if f.flatchoices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(value, bool):
        yes, no, _maybe = gettext("yes,no,maybe").split(",")
        return yes if value else no
    if isinstance(value, datetime):
        return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT")
    if isinstance(value, date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, Decimal | float | int):
        return formats.number_format(value)
    return str(value)


def _object_name(obj, pk) -> str:
    if obj is None:
        return f"#{pk}"  # since deleted
    if isinstance(obj, get_user_model()):
        return display_name(obj)
    return str(obj)
