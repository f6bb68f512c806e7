"""Reads for complaints."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from servicedesk.core.models import StatusChange
from servicedesk.core.selectors import rate, time_in_states

from ..visibility import audience_visible, department_key
from .models import (
    STEPS,
    Complaint,
    ComplaintAction,
    ComplaintStepEntry,
    Outcome,
    Step,
    overdue_actions,
)


def complaint_visible(user) -> QuerySet[Complaint]:
    """A complaint is seen by whoever sees its record (the record's audience)."""
    return audience_visible(Complaint.objects.all(), user, field="record__audience")


def complaint_list(user, *, steps: list[str] | None = None) -> QuerySet[Complaint]:
    """Newest first (the primary key), with what a row shows: record, customer, open actions."""
    qs = complaint_visible(user).select_related("record__customer", "record__assignee")
    if steps:
        qs = qs.filter(step__in=steps)
    # A sub-query per row shown, not a join and GROUP BY over every visible complaint.
    open_actions = (
        ComplaintAction.objects.filter(complaint=OuterRef("pk"), done_at=None)
        .values("complaint")
        .annotate(n=Count("id"))
        .values("n")
    )
    return qs.annotate(open_actions=Coalesce(Subquery(open_actions), 0)).order_by("-id")


def complaint_narrow(
    qs: QuerySet[Complaint],
    *,
    state: str = "",
    overdue: bool = False,
    breached: bool = False,
    recovered: bool = False,
    department: int | None = None,
) -> QuerySet[Complaint]:
    """The list's narrowing, for the page and the API: open or closed; with an action past its
    date; with a surprise breach (surprise_breaches: open late, or done after its date);
    recovered (closed with the customer satisfied); by responsible department."""
    if state == "open":
        qs = qs.exclude(step=Step.CLOSED)
    elif state == "closed":
        qs = qs.filter(step=Step.CLOSED)
    if overdue:
        late = ComplaintAction.objects.filter(overdue_actions(), complaint=OuterRef("pk"))
        qs = qs.filter(Exists(late))
    if breached:
        broken = surprise_breaches(ComplaintAction.objects.filter(complaint=OuterRef("pk")))
        qs = qs.filter(Exists(broken))
    if recovered:
        qs = qs.filter(step=Step.CLOSED, outcome=Outcome.SATISFIED)
    if department:
        qs = qs.filter(responsible_department_id=department)
    return qs


def complaint_by_record(
    qs: QuerySet[Complaint],
    *,
    since=None,
    until=None,
    department_id: int | None = None,
    stage: str = "",
    assignee_id: int | None = None,
    category_id: int | None = None,
    tier: str = "",
) -> QuerySet[Complaint]:
    """Complaints narrowed by their record, in the record list's words (tickets.filters): created
    in [since, until) (aware moments, for the record's created_at index), by department (lead or
    collaborating: the audience, as the list and the dashboards count), stage, assignee,
    category and customer tier. A complaint is opened with its own record (complaint_open), so
    its record's creation is its own; the dashboards count a complaint by it."""
    if since is not None:
        qs = qs.filter(record__created_at__gte=since)
    if until is not None:
        qs = qs.filter(record__created_at__lt=until)
    if department_id:
        qs = qs.filter(record__audience__has_key=department_key(department_id))
    columns = {
        "record__stage": stage,
        "record__assignee_id": assignee_id,
        "record__category_id": category_id,
        "record__customer__management_tier": tier,
    }
    conditions = {column: value for column, value in columns.items() if value}
    return qs.filter(**conditions) if conditions else qs


def action_counts(complaints: QuerySet[Complaint]) -> dict[str, int]:
    """The overdue and surprise-breached actions of `complaints` (one query): the dashboards
    count actions, the list complaints, so a list narrowed to them says how many it holds."""
    actions = ComplaintAction.objects.filter(complaint__in=complaints.values("pk"))
    return surprise_breaches(actions).aggregate(
        overdue=Count("pk", filter=overdue_actions()),
        breached=Count("pk"),
    )


def complaint_get(user, pk: int) -> Complaint:
    """One visible complaint with its record, for the page's writes; DoesNotExist for anyone
    else's. The page itself reads values (complaint_page_values and the reads below)."""
    return complaint_visible(user).select_related("record").get(pk=pk)


# The complaint page's reads (tickets/complaints/page.py): the columns it shows, no instances.
PAGE_FIELDS = (
    "id",
    "version",
    "step",
    "step_since",
    "outcome",
    "close_reason",
    "channel",
    "severity",
    "wants_manager",
    "record_id",
    "record__subject",
    "record__stage",
    "record__customer_id",
    "record__customer__name",
    "about_record_id",
    "about_record__subject",
    "responsible_department_id",
    "responsible_department__name_en",
    "responsible_department__name_zh",
    "cause__id",  # whether a root cause is filed: its section reads it only then
)
ENTRY_FIELDS = (
    "id",
    "step",
    "round",
    "data",
    "started_at",
    "taken_at",
    "version",
    "by__first_name",
    "by__last_name",
    "by__username",
)
ACTION_FIELDS = (
    "id",
    "description",
    "record_id",
    "due_date",
    "original_due_date",
    "told_at",
    "done_at",
    "owner__first_name",
    "owner__last_name",
    "owner__username",
)
REVISION_FIELDS = (
    "id",
    "data",
    "history_date",
    "history_user__first_name",
    "history_user__last_name",
    "history_user__username",
)


def complaint_page_values(user, pk: int) -> dict:
    """One visible complaint's PAGE_FIELDS; DoesNotExist for anyone else's."""
    return complaint_visible(user).values(*PAGE_FIELDS).get(pk=pk)


def complaint_entry_values(complaint_id: int) -> list[dict]:
    """The steps taken, in the order they were taken."""
    entries = ComplaintStepEntry.objects.filter(complaint_id=complaint_id)
    return list(entries.order_by("taken_at", "pk").values(*ENTRY_FIELDS))


def complaint_action_values(complaint_id: int) -> list[dict]:
    """Step 5's actions, by due date."""
    actions = ComplaintAction.objects.filter(complaint_id=complaint_id)
    return list(actions.order_by("due_date", "pk").values(*ACTION_FIELDS))


def entry_revisions(entries: list[dict]) -> dict[int, list[dict]]:
    """Each entry's earlier versions, oldest first. Only a revision raises an entry's version
    (services.complaint_revise_step; the admin shows entries read only), so entries still at
    their first version have none and the history is read only when one was revised."""
    revised = [e["id"] for e in entries if e["version"] > 1]
    if not revised:
        return {}
    by_entry: dict[int, list[dict]] = {}
    rows = ComplaintStepEntry.history.filter(id__in=revised).order_by("history_date", "history_id")
    for row in rows.values(*REVISION_FIELDS):
        by_entry.setdefault(row["id"], []).append(row)
    # The history's last row is the entry itself.
    return {pk: versions[:-1] for pk, versions in by_entry.items()}


def surprise_breaches(queryset: QuerySet | None = None) -> QuerySet[ComplaintAction]:
    """Actions that broke their date without the customer being told in advance: open past their
    due date, or done after it. Telling the customer moves the date (complaint_action_told), so an
    action done by its new date is no breach; reported apart from merely overdue ones."""
    qs = queryset if queryset is not None else ComplaintAction.objects.all()
    done_day = TruncDate("done_at", tzinfo=timezone.get_current_timezone())
    open_late = overdue_actions()
    done_late = Q(done_at__isnull=False, done_day__gt=F("due_date"))
    return qs.annotate(done_day=done_day).filter(open_late | done_late)


# --- metrics (the dashboards issue reads these) ------------------------------------------------
# TARP's figures, shown only as estimates: for each complaint 26 customers stay silent, and an
# unrecovered customer tells 8 to 16 others.
SILENT_PER_COMPLAINT = 26
WORD_OF_MOUTH = (8, 16)


def complaint_metrics(complaints: QuerySet[Complaint]) -> dict:
    """Recovery rate = closed satisfied ÷ closed; the average time in each step (from the step
    log, loops counted each time); surprise breaches; the TARP estimates, labelled as such."""
    counts = complaints.aggregate(
        total=Count("id"),
        closed=Count("id", filter=Q(step=Step.CLOSED)),
        recovered=Count("id", filter=Q(step=Step.CLOSED, outcome=Outcome.SATISFIED)),
    )
    unrecovered = counts["closed"] - counts["recovered"]
    ids = complaints.values("pk")
    times = time_in_states(Complaint, field="step", object_ids=ids)
    entered = dict(
        StatusChange.objects.filter(
            content_type=ContentType.objects.get_for_model(Complaint),
            field="step",
            object_id__in=ids,
        )
        .values_list("to_state")
        .annotate(n=Count("id"))
    )
    return {
        **counts,
        "recovery_rate": rate(counts["recovered"], counts["closed"]),
        "average_time_in_step": {
            step: times[step] / entered[step] for step in STEPS if entered.get(step)
        },
        "surprise_breaches": surprise_breaches(
            ComplaintAction.objects.filter(complaint__in=complaints)
        ).count(),
        "estimated_silent_dissatisfied": counts["total"] * SILENT_PER_COMPLAINT,
        "estimated_word_of_mouth": tuple(n * unrecovered for n in WORD_OF_MOUTH),
    }
