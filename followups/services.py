"""Writes for callback visits: schedule (from events, scans and by hand), attempt, complete,
reschedule, cancel, and beat's reminders and missed-visit escalation.

Every state change goes through servicedesk.core.transitions; every scheduling write is guarded
by a unique constraint (CallbackVisit.Meta), so a re-delivered event or two scanners at once add
nothing.
"""

import logging
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from customers.models import Address, Customer
from servicedesk.core.concurrency import lock_current, versioned_update
from servicedesk.core.exceptions import DomainError, InvalidTransition
from servicedesk.core.models import Department, StatusChange
from servicedesk.core.notifications import notify
from servicedesk.core.roles import Role, has_role, user_role
from servicedesk.core.selectors import department_managers, user_department_ids
from servicedesk.core.transitions import record_initial_state, transition
from tickets.complaints.models import Complaint, Step
from tickets.complaints.services import complaint_take_step
from tickets.models import ServiceCategory, ServiceRecord, Stage
from tickets.selectors import record_visible
from tickets.services import record_create, work_calendar
from tickets.visibility import record_audience

from . import scheduling as sched
from . import signals
from .models import (
    AssignTo,
    CallbackAttempt,
    CallbackRule,
    CallbackVisit,
    Expectation,
    GreetingDate,
    Method,
    ProductState,
    Purpose,
    ScanMark,
    Trigger,
    VisitStatus,
)

log = logging.getLogger(__name__)
User = get_user_model()

# Greeting visits are created this many days before their date, so they show in the week view.
GREETING_LOOKAHEAD_DAYS = 14
# Visits made by hand (no rule) wait at most this long and retry on these terms.
AD_HOC_WINDOW_DAYS = 2
DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_RETRY_MINUTES = 120
DEFAULT_REMIND_MINUTES = 60
SCAN_BATCH = 1000


# --- building a visit -----------------------------------------------------------------------------


def _calendar(since):
    return work_calendar(None, since=since - timedelta(days=7))


def _hours(customer: Customer) -> sched.ContactHours:
    return sched.ContactHours(customer.contact_from, customer.contact_until)


def _active(user):
    return user if user is not None and user.is_active else None


def _assignee(rule: CallbackRule, *, customer: Customer, record: ServiceRecord | None):
    if rule.assign_to == AssignTo.RECORD_ASSIGNEE and record is not None:
        return _active(record.assignee)
    if rule.assign_to == AssignTo.ACCOUNT_OWNER:
        return _active(customer.owner)
    return None  # the department's queue


def _address(customer_id: int) -> str:
    address = Address.objects.filter(customer_id=customer_id).order_by("-is_primary", "pk").first()
    if address is None:
        return ""
    return " ".join(p for p in (address.province, address.city, address.line) if p)


def _visit(
    *,
    customer: Customer,
    purpose: str,
    method: str,
    department_id: int,
    assignee,
    due: datetime,
    window_end: datetime,
    remind_minutes: int,
    rule: CallbackRule | None = None,
    record: ServiceRecord | None = None,
    period=None,
    address: str = "",
    notes: str = "",
    by=None,
) -> CallbackVisit:
    assignee_id = assignee.pk if assignee else None
    return CallbackVisit(
        customer=customer,
        contact_id=record.contact_id if record is not None else None,
        purpose=purpose,
        method=method,
        rule=rule,
        source_record=record,
        period=period,
        department_id=department_id,
        assignee_id=assignee_id,
        address=address,
        due_at=due,
        window_end=window_end,
        remind_at=due - timedelta(minutes=remind_minutes),
        notes=notes,
        created_by=by if getattr(by, "pk", None) else None,
        audience=record_audience(lead_department_id=department_id, assignee_id=assignee_id),
    )


