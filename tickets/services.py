"""Writes for service records: create and route, update, transition, assign, converse, escalate."""

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from functools import partial
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, prefetch_related_objects
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from customers.models import Contact, ContactPointKind, Customer
from customers.services import customer_record_conversion
from servicedesk.core import events
from servicedesk.core.concurrency import lock_current, versioned_update
from servicedesk.core.email import absolute_url, email_queue
from servicedesk.core.exceptions import DomainError
from servicedesk.core.models import Department, OutboundEmail, Profile
from servicedesk.core.notifications import notify
from servicedesk.core.roles import Role, user_role
from servicedesk.core.selectors import department_managers, status_changes
from servicedesk.core.transitions import record_initial_state, transition
from servicedesk.core.users import display_name

from . import attachments as files
from . import selectors
from .business_time import WorkCalendar, add_business_minutes, end_of_business_day
from .models import (
    ACTIVE_STATUSES,
    AssignmentMode,
    BreachKind,
    BreachNotice,
    BusinessCalendar,
    DepartmentRoutingPolicy,
    Fee,
    Holiday,
    MessageKind,
    Priority,
    RecordAttachment,
    RecordMessage,
    ServiceCategory,
    ServiceRecord,
    Stage,
    Status,
    TargetPolicy,
)
from .visibility import audience_admits, record_audience

User = get_user_model()

# Fields a record update may change; status and assignee have their own services.
EDITABLE = {
    "subject",
    "description",
    "priority",
    "contact_id",
    "category_id",
    "nature",
    "place",
    "fee",
    "fee_amount",
    "frequency",
    "duration",
    "agreed_date",
}


# --- time targets ---------------------------------------------------------------------------------


def target_policy_for(*, priority: str, tier: str, category_id: int | None):
    """The most specific policy matching the record; empty dimensions match anything."""
    candidates = TargetPolicy.objects.select_related("calendar").filter(
        Q(priority="") | Q(priority=priority),
        Q(customer_tier="") | Q(customer_tier=tier),
        Q(category__isnull=True) | Q(category_id=category_id),
    )
    # More dimensions set wins; on a tie the category is the most telling, then the tier.
    return max(
        candidates,
        key=lambda p: (p.specificity, bool(p.category_id), bool(p.customer_tier), -p.pk),
        default=None,
    )


def work_calendar(calendar: BusinessCalendar | None, *, since: date) -> WorkCalendar:
    calendar = calendar or BusinessCalendar.objects.filter(is_default=True).first()
    if calendar is None:
        return WorkCalendar()
    days = list(
        Holiday.objects.filter(calendar=calendar, date__gte=since).values_list(
            "date", "is_working_day"
        )
    )
    return WorkCalendar(
        time_zone=calendar.time_zone,
        working_weekdays=frozenset(int(d) for d in calendar.working_weekdays if d.isdigit()),
        day_start=calendar.day_start,
        day_end=calendar.day_end,
        holidays=frozenset(d for d, working in days if not working),
        make_up_days=frozenset(d for d, working in days if working),
    )


def record_targets(
    *, priority: str, tier: str, category_id: int, start: datetime, agreed_date: date | None
) -> tuple[datetime | None, datetime | None]:
    """(first response due, resolution due) in business time; a scheduled service is due on the
    agreed date itself, whatever the policy says."""
    policy = target_policy_for(priority=priority, tier=tier, category_id=category_id)
    calendar = work_calendar(policy.calendar if policy else None, since=start.date())
    first = resolution = None
    if policy is not None:
        first = add_business_minutes(start, policy.first_response_minutes, calendar)
        resolution = add_business_minutes(start, policy.resolution_minutes, calendar)
    if agreed_date is not None:
        resolution = end_of_business_day(agreed_date, calendar)
        if first is not None and first > resolution:
            first = resolution
    return first, resolution


# --- validation -----------------------------------------------------------------------------------


def _check_category(category: ServiceCategory | None, stage: str) -> ServiceCategory:
    if stage not in Stage.values:
        raise DomainError(_("Choose pre-sale, in-sale or after-sale."), field="stage")
    if category is None or not category.is_active:
        raise DomainError(_("Choose an active service category."), field="category")
    if category.stage != stage:
        raise DomainError(
            _("The category “%(category)s” does not belong to the %(stage)s stage.")
            % {"category": category.name, "stage": str(Stage(stage).label).lower()},
            field="category",
        )
    return category


