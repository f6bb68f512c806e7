"""Writes for staff feedback and internal customers. Each locks what another person may change at
the same moment, re-checks it, and leaves side effects (the author's notification) to after
commit."""

from functools import partial

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk.core.concurrency import lock_current, versioned_update
from servicedesk.core.exceptions import DomainError
from servicedesk.core.models import Department
from servicedesk.core.notifications import notify
from servicedesk.core.roles import has_role, is_manager_or_admin
from servicedesk.core.selectors import user_department_ids
from servicedesk.core.transitions import record_initial_state, transition
from tickets.models import ServiceRecord
from tickets.selectors import record_visible

from .models import CaseKind, DailyCase, HandoverRating, Meeting, Suggestion, SuggestionStatus

SUGGESTION_EVENT = "suggestion_status_changed"


def _require_manager(by) -> None:
    if not is_manager_or_admin(by):
        raise DomainError(_("Only a manager can do this."), code="forbidden")


def _text(value, field: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise DomainError(message, field=field)
    return text


# --- daily cases ----------------------------------------------------------------------------------


@transaction.atomic
def case_create(
    *,
    by,
    kind: str,
    title: str,
    happened: str,
    lesson: str,
    record_id: int | None = None,
    department_id: int | None = None,
    case_date=None,
) -> DailyCase:
    """Any staff member tells a success or a failure, of a record they can see and one of their
    own departments."""
    if not has_role(by):
        raise DomainError(_("Only staff can tell a case."), code="forbidden")
    if kind not in CaseKind.values:
        raise DomainError(_("Choose success or failure."), field="kind")
    if department_id is not None and department_id not in user_department_ids(by):
        raise DomainError(_("Choose one of your own departments."), field="department")
    if record_id is not None and not record_visible(by).filter(pk=record_id).exists():
        raise DomainError(_("Choose a service record you can see."), field="record")
    today = timezone.localdate()
    if case_date is not None and case_date > today:
        raise DomainError(_("A case is told on the day or after, not before."), field="case_date")
    return DailyCase.objects.create(
        kind=kind,
        title=_text(title, "title", _("Give the case a title.")),
        happened=_text(happened, "happened", _("Say what happened.")),
        lesson=_text(lesson, "lesson", _("Say what the team can learn from it.")),
        record_id=record_id,
        department_id=department_id,
        author=by,
        case_date=case_date or today,
    )


@transaction.atomic
def case_set_shared(*, by, case_id: int, shared: bool) -> DailyCase:
    """A manager shares a case with the team, or takes it back. Sharing again changes nothing
    (the first sharing's time and manager stay)."""
    _require_manager(by)
    case = lock_current(DailyCase.objects.all(), pk=case_id, version=None)
    if shared == case.is_shared:
        return case
    case.shared_at = timezone.now() if shared else None
    case.shared_by = by if shared else None
    case.save(update_fields=["shared_at", "shared_by", "updated_at"])
    return case


# --- the suggestion box ---------------------------------------------------------------------------


@transaction.atomic
def suggestion_submit(*, by, title: str, body: str, is_anonymous: bool = False) -> Suggestion:
    if not has_role(by):
        raise DomainError(_("Only staff can make a suggestion."), code="forbidden")
    suggestion = Suggestion(
        title=_text(title, "title", _("Give the suggestion a title.")),
        body=_text(body, "body", _("Say what you suggest.")),
        is_anonymous=is_anonymous,
        author=by,
    )
    suggestion._history_user = by
    suggestion.save()
    record_initial_state(suggestion, by=by)
    return suggestion


@transaction.atomic
def suggestion_move(
    *, by, suggestion_id: int, to: str, version: int | None, reason: str = ""
) -> Suggestion:
    """A manager moves a suggestion along its table (Suggestion.ALLOWED_TRANSITIONS) through the
    one transition mechanism; a decline needs a reason, and the author is told after commit."""
    _require_manager(by)
    reason = (reason or "").strip()
    if to in Suggestion.REASON_REQUIRED and not reason:
        raise DomainError(_("Say why, so that the author learns the reason."), field="reason")

    def extra(obj, current, target):
        return {"response": reason} if reason else {}

    suggestion, change = transition(
        Suggestion.objects.all(),
        pk=suggestion_id,
        to=to,
        by=by,
        reason=reason,
        version=version,
        extra=extra,
        event=SUGGESTION_EVENT,
    )
    if change is not None and suggestion.author_id != by.pk:
        label = SuggestionStatus(to).label
        transaction.on_commit(
            partial(
                notify,
                recipients=[suggestion.author],
                verb="suggestion_status",
                title=_("Your suggestion “%(title)s” is now: %(status)s")
                % {"title": suggestion.title[:120], "status": label},
                url=reverse("feedback:suggestion", args=[suggestion.pk]),
                body=reason,
            )
        )
    return suggestion


# --- staff meetings -------------------------------------------------------------------------------


def _meeting_input(
    *, by, title, held_on, department_id, attendee_ids, notes, decisions
) -> tuple[dict, list[int]]:
    """The minutes' fields and attendees, checked the same way when written and when edited."""
    _require_manager(by)
    if held_on is None:
        raise DomainError(_("Give the meeting's date."), field="held_on")
    if held_on > timezone.localdate():
        raise DomainError(_("Minutes are written after the meeting."), field="held_on")
    if (
        department_id is not None
        and not Department.objects.filter(pk=department_id, is_active=True).exists()
    ):
        raise DomainError(_("Choose an active department."), field="department")
    fields = {
        "title": _text(title, "title", _("Give the meeting a title.")),
        "held_on": held_on,
        "department_id": department_id,
        "notes": (notes or "").strip(),
        "decisions": (decisions or "").strip(),
    }
    return fields, _active_attendees(attendee_ids)


def _active_attendees(attendee_ids) -> list[int]:
    from django.contrib.auth import get_user_model

    wanted = set(attendee_ids or ())
    found = set(
        get_user_model().objects.filter(pk__in=wanted, is_active=True).values_list("pk", flat=True)
    )
    if wanted - found:
        raise DomainError(_("Choose attendees among active staff."), field="attendees")
    return sorted(found)


@transaction.atomic
def meeting_create(
    *, by, title, held_on, department_id=None, attendee_ids=(), notes="", decisions=""
) -> Meeting:
    fields, attendees = _meeting_input(
        by=by,
        title=title,
        held_on=held_on,
        department_id=department_id,
        attendee_ids=attendee_ids,
        notes=notes,
        decisions=decisions,
    )
    meeting = Meeting(written_by=by, **fields)
    meeting._history_user = by
    meeting.save()
    meeting.attendees.set(attendees)
    return meeting


@transaction.atomic
def meeting_update(
    *,
    by,
    meeting_id: int,
    version: int | None,
    title,
    held_on,
    department_id=None,
    attendee_ids=(),
    notes="",
    decisions="",
) -> Meeting:
    """Edit minutes two managers may have open at once: a stale version is a ConflictError that
    lists what the other one changed, never a silent overwrite."""
    fields, attendees = _meeting_input(
        by=by,
        title=title,
        held_on=held_on,
        department_id=department_id,
        attendee_ids=attendee_ids,
        notes=notes,
        decisions=decisions,
    )

    def remember_author(obj):
        obj._history_user = by

    meeting = versioned_update(
        Meeting.objects.all(),
        pk=meeting_id,
        version=version,
        changes=fields,
        validate=remember_author,
    )
    meeting.attendees.set(attendees)
    return meeting


# --- internal customers ---------------------------------------------------------------------------


def record_departments(record: ServiceRecord) -> set[int]:
    """The departments a loaded record involves: its lead and its collaborating departments (one
    query, on the through table alone)."""
    through = ServiceRecord.collaborating_departments.through
    collaborators = through.objects.filter(servicerecord_id=record.pk).values_list(
        "department_id", flat=True
    )
    return {record.lead_department_id, *collaborators}


@transaction.atomic
def handover_rate(
    *,
    by,
    record_id: int,
    from_department_id: int,
    to_department_id: int,
    score: int,
    comment: str = "",
    created_at=None,
) -> HandoverRating:
    """The receiving department rates the handover it got from the upstream one. The rater
    belongs to the receiving department, the record involves both, and each pair rates a record
    once (the unique constraint settles two raters at the same moment)."""
    # The record row is locked so that its departments cannot change under the check.
    record = (
        record_visible(by).select_for_update(of=("self",)).filter(pk=record_id).first()
        if has_role(by)
        else None
    )
    if record is None:
        raise DomainError(_("Choose a service record you can see."), field="record")
    if not isinstance(score, int) or not 1 <= score <= 5:
        raise DomainError(_("Rate from 1 to 5."), field="score")
    if from_department_id == to_department_id:
        raise DomainError(
            _("A department does not rate its own handover."), field="from_department"
        )
    if to_department_id not in user_department_ids(by):
        raise DomainError(
            _("Only a member of the receiving department can rate what it received."),
            field="to_department",
        )
    involved = record_departments(record)
    if from_department_id not in involved:
        raise DomainError(
            _("The handing-over department does not work on this record."),
            field="from_department",
        )
    if to_department_id not in involved:
        raise DomainError(
            _("The receiving department does not work on this record."), field="to_department"
        )
    duplicate = DomainError(
        _("This handover has already been rated for this record."), field="from_department"
    )
    if HandoverRating.objects.filter(
        record_id=record.pk,
        from_department_id=from_department_id,
        to_department_id=to_department_id,
    ).exists():
        raise duplicate
    try:
        # A savepoint: a rating written by someone else since the check above fails here alone.
        with transaction.atomic():
            return HandoverRating.objects.create(
                record_id=record.pk,
                from_department_id=from_department_id,
                to_department_id=to_department_id,
                score=score,
                comment=(comment or "").strip(),
                rated_by=by,
                **({"created_at": created_at} if created_at is not None else {}),
            )
    except IntegrityError as exc:
        raise duplicate from exc