def _insert(visits: list[CallbackVisit], *, by=None) -> list[CallbackVisit]:
    """Save new visits with their first history row and the first row of their status log, in
    three statements (simple-history's bulk helper, as customers' imports use)."""
    created = bulk_create_with_history(visits, CallbackVisit, default_user=by)
    content_type = ContentType.objects.get_for_model(CallbackVisit)
    StatusChange.objects.bulk_create(
        StatusChange(
            content_type=content_type,
            object_id=v.pk,
            field="status",
            from_state="",
            to_state=v.status,
            by=by if getattr(by, "pk", None) else None,
        )
        for v in created
    )
    signals.visits_inserted.send(sender=CallbackVisit, visits=created)
    return created


# --- visits set off by a resolved record ----------------------------------------------------------


def rules_for_record(record: ServiceRecord) -> list[CallbackRule]:
    rules = CallbackRule.objects.filter(
        is_active=True, trigger=Trigger.RECORD_RESOLVED
    ).prefetch_related("categories")
    return [
        r
        for r in rules
        if r.stage in ("", record.stage)
        and (not r.categories.all() or record.category_id in {c.pk for c in r.categories.all()})
    ]


def visits_schedule_for_record(*, record_id: int, resolved_at: datetime | None = None) -> list:
    """The after-service visits a resolved record's rules ask for; none twice per rule.

    A reopened and re-resolved record finds its visit already there (done or not) and gets no
    second one; the unique constraint settles a race between two deliveries."""
    record = ServiceRecord.objects.select_related("customer__owner", "assignee").get(pk=record_id)
    if record.customer.is_archived:
        return []
    start = resolved_at or record.resolved_at or timezone.now()
    calendar = _calendar(start.date())
    created = []
    for rule in rules_for_record(record):
        if (
            CallbackVisit.objects.filter(rule=rule, source_record=record)
            .exclude(status=VisitStatus.CANCELLED)
            .exists()
        ):
            continue
        due = sched.after_working_days(start, rule.delay_days, calendar, _hours(record.customer))
        due, window_end = sched.window_from(due, rule.window_days, calendar)
        visit = _visit(
            customer=record.customer,
            purpose=rule.purpose,
            method=rule.method,
            department_id=rule.department_id,
            assignee=_assignee(rule, customer=record.customer, record=record),
            due=due,
            window_end=window_end,
            remind_minutes=rule.remind_minutes,
            rule=rule,
            record=record,
            address=_address(record.customer_id) if rule.method == Method.ON_SITE else "",
        )
        try:
            with transaction.atomic():
                created += _insert([visit])
        except IntegrityError:
            log.info("visit for rule %s and record %s already exists", rule.pk, record.pk)
    return created


# --- a complaint at its re-check (投诉复查回访) ---------------------------------------------

# The re-check call is made on the next working day (the seeds: 再检查一遍,确保令客户满意).
RECHECK_DELAY_DAYS = 1


def visit_for_complaint_recheck(*, record_id: int, at: datetime | None = None):
    """The re-check visit of a complaint that reached step 6, by the complaint record's assignee
    or its department's queue. One open re-check per complaint: a re-delivered event, or two at
    once, find it there (the unique constraint one_open_recheck_per_record settles a race); after
    a "not satisfied" loop the next re-check gets a new one."""
    record = ServiceRecord.objects.select_related("customer", "assignee").get(pk=record_id)
    open_recheck = CallbackVisit.objects.filter(
        source_record=record, purpose=Purpose.COMPLAINT_RECHECK, status=VisitStatus.SCHEDULED
    ).first()
    if open_recheck is not None or record.customer.is_archived:
        return open_recheck
    start = at or timezone.now()
    calendar = _calendar(start.date())
    due = sched.after_working_days(start, RECHECK_DELAY_DAYS, calendar, _hours(record.customer))
    due, window_end = sched.window_from(due, AD_HOC_WINDOW_DAYS, calendar)
    visit = _visit(
        customer=record.customer,
        purpose=Purpose.COMPLAINT_RECHECK,
        method=Method.PHONE,
        department_id=record.lead_department_id,
        assignee=_active(record.assignee),
        due=due,
        window_end=window_end,
        remind_minutes=DEFAULT_REMIND_MINUTES,
        record=record,
    )
    try:
        with transaction.atomic():
            return _insert([visit])[0]
    except IntegrityError:
        return CallbackVisit.objects.filter(
            source_record=record, purpose=Purpose.COMPLAINT_RECHECK, status=VisitStatus.SCHEDULED
        ).first()