def _check_fee(fee: str, amount) -> None:
    if fee == Fee.PAID and (amount is None or Decimal(amount) <= 0):
        raise DomainError(
            _("A paid service needs an amount greater than zero."), field="fee_amount"
        )
    if fee == Fee.FREE and amount not in (None, ""):
        raise DomainError(_("A free service has no amount."), field="fee_amount")


def _check_contact(contact_id, customer_id) -> None:
    if contact_id and not Contact.objects.filter(pk=contact_id, customer_id=customer_id).exists():
        raise DomainError(_("This contact does not belong to the customer."), field="contact")


def _check_assignee(*, actor, assignee, department_ids: set[int]) -> None:
    if assignee is None:
        return
    departments = department_ids
    if (
        not assignee.is_active
        or not assignee.department_memberships.filter(department_id__in=departments).exists()
    ):
        raise DomainError(
            _("%(user)s is not in a department working on this record.")
            % {"user": display_name(assignee)},
            field="assignee",
        )
    # Agents take work; handing work to someone else is a manager's decision.
    if user_role(actor) == Role.AGENT and assignee.pk != actor.pk:
        raise DomainError(_("Agents can assign records only to themselves."), field="assignee")


def _record_url(record) -> str:
    return record.get_absolute_url()


# --- create and route -----------------------------------------------------------------------------


def _auto_assignee(department_id: int):
    """Pick the assignee by the department's policy; the policy row is locked while it moves."""
    policy = (
        DepartmentRoutingPolicy.objects.select_for_update()
        .filter(department_id=department_id)
        .first()
    )
    if policy is None or policy.mode == AssignmentMode.NONE:
        return None
    members = User.objects.filter(
        is_active=True, department_memberships__department_id=department_id
    ).order_by("pk")
    if policy.mode == AssignmentMode.ROUND_ROBIN:
        after = policy.last_assignee_id or 0
        chosen = members.filter(pk__gt=after).first() or members.first()
    else:
        chosen = (
            members.annotate(
                open_work=Count(
                    "assigned_records", filter=Q(assigned_records__status__in=ACTIVE_STATUSES)
                )
            )
            .order_by("open_work", "pk")
            .first()
        )
    if chosen is not None:
        policy.last_assignee = chosen
        policy.save(update_fields=["last_assignee"])
    return chosen


def _check_departments(ids) -> list[int]:
    ids = sorted({int(pk) for pk in ids or ()})
    known = set(Department.objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))
    unknown = [str(pk) for pk in ids if pk not in known]
    if unknown:
        raise DomainError(
            _("No active department with id %(ids)s.") % {"ids": ", ".join(unknown)},
            field="collaborating_departments",
        )
    return ids


def _check_would_see(by, *, lead_department, audience: dict) -> None:
    """Refuse, before anything is saved, a record its creator could not read afterwards: the
    client would get no answer it can use, and a retrying client would make duplicates."""
    if by is None or user_role(by) == Role.ADMINISTRATOR or audience_admits(audience, by):
        return
    raise DomainError(
        _(
            "Records of this category go to %(department)s, which you are not in, so you could not "
            "follow this one. Add one of your departments as collaborating, or ask "
            "%(department)s to open it."
        )
        % {"department": lead_department.name},
        field="category",
    )


def _resolve_assignee(assignee_id):
    if not assignee_id:
        return None
    assignee = User.objects.filter(pk=assignee_id).first()
    if assignee is None:
        raise DomainError(_("Unknown user."), field="assignee")
    return assignee


