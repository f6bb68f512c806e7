"""Writes for complaints: intake, the six steps in order (one service enforces them), revisions,
step 5's actions, closing and reopening. Every step change goes through
servicedesk.core.transitions, which logs it and emits `complaint_step_changed` (the re-check's
callback and survey subscribe to it: the callbacks and surveys issues)."""

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk.core.concurrency import lock_current
from servicedesk.core.exceptions import DomainError, InvalidTransition
from servicedesk.core.models import Department
from servicedesk.core.notifications import notify
from servicedesk.core.roles import is_manager_or_admin
from servicedesk.core.selectors import department_managers
from servicedesk.core.transitions import record_initial_state, transition

from ..models import ServiceRecord
from ..selectors import record_visible
from ..services import record_create
from . import steps
from .models import (
    SEVERITY_PRIORITY,
    STEPS,
    Channel,
    Complaint,
    ComplaintAction,
    ComplaintStepEntry,
    Outcome,
    Severity,
    Step,
    overdue_actions,
)

EVENT = "complaint_step_changed"
BEAT_LIMIT = 1000  # per run; the next run goes on
# Steps whose entry may be revised while the next one is not yet taken. Step 5's actions change
# through their own services, and a re-check's result has already moved the complaint on.
REVISABLE = {Step.RESPECT, Step.LISTEN, Step.RESTATE, Step.OPTIONS}


def _label(step: str) -> str:
    return str(Step(step).label)


def _move(complaint: Complaint, to: str, *, by, reason: str = "", extra: dict | None = None):
    now = timezone.now()
    obj, _change = transition(
        Complaint.objects.all(),
        pk=complaint.pk,
        to=to,
        by=by,
        field="step",
        reason=reason,
        extra=lambda obj, current, target: {"step_since": now, **(extra or {})},
        event=EVENT,
        payload=lambda obj: {"record": obj.record_id},
    )
    return obj


@transaction.atomic
def complaint_open(
    *,
    by,
    customer_id: int,
    stage: str,
    category_id: int,
    subject: str,
    channel: str,
    severity: str,
    description: str = "",
    wants_manager: bool = False,
    about_record_id: int | None = None,
    responsible_department_id: int | None = None,
) -> Complaint:
    """受理与判断: a new record of any stage carries the complaint; its severity sets the record's
    priority, so the record's time targets apply. A customer who asks for a manager gets one told
    at once."""
    if channel not in Channel.values:
        raise DomainError(_("Choose how the complaint came in."), field="channel")
    if severity not in Severity.values:
        raise DomainError(_("Choose a severity."), field="severity")
    if (
        responsible_department_id
        and not Department.objects.filter(pk=responsible_department_id, is_active=True).exists()
    ):
        raise DomainError(_("Choose an active department."), field="responsible_department")
    about = None
    if about_record_id:
        # by=None is the desk itself (a low survey score), which may name any of the customer's.
        records = record_visible(by) if by is not None else ServiceRecord.objects.all()
        about = records.filter(pk=about_record_id, customer_id=customer_id).first()
        if about is None:
            raise DomainError(_("Choose a record of this customer."), field="about_record")
    record = record_create(
        by=by,
        customer_id=customer_id,
        stage=stage,
        category_id=category_id,
        subject=subject,
        description=description,
        priority=SEVERITY_PRIORITY[severity],
    )
    complaint = Complaint(
        record=record,
        about_record=about,
        responsible_department_id=responsible_department_id,
        channel=channel,
        severity=severity,
        wants_manager=wants_manager,
    )
    complaint._history_user = by
    complaint.save()
    record_initial_state(complaint, by=by, field="step")
    if wants_manager:
        managers = [m.user for m in department_managers(record.lead_department_id)]
        transaction.on_commit(
            lambda: notify(
                recipients=managers,
                verb="complaint_wants_manager",
                title=_("A customer asks for a manager: %(ref)s %(subject)s")
                % {"ref": record.reference, "subject": record.subject},
                url=record.get_absolute_url(),
            )
        )
    return complaint


def _next_step(step: str, cleaned: dict) -> str | None:
    if step == Step.RESTATE:
        return Step.OPTIONS if cleaned["confirmed"] else Step.LISTEN
    if step == Step.ACT:
        return None  # moves on when its last action is done (complaint_action_done)
    if step == Step.RECHECK:
        return {"satisfied": Step.CLOSED, "not_satisfied": Step.OPTIONS}.get(cleaned["result"])
    # Steps 1, 2 and 4 lead on to the next in the seed's order (STEPS).
    return STEPS[STEPS.index(step) + 1]