# --- periodic and greeting visits: beat's scan ----------------------------------------------------


def _due_periods(rule: CallbackRule, today) -> list:
    if rule.trigger == Trigger.PERIODIC:
        return [sched.period_start(today, rule.interval_days)]
    return list(
        GreetingDate.objects.filter(
            is_active=True,
            date__gte=today,
            date__lte=today + timedelta(days=GREETING_LOOKAHEAD_DAYS),
        ).values_list("date", flat=True)
    )


def _due_in_period(rule, period, customer, *, now, calendar) -> datetime:
    hours = _hours(customer)
    if rule.trigger == Trigger.PERIODIC:
        day = sched.periodic_due_day(
            period,
            interval_days=rule.interval_days,
            delay_days=rule.delay_days,
            customer_id=customer.pk,
        )
    else:
        day = sched.last_working_day(period - timedelta(days=rule.delay_days), calendar)
    # A period the scan reaches late (a new rule, a long outage) is due from now, not in the past.
    return sched.next_slot(max(sched.start_of_day(day, calendar), now), calendar, hours)


def _scan_batch(rule: CallbackRule, period, *, now, calendar, batch: int) -> tuple[int, bool]:
    """One batch of a period's customers, in its own transaction; returns (created, finished).

    The mark's row lock makes a second scanner of the same rule and period wait and then resume
    from where the first stopped; the unique constraint is the backstop."""
    ScanMark.objects.get_or_create(rule=rule, period=period)
    with transaction.atomic():
        mark = ScanMark.objects.select_for_update().get(rule=rule, period=period)
        customers = Customer.objects.filter(is_archived=False, pk__gt=mark.last_customer_id)
        if rule.customer_tier:
            customers = customers.filter(management_tier=rule.customer_tier)
        chunk = list(customers.select_related("owner").order_by("pk")[:batch])
        if not chunk:
            return 0, True
        have = set(
            CallbackVisit.objects.filter(
                rule=rule, period=period, customer_id__in=[c.pk for c in chunk]
            )
            .exclude(status=VisitStatus.CANCELLED)
            .values_list("customer_id", flat=True)
        )
        visits = []
        for customer in chunk:
            if customer.pk in have:
                continue
            due, window_end = sched.window_from(
                _due_in_period(rule, period, customer, now=now, calendar=calendar),
                rule.window_days,
                calendar,
            )
            visits.append(
                _visit(
                    customer=customer,
                    purpose=rule.purpose,
                    method=rule.method,
                    department_id=rule.department_id,
                    assignee=_assignee(rule, customer=customer, record=None),
                    due=due,
                    window_end=window_end,
                    remind_minutes=rule.remind_minutes,
                    rule=rule,
                    period=period,
                )
            )
        _insert(visits)
        mark.last_customer_id = chunk[-1].pk
        mark.save(update_fields=["last_customer_id", "updated_at"])
        return len(visits), len(chunk) < batch


def visits_scan(*, now: datetime | None = None, batch: int = SCAN_BATCH, limit: int = 50_000):
    """Create the periodic and greeting visits now due, at most `limit` per run (the next run
    goes on). A period whose customers were all seen costs one indexed read of an empty batch."""
    now = now or timezone.now()
    calendar = _calendar(now.date())
    today = timezone.localdate(now)
    created = 0
    rules = CallbackRule.objects.filter(
        is_active=True, trigger__in=[Trigger.PERIODIC, Trigger.GREETING]
    ).order_by("pk")
    for rule in rules:
        for period in _due_periods(rule, today):
            finished = False
            while not finished and created < limit:
                n, finished = _scan_batch(rule, period, now=now, calendar=calendar, batch=batch)
                created += n
    return created


