"""One transition mechanism for every flow (record status, visit states, complaint steps, imports).

A model declares its flow as data:

    ALLOWED_TRANSITIONS = {"new": {"open"}, "open": {"pending", "resolved"}, ...}

and its service calls `transition(...)`, which locks the row, re-checks the version if given, is a
no-op when the state is unchanged, raises InvalidTransition naming the allowed targets, applies the
extra field changes the flow needs, writes a StatusChange row and emits the flow's event — all in
the caller's transaction.
"""

from collections.abc import Callable

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils.translation import gettext as _

from . import events
from .concurrency import lock_current
from .exceptions import InvalidTransition
from .models import StatusChange


def _label(model, field: str, value: str) -> str:
    choices = dict(model._meta.get_field(field).flatchoices)
    return str(choices.get(value, value)).lower()


def allowed_targets(model, current: str, *, field: str = "status") -> list[str]:
    """A model with one flow declares ALLOWED_TRANSITIONS; one with several, TRANSITIONS[field]."""
    tables = getattr(model, "TRANSITIONS", None)
    table = tables[field] if tables is not None else model.ALLOWED_TRANSITIONS
    return sorted(table.get(current, ()))


@transaction.atomic
def transition(
    queryset,
    *,
    pk,
    to: str,
    by,
    field: str = "status",
    reason: str = "",
    version: int | None = None,
    extra: Callable[[object, str, str], dict] | None = None,
    event: str | None = None,
    payload: Callable[[object], dict] | None = None,
):
    """Move one row of `queryset` to state `to`. Returns (obj, StatusChange or None if no-op)."""
    model = queryset.model
    valid = {value for value, _label_ in model._meta.get_field(field).flatchoices}
    obj = lock_current(queryset, pk=pk, version=version)
    current = getattr(obj, field)
    if to == current:
        return obj, None
    allowed = allowed_targets(model, current, field=field)
    if to not in valid or to not in allowed:
        raise InvalidTransition(
            _("It is %(from)s and cannot become %(to)s. Allowed next: %(allowed)s.")
            % {
                "from": _label(model, field, current),
                "to": _label(model, field, to),
                "allowed": ", ".join(_label(model, field, s) for s in allowed) or "—",
            },
            field=field,
        )
    changes = {field: to, **(extra(obj, current, to) if extra else {})}
    for name, value in changes.items():
        setattr(obj, name, value)
    # django-simple-history reads these when the save writes its row.
    obj._history_user = by
    if reason:
        obj._change_reason = reason
    if hasattr(obj, "version"):
        obj.version += 1
    obj.save()
    change = StatusChange.objects.create(
        content_type=ContentType.objects.get_for_model(model),
        object_id=obj.pk,
        field=field,
        from_state=current,
        to_state=to,
        by=by if getattr(by, "pk", None) else None,
        reason=reason[:200],
    )
    if event:
        events.emit(
            event,
            payload={
                "id": obj.pk,
                "field": field,
                "from": current,
                "to": to,
                "reason": reason,
                **(payload(obj) if payload else {}),
            },
            by=by,
        )
    return obj, change


def record_initial_state(obj, *, by, field: str = "status", at=None) -> StatusChange:
    """The first row of an object's log (from "" to its initial state), written on creation."""
    return StatusChange.objects.create(
        content_type=ContentType.objects.get_for_model(type(obj)),
        object_id=obj.pk,
        field=field,
        from_state="",
        to_state=getattr(obj, field),
        by=by if getattr(by, "pk", None) else None,
        **({"at": at} if at is not None else {}),
    )