@transaction.atomic
def record_create(
    *,
    by,
    customer_id: int,
    stage: str,
    category_id: int,
    subject: str,
    description: str = "",
    contact_id: int | None = None,
    priority: str = Priority.NORMAL,
    nature: str | None = None,
    place: str | None = None,
    fee: str | None = None,
    fee_amount=None,
    frequency: str | None = None,
    duration: str | None = None,
    agreed_date: date | None = None,
    collaborating_department_ids: list[int] | None = None,
    assignee_id: int | None = None,
    created_at: datetime | None = None,
) -> ServiceRecord:
    """Create a record routed to its category's lead department, with its time targets running.

    Everything is checked before the one save, so a refused create leaves nothing behind; the
    automatic assignee and a back-dated creation time are part of that save and of its history.
    Classification fields left empty take the category's defaults (ServiceCategory.defaults).
    """
    customer = Customer.objects.filter(pk=customer_id).first()
    if customer is None:
        raise DomainError(_("Choose a customer."), field="customer")
    if customer.is_archived:
        raise DomainError(
            _("This customer is archived. Open the record on the customer they were merged into.")
            if customer.merged_into_id
            else _("This customer is archived. Restore them before opening a record."),
            field="customer",
        )
    category = _check_category(
        ServiceCategory.objects.select_related("lead_department").filter(pk=category_id).first(),
        stage,
    )
    lead = category.lead_department
    if not lead.is_active:
        raise DomainError(
            _("The lead department of this category is inactive. Ask an administrator."),
            field="category",
        )
    if not (subject or "").strip():
        raise DomainError(_("Say in a few words what the customer needs."), field="subject")
    if priority not in Priority.values:
        raise DomainError(_("Unknown priority."), field="priority")
    _check_contact(contact_id, customer.pk)
    defaults = category.defaults()
    fee = fee or defaults["fee"]
    if fee_amount in (None, "") and fee == defaults["fee"]:
        fee_amount = defaults["fee_amount"]
    _check_fee(fee, fee_amount)
    collaborators = [
        pk
        for pk in _check_departments(
            collaborating_department_ids
            if collaborating_department_ids is not None
            else category.collaborating_departments.values_list("pk", flat=True)
        )
        if pk != lead.pk
    ]
    assignee = _resolve_assignee(assignee_id)
    if assignee is not None:
        _check_assignee(actor=by, assignee=assignee, department_ids={lead.pk, *collaborators})
    # The explicit assignee counts; an automatic one is only chosen below, for a visible record.
    _check_would_see(
        by,
        lead_department=lead,
        audience=record_audience(
            lead_department_id=lead.pk,
            collaborator_ids=collaborators,
            assignee_id=assignee.pk if assignee else None,
        ),
    )
    if assignee is None:
        assignee = _auto_assignee(lead.pk)

    start = created_at or timezone.now()
    first_due, resolution_due = record_targets(
        priority=priority,
        tier=customer.management_tier,
        category_id=category.pk,
        start=start,
        agreed_date=agreed_date,
    )
    record = ServiceRecord(
        customer=customer,
        contact_id=contact_id,
        stage=stage,
        category=category,
        nature=nature or defaults["nature"],
        place=place or defaults["place"],
        fee=fee,
        fee_amount=fee_amount if fee == Fee.PAID else None,
        frequency=frequency or defaults["frequency"],
        duration=duration or defaults["duration"],
        subject=subject.strip()[:200],
        description=description,
        priority=priority,
        lead_department=lead,
        assignee=assignee,
        created_by=by,
        created_at=start,
        agreed_date=agreed_date,
        first_response_due=first_due,
        resolution_due=resolution_due,
        audience=record_audience(
            lead_department_id=lead.pk,
            collaborator_ids=collaborators,
            assignee_id=assignee.pk if assignee else None,
        ),
    )
    record._history_user = by
    record._history_date = start
    record.save()
    if collaborators:
        # A new record has no rows to compare with: one INSERT, not set()'s read-then-write.
        through = ServiceRecord.collaborating_departments.through
        through.objects.bulk_create(
            through(servicerecord_id=record.pk, department_id=pk) for pk in collaborators
        )
    record_initial_state(record, by=by, at=start)
    events.emit(
        "record_created",
        payload={
            **_payload(record),
            "lead_department_id": lead.pk,
            "collaborating_department_ids": collaborators,
            # Imported and demo records are back-dated: history, not news for anyone's inbox.
            "backdated": created_at is not None,
        },
        by=by,
    )
    if assignee is not None:
        events.emit(
            "record_assigned",
            payload={
                **_payload(record),
                "from": None,
                "to": assignee.pk,
                "backdated": created_at is not None,
            },
            by=by,
        )
    return record


def _payload(record) -> dict:
    """What every record event carries: enough for a subscriber to act without a query."""
    return {
        "id": record.pk,
        "reference": record.reference,
        "customer_id": record.customer_id,
        "stage": record.stage,
        "category_id": record.category_id,
    }