def _check_assignee(by, assignee_id, assignee, *, department_id: int) -> None:
    """Who may be given a visit: an active member of its department; agents give it only to
    themselves (or leave it in the queue), as on records."""
    if assignee_id and assignee is None:
        raise DomainError(_("Unknown user."), field="assignee")
    if by is not None and user_role(by) == Role.AGENT and assignee_id not in (None, by.pk):
        raise DomainError(_("Agents can take visits only for themselves."), field="assignee")
    if assignee is not None and department_id not in user_department_ids(assignee):
        raise DomainError(_("Choose someone in the visit's department."), field="assignee")


# --- a visit made by hand -------------------------------------------------------------------------


@transaction.atomic
def visit_create(
    *,
    by,
    customer_id: int,
    due_at: datetime,
    method: str = Method.PHONE,
    purpose: str = Purpose.AD_HOC,
    department_id: int | None = None,
    assignee_id: int | None = None,
    source_record_id: int | None = None,
    address: str = "",
    notes: str = "",
) -> CallbackVisit:
    customer = Customer.objects.filter(pk=customer_id, is_archived=False).first()
    if customer is None:
        raise DomainError(_("Choose a customer who is not archived."), field="customer")
    if purpose not in (Purpose.AD_HOC, Purpose.AFTER_SERVICE):
        raise DomainError(_("Rules make this kind of visit; add an ad hoc one."), field="purpose")
    if method not in Method.values:
        raise DomainError(_("Choose by phone or on site."), field="method")
    if due_at < timezone.now() - timedelta(minutes=5):
        raise DomainError(_("Choose a time that has not passed."), field="due_at")
    if method == Method.ON_SITE:
        address = address.strip() or _address(customer.pk)
        if not address:
            raise DomainError(_("Give the address to visit."), field="address")
    department = Department.objects.filter(pk=department_id, is_active=True).first()
    if department is None:
        raise DomainError(_("Choose an active department."), field="department")
    assignee = User.objects.filter(pk=assignee_id, is_active=True).first() if assignee_id else None
    _check_assignee(by, assignee_id, assignee, department_id=department.pk)
    record = None
    if source_record_id:
        # Only a record of this customer that the person adding the visit may see.
        records = ServiceRecord.objects if by is None else record_visible(by)
        record = records.filter(pk=source_record_id, customer=customer).first()
        if record is None:
            raise DomainError(_("That record is not this customer's."), field="source_record")
    calendar = _calendar(due_at.date())
    due, window_end = sched.window_from(due_at, AD_HOC_WINDOW_DAYS, calendar)
    visit = _visit(
        customer=customer,
        purpose=purpose,
        method=method,
        department_id=department.pk,
        assignee=assignee,
        due=due,
        window_end=window_end,
        remind_minutes=DEFAULT_REMIND_MINUTES,
        record=record,
        address=address,
        notes=notes,
        by=by,
    )
    visit._history_user = by
    visit.save()
    record_initial_state(visit, by=by)
    return visit


# --- working a visit ------------------------------------------------------------------------------


def _queryset():
    return CallbackVisit.objects.select_related("rule", "customer", "department")


def _lock_scheduled(visit_id: int, version: int | None, *, doing: str) -> CallbackVisit:
    visit = lock_current(_queryset(), pk=visit_id, version=version)
    if visit.status == VisitStatus.CANCELLED:
        raise DomainError(
            _("This visit was cancelled, so %(doing)s cannot be recorded.") % {"doing": doing},
            field="status",
        )
    if visit.status == VisitStatus.DONE:
        raise DomainError(_("This visit is already done."), field="status")
    return visit


def _terms(visit: CallbackVisit) -> tuple[int, int, int]:
    rule = visit.rule
    if rule is None:
        return DEFAULT_MAX_ATTEMPTS, DEFAULT_RETRY_MINUTES, DEFAULT_REMIND_MINUTES
    return rule.max_attempts, rule.retry_minutes, rule.remind_minutes