def out_of_order(complaint: Complaint) -> InvalidTransition:
    """The refusal of any step but the next one, naming the step expected."""
    if complaint.step == Step.CLOSED:
        return InvalidTransition(
            _("This complaint is closed; a manager can reopen it."), field="step"
        )
    return InvalidTransition(
        _("The next step is “%(step)s”.") % {"step": _label(complaint.step)}, field="step"
    )


@transaction.atomic
def complaint_take_step(
    *, by, complaint_id: int, version: int | None, step: str, data: dict
) -> Complaint:
    """Take the complaint's next step with what it asks for. Steps go only in order: another
    step, or any step of a closed complaint, is refused naming the step expected."""
    complaint = lock_current(Complaint.objects.all(), pk=complaint_id, version=version)
    if step != complaint.step or step == Step.CLOSED:
        raise out_of_order(complaint)
    if step == Step.ACT and complaint.actions.filter(done_at=None).exists():
        raise DomainError(
            _("The actions are planned: mark them done, or tell the customer of a new date."),
            field="step",
        )
    cleaned = steps.clean(step, data)
    if step == Step.RECHECK and cleaned["result"] == "unreachable" and not is_manager_or_admin(by):
        raise DomainError(
            _("Only a manager closes a complaint whose customer could not be reached."),
            field="result",
        )
    if step == Step.ACT:
        _check_linked_records(by, cleaned["actions"])
    rounds = complaint.entries.filter(step=step).count()
    ComplaintStepEntry.objects.create(
        complaint=complaint,
        step=step,
        round=rounds + 1,
        data=cleaned,
        started_at=complaint.step_since,
        by=by if getattr(by, "pk", None) else None,
    )
    if step == Step.ACT:
        ComplaintAction.objects.bulk_create(
            ComplaintAction(
                complaint=complaint,
                round=rounds + 1,
                description=a["description"],
                owner_id=a["owner"],
                due_date=date.fromisoformat(a["due_date"]),
                record_id=a["record"],
            )
            for a in cleaned["actions"]
        )
        complaint.version += 1
        complaint._history_user = by
        complaint.save(update_fields=["version", "updated_at"])
        return complaint
    if step == Step.RECHECK and cleaned["result"] == "unreachable":
        return _close(complaint, by=by, outcome=Outcome.MANAGER_CLOSED, reason=cleaned["note"])
    to = _next_step(step, cleaned)
    if to == Step.CLOSED:
        return _close(complaint, by=by, outcome=Outcome.SATISFIED, reason="")
    return _move(complaint, to, by=by)


def _check_linked_records(by, actions: list[dict]) -> None:
    """An action may name a record (the rework's own, say): one the person planning may see."""
    wanted = {a["record"] for a in actions if a["record"]}
    if not wanted:
        return
    records = ServiceRecord.objects if by is None else record_visible(by)
    found = set(records.filter(pk__in=wanted).values_list("pk", flat=True))
    for i, action in enumerate(actions):
        if action["record"] and action["record"] not in found:
            raise DomainError(_("Choose a record you can see."), field=f"actions.{i}.record")


def _close(complaint, *, by, outcome: str, reason: str) -> Complaint:
    extra = {"outcome": outcome, "close_reason": reason, "closed_at": timezone.now()}
    return _move(complaint, Step.CLOSED, by=by, reason=reason, extra=extra)


@transaction.atomic
def complaint_revise_step(
    *, by, complaint_id: int, step: str, version: int | None, data: dict
) -> ComplaintStepEntry:
    """Correct the last step taken, until the next one is taken; the entry's history keeps each
    revision. A restatement keeps its answer (confirmed or not): that answer chose the path."""
    complaint = lock_current(Complaint.objects.all(), pk=complaint_id, version=None)
    last = complaint.entries.order_by("-taken_at", "-pk").first()
    if step not in REVISABLE or last is None or last.step != step:
        raise DomainError(
            _("Only the last step taken can be revised, and not the actions or the re-check."),
            field="step",
        )
    entry = lock_current(ComplaintStepEntry.objects.all(), pk=last.pk, version=version)
    cleaned = steps.clean(step, data)
    if step == Step.RESTATE and cleaned["confirmed"] != entry.data.get("confirmed"):
        raise DomainError(
            _("Whether the customer confirmed it cannot change; take the step again."),
            field="confirmed",
        )
    entry.data = cleaned
    entry.version += 1
    entry._history_user = by
    entry._change_reason = _("revised")
    entry.save(update_fields=["data", "version"])
    return entry