# --- update, assign, transition -------------------------------------------------------------------


def _stamp(by, reason=""):
    def validate(obj):
        obj._history_user = by
        if reason:
            obj._change_reason = reason

    return validate


def _targets(record, *, start, reopened: bool) -> dict:
    """The time targets that count from `start`. A reopened record gets only a fresh resolution
    target, counted from its reopening: its first response is history, and the agreed date was
    the first promise, not reused. The reopening and later edits both ask here."""
    first, resolution = record_targets(
        priority=record.priority,
        tier=record.customer.management_tier,
        category_id=record.category_id,
        start=start,
        agreed_date=None if reopened else record.agreed_date,
    )
    if reopened:
        return {"resolution_due": resolution}
    return {"first_response_due": first, "resolution_due": resolution}


# A change to any of these moves the record's time targets.
TARGET_INPUTS = {"priority", "agreed_date", "category_id"}


@transaction.atomic
def record_update(*, by, record_id: int, version: int | None, changes: dict) -> ServiceRecord:
    """Change editable fields; a stale `version` raises ConflictError listing what changed."""
    unknown = set(changes) - EDITABLE
    if unknown:
        raise DomainError(_("These fields cannot be changed here: %s") % ", ".join(sorted(unknown)))
    changed: list[str] = []

    def validate(obj):
        _stamp(by)(obj)
        changed.extend(f for f, was in obj._desk_before.items() if was != getattr(obj, f))
        if not (obj.subject or "").strip():
            raise DomainError(_("Say in a few words what the customer needs."), field="subject")
        if "category_id" in changes:
            _check_category(ServiceCategory.objects.filter(pk=obj.category_id).first(), obj.stage)
        if obj.fee == Fee.FREE and "fee" in changes and "fee_amount" not in changes:
            obj.fee_amount = None
        _check_fee(obj.fee, obj.fee_amount)
        _check_contact(obj.contact_id, obj.customer_id)
        if TARGET_INPUTS & set(changed):
            reopened_at = _reopened_at(obj)
            targets = _targets(
                obj, start=reopened_at or obj.created_at, reopened=reopened_at is not None
            )
            for field, value in targets.items():
                setattr(obj, field, value)

    record = versioned_update(
        ServiceRecord.objects.select_related("customer"),
        pk=record_id,
        version=version,
        changes=changes,
        validate=validate,
    )
    if changed:
        events.emit(
            "record_updated", payload={**_payload(record), "fields": sorted(changed)}, by=by
        )
    return record


def _reopened_at(record) -> datetime | None:
    return (
        status_changes(record)
        .filter(from_state__in=[Status.RESOLVED, Status.CLOSED], to_state=Status.OPEN)
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )


@transaction.atomic
def record_assign(*, by, record_id: int, assignee_id: int | None, version=None) -> ServiceRecord:
    record = lock_current(ServiceRecord.objects, pk=record_id, version=version)
    assignee = _resolve_assignee(assignee_id)
    collaborator_ids = set(record.collaborating_departments.values_list("pk", flat=True))
    _check_assignee(
        actor=by,
        assignee=assignee,
        department_ids={record.lead_department_id, *collaborator_ids},
    )
    # An agent takes free work or gives back their own; moving a colleague's is a manager's call.
    if user_role(by) == Role.AGENT and record.assignee_id not in (None, by.pk):
        raise DomainError(
            _("Only a manager can take work away from a colleague."), field="assignee"
        )
    if user_role(by) == Role.AGENT and assignee is None and not record.is_active:
        # The page offers no "give back" on finished work: it keeps the name of who did it.
        raise DomainError(_("Finished work keeps the name of who did it."), field="assignee")
    previous = record.assignee_id
    if previous == (assignee.pk if assignee else None):
        return record  # unchanged: no history row, no event
    record = versioned_update(
        ServiceRecord.objects,
        pk=record_id,
        version=None,  # checked above, under the same lock
        changes={
            "assignee": assignee,
            "audience": record_audience(
                lead_department_id=record.lead_department_id,
                collaborator_ids=collaborator_ids,
                assignee_id=assignee.pk if assignee else None,
            ),
        },
        validate=_stamp(by),
    )
    events.emit(
        "record_assigned",
        payload={**_payload(record), "from": previous, "to": assignee.pk if assignee else None},
        by=by,
    )
    return record


