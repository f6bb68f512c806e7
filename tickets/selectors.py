"""Reads for service records. Visibility is applied here, in the querysets, for pages and API."""

from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import (
    Case,
    CharField,
    F,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from servicedesk.core.selectors import user_department_ids

from .models import (
    ACTIVE_STATUSES,
    RecordAttachment,
    RecordMessage,
    ServiceCategory,
    ServiceRecord,
)
from .visibility import audience_visible

User = get_user_model()

# A target is "due soon" when it falls within this window; tickets code owns the default.
DUE_SOON = timedelta(hours=4)

LIST_RELATED = ("customer", "category", "lead_department", "assignee")


def record_visible(user) -> QuerySet[ServiceRecord]:
    """Records the user may see: administrators all; others their departments' and their own.

    One predicate on the record's audience (tickets.visibility), so the lists' ordered index walks
    test it row by row and a narrow audience is found through the GIN index.
    """
    return audience_visible(ServiceRecord.objects.all(), user)


def _running() -> Q:
    return Q(status__in=ACTIVE_STATUSES)


# --- the due / breach rule: one set of predicates, used as filters and as annotations -----------
# The list, the API, the templates, My work and the escalation all read these; nothing else
# decides whether a record is late. Each filter is served by a partial due-time index.

TARGETS = {
    # target: (due field, met-at field)
    "response": ("first_response_due", "first_responded_at"),
    "resolution": ("resolution_due", "resolved_at"),
}


def target_breached_q(target: str, now) -> Q:
    due, met = TARGETS[target]
    return _running() & Q(**{f"{met}__isnull": True, f"{due}__lt": now})


def target_due_soon_q(target: str, now) -> Q:
    due, met = TARGETS[target]
    return _running() & Q(
        **{f"{met}__isnull": True, f"{due}__gte": now, f"{due}__lt": now + DUE_SOON}
    )


def breached_q(now=None) -> Q:
    """A running record past a target it has not met."""
    now = now or timezone.now()
    return target_breached_q("response", now) | target_breached_q("resolution", now)


def due_soon_q(now=None) -> Q:
    now = now or timezone.now()
    return target_due_soon_q("response", now) | target_due_soon_q("resolution", now)


def _target_state(target: str, now) -> Case:
    due, met = TARGETS[target]
    return Case(
        When(**{f"{due}__isnull": True}, then=Value("")),
        When(**{f"{met}__isnull": False, f"{met}__lte": F(due)}, then=Value("met")),
        When(**{f"{met}__isnull": False}, then=Value("late")),
        When(~_running(), then=Value("stopped")),
        When(target_breached_q(target, now), then=Value("breached")),
        When(target_due_soon_q(target, now), then=Value("due_soon")),
        default=Value("running"),
        output_field=CharField(),
    )


def with_due_state(qs: QuerySet, now=None) -> QuerySet:
    """Annotate each record with its targets' states and the one state a list shows:

    - response_state / resolution_state: "met", "late" (met after the due time), "stopped" (no
      longer running), "breached", "due_soon", "running", or "" (no target);
    - due_state: "breached" (resolution), "response_late", "due_soon", "running" or "".
    """
    now = now or timezone.now()
    return qs.annotate(
        response_state=_target_state("response", now),
        resolution_state=_target_state("resolution", now),
        due_state=Case(
            When(target_breached_q("resolution", now), then=Value("breached")),
            When(target_breached_q("response", now), then=Value("response_late")),
            When(due_soon_q(now), then=Value("due_soon")),
            When(_running(), then=Value("running")),
            default=Value(""),
            output_field=CharField(),
        ),
    )


def record_list(*, user, due: bool = True) -> QuerySet[ServiceRecord]:
    """The list's rows; filtering is done by tickets.filters.RecordFilter on top of this.
    due=False leaves out the due-state annotations, for a page that reads its rows as values
    and works the state out per row (tickets.rows)."""
    qs = record_visible(user).select_related(*LIST_RELATED).order_by("-created_at", "-pk")
    return with_due_state(qs) if due else qs


def record_get(*, user, pk: int, due: bool = True) -> ServiceRecord:
    """One visible record with everything its page shows, in a fixed number of queries.

    due=False leaves the targets' states out of the SQL (compiling the three CASEs was a good
    part of the page's time) for a page that works them out from the record's own columns
    (tickets.rows.target_state, held equal to with_due_state). The record's contact is taken from
    the customer's prefetched contacts, with their points (tickets.views._detail_page).

    The three people (assignee, creator, the customer's owner) are read in one query of their
    own: joined in, their three user tables took PostgreSQL ~2 ms to plan per request, more
    than the whole statement took to run."""
    from customers.models import Contact

    qs = record_visible(user)
    record = (
        (with_due_state(qs) if due else qs)
        .select_related("customer", "category", "lead_department")
        .prefetch_related(
            "collaborating_departments",
            Prefetch("messages", queryset=RecordMessage.objects.select_related("author", "email")),
            Prefetch(
                "attachments", queryset=RecordAttachment.objects.select_related("uploaded_by")
            ),
            Prefetch(
                "customer__contacts",
                queryset=Contact.objects.prefetch_related("points"),
            ),
        )
        .get(pk=pk)
    )
    customer = record.customer
    wanted = {record.assignee_id, record.created_by_id, customer.owner_id} - {None}
    people = User.objects.in_bulk(wanted) if wanted else {}
    record.assignee = people.get(record.assignee_id)
    record.created_by = people.get(record.created_by_id)
    customer.owner = people.get(customer.owner_id)
    return record


def record_history(record):
    from servicedesk.core.audit import history_entries

    return history_entries(
        record.history.all(), exclude_fields=("updated_at", "version", "created_at")
    )


def next_due():
    """The earliest target a record has still to meet: what makes it urgent."""
    never = Value(datetime.max.replace(tzinfo=UTC))
    return Least(
        Coalesce(Case(When(first_responded_at__isnull=True, then=F("first_response_due"))), never),
        Coalesce(Case(When(resolved_at__isnull=True, then=F("resolution_due"))), never),
    )


def my_work_panels(user, *, now, limit: int = 10) -> dict[str, QuerySet]:
    """My work's five panels as querysets, each the shape of one partial index on ServiceRecord
    (its Meta.indexes), so its cost follows the panel's rows, not the table. The page reads them
    on SQLite; on PostgreSQL it reads one union of index walks (tickets.panels), which
    tests/tickets/test_panels.py holds equal to these.
    tests/tickets/test_plans.py pins the plans."""
    depts = user_department_ids(user)
    base = with_due_state(ServiceRecord.objects.select_related(*LIST_RELATED), now)
    running = _running()
    mine = Q(assignee=user) | Q(lead_department_id__in=depts)
    # Ordered by an expression no index holds, so PostgreSQL reads the two narrow due-time ranges
    # from their partial indexes (a BitmapOr) instead of walking one index past every late record.
    urgent = base.annotate(next_due=next_due()).order_by("next_due", "pk")
    return {
        # record_assignee_due_idx
        "assigned": base.filter(running, assignee=user).order_by("resolution_due", "pk")[:limit],
        # record_unassigned_idx
        "unassigned": base.filter(
            running, lead_department_id__in=depts, assignee__isnull=True
        ).order_by("created_at", "pk")[:limit],
        # record_running_idx
        "department": base.filter(running, lead_department_id__in=depts).order_by(
            "-created_at", "-pk"
        )[:limit],
        # record_resolution_due_idx + record_first_response_due_idx
        "due_soon": urgent.filter(mine & due_soon_q(now))[:limit],
        "breached": urgent.filter(mine & breached_q(now))[:limit],
    }


def category_list(*, stage: str | None = None, active_only: bool = True):
    qs = ServiceCategory.objects.select_related("lead_department").prefetch_related(
        "collaborating_departments"
    )
    if active_only:
        qs = qs.filter(is_active=True)
    if stage:
        qs = qs.filter(stage=stage)
    return qs


def customer_records(customer, *, user, limit: int = 20):
    """The customer's newest records that this user may see (the 360° page applies record
    visibility), as rows of the columns the page shows (tickets.rows.CustomerRecordRow)."""
    from .rows import CUSTOMER_ROW_FIELDS, customer_record_row

    values = (
        record_visible(user)
        .filter(customer=customer)
        .order_by("-created_at", "-pk")
        .values(*CUSTOMER_ROW_FIELDS)[:limit]
    )
    return [customer_record_row(v) for v in values]


def department_assignable_users(department_ids):
    """Active members of these departments, for assignment choices."""
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(is_active=True, department_memberships__department_id__in=department_ids)
        .distinct()
        .order_by("username")
    )


def assignable_choices(department_ids) -> list[tuple[int, str]]:
    """department_assignable_users as (id, display name) pairs, in the same order, for a page's
    select: read as values rather than users (templates/jinja2/tickets/user_options.html)."""
    from servicedesk.core.users import person_name

    return [
        (pk, person_name(first, last, username))
        for pk, first, last, username in department_assignable_users(department_ids).values_list(
            "pk", "first_name", "last_name", "username"
        )
    ]
