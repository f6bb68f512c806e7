"""Optimistic concurrency for records two people may edit at once.

A model with a `version` integer is updated through `versioned_update`: the row is locked, the
caller's version re-checked, and a stale version raises ConflictError listing what the other
person changed (field → {"was", "now"}), read from the row's history. The API answers 409 and a
form shows the changes; nothing is overwritten silently.
"""

from django.db import transaction

from .exceptions import ConflictError

IGNORED = {"id", "version", "created_at", "updated_at"}


def changes_since(obj, version: int) -> dict:
    """Fields someone else changed since `version`, from the history row saved at that version."""
    history = getattr(obj, "history", None)
    then = history.filter(version=version).order_by("-history_date").first() if history else None
    if then is None:
        return {}
    # Fields the history leaves out (derived ones) cannot be compared, so they are not reported.
    fields = [
        f.attname
        for f in obj._meta.concrete_fields
        if f.attname not in IGNORED and hasattr(then, f.attname)
    ]
    return {
        f: {"was": _plain(getattr(then, f, None)), "now": _plain(getattr(obj, f, None))}
        for f in fields
        if getattr(then, f, None) != getattr(obj, f, None)
    }


def _plain(value):
    """JSON-ready: timestamps and dates as ISO 8601 (with the offset), the rest as text."""
    if isinstance(value, str | int | float | bool | type(None)):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def lock_current(queryset, *, pk, version: int | None):
    """The row, locked until the transaction ends, once the caller's version is checked: a stale
    version raises ConflictError listing what changed since (`None` skips the check)."""
    # Only this row: the joined rows (a record's customer, a visit's rule) are read, not locked,
    # and a nullable join could not be locked anyway.
    obj = queryset.select_for_update(of=("self",)).get(pk=pk)
    if version is not None and getattr(obj, "version", version) != version:
        raise ConflictError(current=obj.version, changes=changes_since(obj, version))
    return obj


@transaction.atomic
def versioned_update(queryset, *, pk, version: int | None, changes: dict, validate=None):
    """Lock the row, re-check the version, apply `changes`, bump the version and save (history).

    `version=None` skips the check (internal callers that hold their own lock). `validate(obj)` may
    raise a DomainError/ValidationError after the changes are applied and before anything is saved.
    """
    obj = lock_current(queryset, pk=pk, version=version)
    # What the row held before, for validators that act only on real changes.
    obj._desk_before = {field: getattr(obj, field) for field in changes}
    for field, value in changes.items():
        setattr(obj, field, value)
    if validate is not None:
        validate(obj)
    obj.version += 1
    obj.save()
    return obj