def _transition_fields(record, current: str, to: str) -> dict:
    """The timestamps and targets a status change moves along with the status."""
    now = timezone.now()
    changes: dict = {}
    if to in (Status.OPEN, Status.RESOLVED) and record.first_responded_at is None:
        changes["first_responded_at"] = now
    if to == Status.RESOLVED:
        changes["resolved_at"] = now
    elif to == Status.CLOSED:
        changes["closed_at"] = now
        if record.resolved_at is None:
            changes["resolved_at"] = now
    elif to == Status.OPEN and current in (Status.RESOLVED, Status.CLOSED):
        changes.update(_targets(record, start=now, reopened=True))
        changes.update(resolved_at=None, closed_at=None)
    return changes


@transaction.atomic
def record_transition(
    *, by, record_id: int, to_status: str, version: int | None = None, reason: str = ""
) -> ServiceRecord:
    """Move a record along ServiceRecord.ALLOWED_TRANSITIONS; the one place status changes."""
    record, change = transition(
        ServiceRecord.objects.select_related("customer"),
        pk=record_id,
        to=to_status,
        by=by,
        reason=reason,
        version=version,
        extra=_transition_fields,
        event="record_status_changed",
        payload=_payload,
    )
    if change is not None and to_status in (Status.RESOLVED, Status.CLOSED):
        # A potential customer becomes actual with their first completed service (DOMAIN §1).
        customer_record_conversion(
            customer_id=record.customer_id, cause="service", note=record.reference
        )
    return record


# One bulk request does at most this many records: each is its own transaction of a few queries.
BULK_MAX = 100


def _bulk(fn, *, record_ids, **kwargs) -> tuple[int, list[str]]:
    """Apply fn per record in its own transaction: one refused record does not undo the others.
    Each failure is reported with its record's reference."""
    done, errors = 0, []
    record_ids = list(record_ids)
    if len(record_ids) > BULK_MAX:
        errors.append(
            _("Only the first %(n)d records were changed; tick the rest in another go.")
            % {"n": BULK_MAX}
        )
        record_ids = record_ids[:BULK_MAX]
    for pk in record_ids:
        try:
            fn(record_id=pk, **kwargs)
            done += 1
        except DomainError as exc:
            errors.append(f"{ServiceRecord(pk=pk).reference}: {exc.message}")
        except ServiceRecord.DoesNotExist:
            errors.append(f"{ServiceRecord(pk=pk).reference}: " + _("not found."))
    return done, errors


def record_bulk_assign(*, by, record_ids, assignee_id):
    return _bulk(partial(record_assign, by=by), record_ids=record_ids, assignee_id=assignee_id)


def record_bulk_transition(*, by, record_ids, to_status):
    return _bulk(partial(record_transition, by=by), record_ids=record_ids, to_status=to_status)


# --- conversation ---------------------------------------------------------------------------------


class ReplyRecipient(NamedTuple):
    contact: Contact | None
    address: str  # "" when there is no e-mail address: a reply is then logged only


def reply_recipient(record: ServiceRecord) -> ReplyRecipient:
    """Who a reply to the customer is e-mailed to: the record's contact, else the customer's
    primary contact, at that contact's primary (else first) e-mail address.

    The one rule for message_add and the record page. It reads record.customer.contacts with their
    points, which selectors.record_get prefetches, so the page pays no query for it.
    """
    contacts = record.customer.contacts.all()
    if record.contact_id:
        contact = next((c for c in contacts if c.pk == record.contact_id), None)
    else:
        contact = next((c for c in contacts if c.is_primary), None)
    if contact is None:
        return ReplyRecipient(None, "")
    # Points are ordered kind, primary first: the first e-mail point is the one to use.
    address = next((p.value for p in contact.points.all() if p.kind == ContactPointKind.EMAIL), "")
    return ReplyRecipient(contact, address)


def _agent_name(user) -> str:
    """How the agent signs, in the active language: their Chinese name for a Chinese e-mail."""
    if (translation.get_language() or "").startswith("zh"):
        name_zh = (
            Profile.objects.filter(user=user).values_list("display_name_zh", flat=True).first()
        )
        if name_zh:
            return name_zh
    return display_name(user)