def _move(visit, to: str, *, by, reason: str = "", extra: dict | None = None, version=None):
    # transition locks the row and re-checks `version`: callers need no lock of their own.
    visit, _change = transition(
        _queryset(),
        pk=visit.pk,
        to=to,
        by=by,
        reason=reason,
        version=version,
        extra=(lambda obj, current, target: extra or {}),
        event="visit_status_changed",
        payload=lambda v: {"customer_id": v.customer_id, "purpose": v.purpose},
    )
    return visit


@transaction.atomic
def visit_not_reached(*, by, visit_id: int, version: int | None, note: str = "") -> CallbackVisit:
    """Log an attempt that reached nobody. The visit stays scheduled, due again after a backoff
    inside its window; the rule's last allowed attempt marks it missed and tells the managers."""
    visit = _lock_scheduled(visit_id, version, doing=_("an attempt"))
    if visit.status != VisitStatus.SCHEDULED:
        raise DomainError(_("This visit was already marked missed."), field="status")
    now = timezone.now()
    max_attempts, retry_minutes, remind_minutes = _terms(visit)
    CallbackAttempt.objects.create(visit=visit, by=by, reached=False, note=note[:300], at=now)
    visit.attempts += 1
    visit._history_user = by
    if visit.attempts >= max_attempts:
        # One write: the attempt count goes with the move (one version, one history row).
        visit = _move(
            visit,
            VisitStatus.MISSED,
            by=by,
            reason=_("not reached after %(n)d attempts") % {"n": visit.attempts},
            extra={"attempts": visit.attempts},
        )
        visit_escalate(visit_id=visit.pk)
        return visit
    calendar = _calendar(now.date())
    visit.due_at = sched.retry_at(
        now,
        attempt=visit.attempts,
        retry_minutes=retry_minutes,
        window_end=visit.window_end,
        calendar=calendar,
        hours=_hours(visit.customer),
    )
    visit.remind_at = max(now, visit.due_at - timedelta(minutes=remind_minutes))
    visit.reminded_at = None
    visit.version += 1
    visit.save()
    return visit


def _check_outcome(
    *, product_state: str, satisfaction, expectation: str, reached_person: str
) -> None:
    if not (reached_person or "").strip():
        raise DomainError(_("Say who you spoke to."), field="reached_person")
    if product_state not in ("", *ProductState.values):
        raise DomainError(_("Unknown product state."), field="product_state")
    if expectation not in ("", *Expectation.values):
        raise DomainError(_("Unknown answer."), field="expectation")
    if satisfaction is not None and not (1 <= int(satisfaction) <= 5):
        raise DomainError(_("Satisfaction is from 1 to 5."), field="satisfaction")


def _opened_record(*, by, visit: CallbackVisit, field: str, stage: str, category, text: str):
    """A record the visit found, opened in the same transaction: if it is refused, the outcome
    is not saved either. The visit's department collaborates, so its agent can follow it."""
    if category is None:
        raise DomainError(_("No active category to open this under."), field=field)
    collaborators = {*category.collaborating_departments.values_list("pk", flat=True)}
    collaborators.add(visit.department_id)
    try:
        return record_create(
            by=by,
            customer_id=visit.customer_id,
            contact_id=visit.contact_id,
            stage=stage,
            category_id=category.pk,
            subject=text.strip()[:200],
            description=_("Found on callback %(ref)s.") % {"ref": visit.reference},
            collaborating_department_ids=sorted(collaborators),
        )
    except DomainError as exc:
        raise DomainError(exc.message, field=field) from exc


def new_issue_category(category_id: int | None = None):
    qs = ServiceCategory.objects.filter(stage=Stage.AFTER_SALE, is_active=True)
    if category_id:
        return qs.filter(pk=category_id).first()
    return qs.filter(code="repair").first() or qs.order_by("sort_order").first()