@transaction.atomic
def complaint_action_done(*, by, action_id: int) -> ComplaintAction:
    """An action is done; the last one of the round takes the complaint to the re-check."""
    action = ComplaintAction.objects.select_for_update().filter(pk=action_id).first()
    if action is None:
        raise DomainError(_("No such action."), field="action")
    if action.done_at is not None:
        return action
    action.done_at = timezone.now()
    action.save(update_fields=["done_at"])
    complaint = lock_current(Complaint.objects.all(), pk=action.complaint_id, version=None)
    if complaint.step == Step.ACT and not complaint.actions.filter(done_at=None).exists():
        _move(complaint, Step.RECHECK, by=by)
    return action


@transaction.atomic
def complaint_action_told(*, by, action_id: int, new_due_date: date) -> ComplaintAction:
    """The customer was told in advance that an action needs a new date (no surprise breach)."""
    action = ComplaintAction.objects.select_for_update().filter(pk=action_id).first()
    if action is None or action.done_at is not None:
        raise DomainError(_("Only an open action can get a new date."), field="action")
    if new_due_date < timezone.localdate():
        raise DomainError(_("Choose a date that has not passed."), field="new_due_date")
    action.original_due_date = action.original_due_date or action.due_date
    action.due_date = new_due_date
    action.told_at = timezone.now()
    # A new date: its reminder and, should it slip again, its escalation are due afresh.
    action.reminded_at = action.escalated_at = None
    action.save(
        update_fields=["original_due_date", "due_date", "told_at", "reminded_at", "escalated_at"]
    )
    return action


@transaction.atomic
def complaint_reopen(*, by, complaint_id: int, reason: str) -> Complaint:
    """Only a manager reopens a closed complaint; it returns to the options (step 4)."""
    if not is_manager_or_admin(by):
        raise DomainError(_("Only a manager can reopen a complaint."), field="step")
    if not (reason or "").strip():
        raise DomainError(_("Say why it is reopened."), field="reason")
    extra = {"outcome": "", "close_reason": "", "closed_at": None}
    return _move(
        Complaint(pk=complaint_id), Step.OPTIONS, by=by, reason=reason.strip(), extra=extra
    )


# --- beat: step 5's dates (按期完成) ---------------------------------------------------------


def _announce_once(actions, *, claim: str, verb: str, title, managers: bool) -> int:
    """Claim each action's `claim` timestamp with a state-filtered update, then notify: two beats
    running at once send one notice per action."""
    sent = 0
    managers_of: dict[int, list] = {}  # per department, read once a run
    for action in actions.select_related("owner", "complaint__record")[:BEAT_LIMIT]:
        with transaction.atomic():
            claimed = ComplaintAction.objects.filter(pk=action.pk, **{claim: None}).update(
                **{claim: timezone.now()}
            )
            if not claimed:
                continue
            record = action.complaint.record
            recipients = [action.owner]
            if managers:
                department = record.lead_department_id
                if department not in managers_of:
                    managers_of[department] = [m.user for m in department_managers(department)]
                recipients += managers_of[department]
            notify(
                recipients=recipients,
                verb=verb,
                title=title
                % {"date": action.due_date, "action": action.description, "ref": record.reference},
                url=record.get_absolute_url(),
            )
            sent += 1
    return sent


def complaint_actions_remind(*, today=None) -> int:
    """Remind each open action's owner once, the day before it is due (or on the day, for an
    action planned for today)."""
    today = today or timezone.localdate()
    return _announce_once(
        ComplaintAction.objects.filter(
            done_at=None, reminded_at=None, due_date__lte=today + timedelta(days=1)
        ),
        claim="reminded_at",
        verb="complaint_action_due",
        title=_("Complaint action due %(date)s: %(action)s (%(ref)s)"),
        managers=False,
    )


def complaint_actions_escalate(*, today=None) -> int:
    """An open action past its date tells its owner and the complaint department's managers,
    once: the customer was promised that date (a surprise breach unless they were told)."""
    today = today or timezone.localdate()
    return _announce_once(
        ComplaintAction.objects.filter(overdue_actions(today), escalated_at=None),
        claim="escalated_at",
        verb="complaint_action_late",
        title=_("Complaint action late since %(date)s: %(action)s (%(ref)s)"),
        managers=True,
    )