def _reply_email(record, *, recipient: ReplyRecipient, body: str, by) -> OutboundEmail:
    """The customer's copy of a reply, written in the customer's language; the reference leads
    the subject so their answer can be matched to the record."""
    with translation.override(record.customer.language or settings.LANGUAGE_CODE):
        subject = f"[{record.reference}] " + _("Re: %(subject)s") % {"subject": record.subject}
        text = "\n\n".join(
            [
                _("Dear %(name)s,") % {"name": recipient.contact.name},
                body.strip(),
                "\n".join([_("Kind regards,"), _agent_name(by), record.lead_department.name]),
                # "-- " is the signature separator mail programs recognise.
                "-- \n"
                + _("Reference %(reference)s: please keep it in the subject when you reply.")
                % {"reference": record.reference}
                + "\n"
                + _("Our service desk: %(url)s") % {"url": absolute_url("/")},
            ]
        )
    return email_queue(to=recipient.address, subject=subject, body=text + "\n")


@transaction.atomic
def message_add(
    *, by, record_id: int, kind: str, body: str, created_at: datetime | None = None
) -> RecordMessage:
    """Add a reply or an internal note. A reply is e-mailed to the customer's contact (through
    the e-mail outbox, after commit) when they have an address, else logged only; the message
    links its OutboundEmail so the page can show whether it went out. Notes are never e-mailed,
    nor are back-dated messages (imports, demo data): they record what was said then."""
    if kind not in MessageKind.values:
        raise DomainError(_("Choose a reply or an internal note."), field="kind")
    if not (body or "").strip():
        raise DomainError(_("Write the message first."), field="body")
    record = ServiceRecord.objects.select_for_update().get(pk=record_id)
    if record.status == Status.CLOSED:
        raise DomainError(_("The record is closed. Reopen it to add messages."), field="body")
    email = None
    if kind == MessageKind.REPLY and created_at is None:
        prefetch_related_objects([record], "customer__contacts__points", "lead_department")
        recipient = reply_recipient(record)
        if recipient.address:
            email = _reply_email(record, recipient=recipient, body=body, by=by)
    message = RecordMessage.objects.create(
        record=record,
        kind=kind,
        body=body,
        author=by,
        email=email,
        created_at=created_at or timezone.now(),
    )
    if kind == MessageKind.REPLY and record.status == Status.NEW:
        # The first reply to the customer is the first response: the record is now being worked.
        record_transition(by=by, record_id=record.pk, to_status=Status.OPEN)
    elif kind == MessageKind.REPLY and record.first_responded_at is None:
        versioned_update(
            ServiceRecord.objects,
            pk=record.pk,
            version=None,
            changes={"first_responded_at": message.created_at},
            validate=_stamp(by),
        )
    events.emit(
        "record_message_added",
        payload={**_payload(record), "message_id": message.pk, "kind": kind},
        by=by,
    )
    return message


@transaction.atomic
def attachment_add(*, by, record_id: int, upload) -> RecordAttachment:
    record = ServiceRecord.objects.select_for_update().get(pk=record_id)
    if record.status == Status.CLOSED:
        raise DomainError(_("The record is closed. Reopen it to add files."), field="file")
    data, content_type = files.check_upload(upload)
    attachment = RecordAttachment(
        record=record,
        original_name=files.clean_filename(getattr(upload, "name", "") or ""),
        content_type=content_type,
        size=len(data),
        uploaded_by=by,
    )
    # The storage write is not transactional: a rollback after it leaves an orphan file, never a
    # row without its file. A full disk removes its half-written file and raises StorageFull,
    # which rolls this transaction back.
    files.store_upload(attachment.file, data)
    attachment.save()
    events.emit(
        "record_attachment_added",
        payload={**_payload(record), "attachment_id": attachment.pk},
        by=by,
    )
    return attachment


# --- breaches -------------------------------------------------------------------------------------