def new_need_category():
    """Needs found on a callback are sales opportunities (续展服务机会): a pre-sale record led
    by the sales department."""
    return (
        ServiceCategory.objects.filter(
            stage=Stage.PRE_SALE, is_active=True, lead_department__code="sales"
        )
        .order_by("sort_order", "pk")
        .first()
    )


@transaction.atomic
def visit_complete(
    *,
    by,
    visit_id: int,
    version: int | None,
    reached_person: str,
    product_state: str = "",
    questions_answered: str = "",
    satisfaction: int | None = None,
    expectation: str = "",
    notes: str = "",
    new_issue: str = "",
    new_issue_category_id: int | None = None,
    new_need: str = "",
) -> CallbackVisit:
    """Record the outcome of a visit that reached the customer; "found a new issue" and "found a
    new need" open their records in the same transaction."""
    visit = _lock_scheduled(visit_id, version, doing=_("an outcome"))
    _check_outcome(
        product_state=product_state,
        satisfaction=satisfaction,
        expectation=expectation,
        reached_person=reached_person,
    )
    now = timezone.now()
    fields = {
        "reached": True,
        "reached_person": reached_person.strip()[:120],
        "product_state": product_state,
        "questions_answered": questions_answered,
        "satisfaction": satisfaction,
        "expectation": expectation,
        "notes": "\n".join(n for n in (visit.notes, notes.strip()) if n),
        "completed_at": now,
        "completed_by": by,
        "attempts": visit.attempts + 1,
    }
    if new_issue.strip():
        fields["new_issue_record"] = _opened_record(
            by=by,
            visit=visit,
            field="new_issue",
            stage=Stage.AFTER_SALE,
            category=new_issue_category(new_issue_category_id),
            text=new_issue,
        )
    if new_need.strip():
        fields["new_need_record"] = _opened_record(
            by=by,
            visit=visit,
            field="new_need",
            stage=Stage.PRE_SALE,
            category=new_need_category(),
            text=new_need,
        )
    CallbackAttempt.objects.create(visit=visit, by=by, reached=True, at=now)
    done = _move(visit, VisitStatus.DONE, by=by, extra=fields)
    if done.purpose == Purpose.COMPLAINT_RECHECK:
        _recheck_result(done, by=by)
    return done


# A re-check visit's satisfaction answers the complaint's step 6: 4 or 5 is satisfied.
SATISFIED_FROM = 4


def _recheck_result(visit: CallbackVisit, *, by) -> None:
    """The re-check visit was made: its answer is the complaint's step 6, in the same write (a
    complaint already moved on, by hand on its page, is left as it is). Without a satisfaction
    score the agent records the result on the complaint."""
    complaint = Complaint.objects.filter(record_id=visit.source_record_id).first()
    if complaint is None or complaint.step != Step.RECHECK or visit.satisfaction is None:
        return
    satisfied = visit.satisfaction >= SATISFIED_FROM
    complaint_take_step(
        by=by,
        complaint_id=complaint.pk,
        version=None,
        step=Step.RECHECK,
        data={
            "result": "satisfied" if satisfied else "not_satisfied",
            "note": _("Re-check visit %(ref)s: satisfaction %(n)s/5.")
            % {"ref": visit.reference, "n": visit.satisfaction},
        },
    )


@transaction.atomic
def visit_reschedule(
    *, by, visit_id: int, version: int | None, due_at: datetime, reason: str = ""
) -> CallbackVisit:
    """Move the next attempt to another time inside the window (an agreed call-back time)."""
    visit = _lock_scheduled(visit_id, version, doing=_("a new time"))
    if visit.status != VisitStatus.SCHEDULED:
        raise DomainError(_("A missed visit cannot be rescheduled."), field="status")
    if due_at < timezone.now():
        raise DomainError(_("Choose a time that has not passed."), field="due_at")
    if due_at > visit.window_end:
        raise DomainError(
            _("Choose a time before the window ends (%(end)s).")
            % {"end": timezone.localtime(visit.window_end).strftime("%Y-%m-%d %H:%M")},
            field="due_at",
        )
    _max, _retry, remind_minutes = _terms(visit)
    return versioned_update(
        CallbackVisit.objects,
        pk=visit.pk,
        version=None,  # checked under the lock above
        changes={
            "due_at": due_at,
            "remind_at": max(timezone.now(), due_at - timedelta(minutes=remind_minutes)),
            "reminded_at": None,
        },
        validate=lambda obj: _stamp(obj, by, reason),
    )


def _stamp(obj, by, reason: str = "") -> None:
    obj._history_user = by
    if reason:
        obj._change_reason = reason  # cut to the history's length by core.signals


@transaction.atomic
def visit_assign(*, by, visit_id: int, version: int | None, assignee_id: int | None):
    """Take a visit from the department's queue, hand it on (managers), or give it back."""
    visit = _lock_scheduled(visit_id, version, doing=_("a new assignee"))
    assignee = User.objects.filter(pk=assignee_id, is_active=True).first() if assignee_id else None
    _check_assignee(by, assignee_id, assignee, department_id=visit.department_id)
    if user_role(by) == Role.AGENT and visit.assignee_id not in (None, by.pk):
        raise DomainError(_("Only a manager can take a visit from a colleague."), field="assignee")
    return versioned_update(
        CallbackVisit.objects,
        pk=visit.pk,
        version=None,
        changes={
            "assignee": assignee,
            "audience": record_audience(
                lead_department_id=visit.department_id,
                assignee_id=assignee.pk if assignee else None,
            ),
        },
        validate=lambda obj: _stamp(obj, by),
    )


@transaction.atomic
def visit_cancel(*, by, visit_id: int, version: int | None, reason: str) -> CallbackVisit:
    if not (reason or "").strip():
        raise DomainError(_("Say why the visit is cancelled."), field="reason")
    return _move(
        CallbackVisit(pk=visit_id),
        VisitStatus.CANCELLED,
        by=by,
        reason=reason.strip(),
        version=version,
    )


# --- beat: reminders, missed visits, escalation ---------------------------------------------------


def _people_for(visit: CallbackVisit):
    if visit.assignee_id:
        return User.objects.filter(pk=visit.assignee_id)
    return User.objects.filter(
        is_active=True, department_memberships__department_id=visit.department_id
    )


def visit_remind(*, visit_id: int) -> bool:
    """Remind whoever will make the visit, once: the claim is a state-filtered update."""
    with transaction.atomic():
        claimed = CallbackVisit.objects.filter(
            pk=visit_id, status=VisitStatus.SCHEDULED, reminded_at__isnull=True
        ).update(reminded_at=timezone.now())
        if not claimed:
            return False
        visit = CallbackVisit.objects.select_related("customer").get(pk=visit_id)
        notify(
            recipients=_people_for(visit),
            verb="callback_due",
            title=_("Callback due %(when)s: %(customer)s (%(ref)s)")
            % {
                "when": timezone.localtime(visit.due_at).strftime("%m-%d %H:%M"),
                "customer": visit.customer.name,
                "ref": visit.reference,
            },
            url=visit.get_absolute_url(),
            email=False,  # in-desk only: a reminder per visit would flood inboxes
        )
        return True