def breaches_escalate(*, now: datetime | None = None, limit: int = 500) -> int:
    """Announce each newly breached target once; returns how many breaches this run announced.

    The record's assignee gets one notification per breached record; each lead department's
    managers get one digest per run listing every record of theirs that breached in it (not one
    e-mail per record). Safe to run repeatedly and concurrently: the run is one transaction, so
    the BreachNotice rows (unique per record and target) commit together with the notifications
    and e-mails that announce them. A crash announces nothing and the next run announces it all;
    a concurrent run waits on the same unique index, then skips what this run took.
    """
    now = now or timezone.now()
    # The breach rule is tickets.selectors' (the same the list and the API show).
    running = ServiceRecord.objects.select_related("lead_department", "assignee")
    batches = [
        (
            BreachKind.FIRST_RESPONSE,
            "first_response_due",
            running.filter(selectors.target_breached_q("response", now)).exclude(
                breaches__kind=BreachKind.FIRST_RESPONSE
            ),
        ),
        (
            BreachKind.RESOLUTION,
            "resolution_due",
            running.filter(selectors.target_breached_q("resolution", now)).exclude(
                breaches__kind=BreachKind.RESOLUTION
            ),
        ),
    ]
    with transaction.atomic():
        # record id -> (record, the targets it newly missed); a record missing both targets in
        # the same run is announced once.
        announced: dict[int, tuple[ServiceRecord, list[str]]] = {}
        for kind, due_field, qs in batches:
            # A fixed order (due time, then id) in every run, so concurrent runs insert their
            # notices in the same order and wait on each other instead of deadlocking.
            for record in qs.order_by(due_field, "pk")[:limit]:
                if _escalate_one(record, kind, getattr(record, due_field)):
                    announced.setdefault(record.pk, (record, []))[1].append(kind)
        for record, kinds in announced.values():
            _notify_assignee_of_breach(record, kinds)
        _notify_managers_of_breaches(list(announced.values()))
    return sum(len(kinds) for _record, kinds in announced.values())


def _escalate_one(record: ServiceRecord, kind: str, due_at) -> bool:
    """Record the breach; False if another run recorded it first."""
    try:
        with transaction.atomic():  # a savepoint: a duplicate undoes only this insert
            BreachNotice.objects.create(record=record, kind=kind, due_at=due_at)
    except IntegrityError:
        return False  # another run got there first
    return True


def _targets_text(kinds) -> str:
    return ", ".join(str(BreachKind(kind).label).lower() for kind in kinds)


def _notify_assignee_of_breach(record: ServiceRecord, kinds: list[str]) -> None:
    if record.assignee is None:
        return
    notify(
        recipients=[record.assignee],
        verb="record_breached",
        title=_("Target missed (%(target)s): %(ref)s %(subject)s")
        % {"target": _targets_text(kinds), "ref": record.reference, "subject": record.subject},
        url=_record_url(record),
    )


def _notify_managers_of_breaches(announced: list[tuple[ServiceRecord, list[str]]]) -> None:
    """One digest per manager for the whole run, listing each record with an absolute link."""
    by_department = defaultdict(list)
    for record, kinds in announced:
        by_department[record.lead_department_id].append((record, kinds))
    digests: dict[int, tuple[object, list]] = {}
    for department_id, rows in by_department.items():
        for membership in department_managers(department_id):
            digests.setdefault(membership.user_id, (membership.user, []))[1].extend(rows)
    for manager, rows in digests.values():
        rows.sort(key=lambda row: row[0].pk)
        lines = [
            _("%(ref)s %(subject)s: %(target)s missed (due %(due)s)")
            % {
                "ref": record.reference,
                "subject": record.subject,
                "target": _targets_text(kinds),
                "due": _due_text(record, kinds),
            }
            + "\n"
            + absolute_url(_record_url(record))
            for record, kinds in rows
        ]
        notify(
            recipients=[manager],
            verb="records_breached",
            title=ngettext(
                "%(count)d record missed a time target",
                "%(count)d records missed a time target",
                len(rows),
            )
            % {"count": len(rows)},
            url=reverse("tickets:index") + "?breached=true",
            body="\n\n".join(lines),
        )


def _due_text(record: ServiceRecord, kinds: list[str]) -> str:
    due_fields = {
        BreachKind.FIRST_RESPONSE: "first_response_due",
        BreachKind.RESOLUTION: "resolution_due",
    }
    # The earliest missed target: the breach the manager hears about first.
    due = min(getattr(record, due_fields[kind]) for kind in kinds)
    return formats.date_format(timezone.localtime(due), "SHORT_DATETIME_FORMAT")