def visits_remind_due(*, now: datetime | None = None, limit: int = 1000) -> int:
    now = now or timezone.now()
    ids = list(
        CallbackVisit.objects.filter(
            status=VisitStatus.SCHEDULED, reminded_at__isnull=True, remind_at__lte=now
        )
        .order_by("remind_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(visit_remind(visit_id=pk) for pk in ids)


def visit_escalate(*, visit_id: int) -> bool:
    """Tell the department's managers (and the assignee) that a visit was missed, once."""
    with transaction.atomic():
        claimed = CallbackVisit.objects.filter(
            pk=visit_id, status=VisitStatus.MISSED, escalated_at__isnull=True
        ).update(escalated_at=timezone.now())
        if not claimed:
            return False
        visit = CallbackVisit.objects.select_related("customer", "assignee").get(pk=visit_id)
        managers = [m.user for m in department_managers(visit.department_id)]
        notify(
            recipients=[*managers, visit.assignee],
            verb="callback_missed",
            title=_("Callback missed: %(customer)s (%(ref)s), %(n)d attempts")
            % {"customer": visit.customer.name, "ref": visit.reference, "n": visit.attempts},
            url=visit.get_absolute_url(),
        )
        return True


def visits_mark_missed(*, now: datetime | None = None, limit: int = 1000) -> int:
    """Scheduled visits whose window closed become missed, and their managers are told."""
    now = now or timezone.now()
    ids = list(
        CallbackVisit.objects.filter(status=VisitStatus.SCHEDULED, window_end__lt=now)
        .order_by("window_end")
        .values_list("pk", flat=True)[:limit]
    )
    marked = 0
    for pk in ids:
        try:
            with transaction.atomic():
                visit = lock_current(_queryset(), pk=pk, version=None)
                if visit.status != VisitStatus.SCHEDULED or visit.window_end >= now:
                    continue  # completed or rescheduled since the read above
                _move(visit, VisitStatus.MISSED, by=None, reason=_("window closed"))
        except InvalidTransition:
            continue
        visit_escalate(visit_id=pk)
        marked += 1
    return marked


# --- merging customers ----------------------------------------------------------------------------


def visits_before_merge(*, survivor_id: int, duplicate_id: int, by=None) -> int:
    """Before the duplicate's visits move to the survivor: a scheduled periodic or greeting visit
    of a rule and period the survivor already has (made or still to make) is cancelled, with the
    reason, so the survivor is not called twice. Finished visits move as they are: the key
    one_visit_per_rule_customer_period holds only among scheduled visits."""
    clashing = CallbackVisit.objects.filter(
        customer_id=duplicate_id,
        period__isnull=False,
        rule__isnull=False,
        status=VisitStatus.SCHEDULED,
    )
    survivor_keys = set(
        CallbackVisit.objects.filter(customer_id=survivor_id, period__isnull=False)
        .exclude(status=VisitStatus.CANCELLED)
        .values_list("rule_id", "period")
    )
    cancelled = 0
    for visit in clashing:
        if (visit.rule_id, visit.period) in survivor_keys:
            _move(
                visit,
                VisitStatus.CANCELLED,
                by=by,
                reason=_("merged into customer #%(id)s, who has this visit") % {"id": survivor_id},
            )
            cancelled += 1
    return cancelled


# --- rules (administrators) -----------------------------------------------------------------------


def _may_edit_rules(by) -> None:
    if by is not None and not has_role(by, Role.ADMINISTRATOR):
        raise PermissionDenied(_("Only administrators change callback rules."))


@transaction.atomic
def rule_create(*, by, fields: dict) -> CallbackRule:
    """A new rule, from validated fields (followups.api.serializers.RuleInputSerializer)."""
    _may_edit_rules(by)
    fields = dict(fields)
    categories = fields.pop("categories", [])
    rule = CallbackRule.objects.create(**fields)
    rule.categories.set(categories)
    return rule


@transaction.atomic
def rule_update(*, by, rule_id: int, version: int | None, fields: dict) -> CallbackRule:
    """Lock, re-check the version (a stale one is a ConflictError), then write. The admin bumps the
    version too (followups.admin), so neither overwrites the other silently. Visits already
    scheduled keep their terms; the rule's new ones apply to visits it makes from now on."""
    _may_edit_rules(by)
    fields = dict(fields)
    categories = fields.pop("categories", None)
    rule = versioned_update(CallbackRule.objects.all(), pk=rule_id, version=version, changes=fields)
    if categories is not None:
        rule.categories.set(categories)
    return rule
