"""Reads for staff feedback and internal customers. Who sees what is decided here, in the
querysets, for every page:

- daily cases: managers and administrators all; agents the shared ones and their own;
- suggestions: every staff member reads the box, but an anonymous suggestion's author is left out
  of the query (not just the page) for every agent except the author;
- meetings: everyone reads them;
- handover ratings: the internal-customer table is the managers'.
"""

from datetime import timedelta

from django.db.models import (
    Avg,
    BooleanField,
    Case,
    CharField,
    Count,
    F,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone

from servicedesk.core.models import Department
from servicedesk.core.roles import Role, is_manager_or_admin, user_role
from servicedesk.core.selectors import rate, user_department_ids
from tickets.models import ServiceRecord
from tickets.selectors import record_visible

from .models import DailyCase, HandoverRating, Meeting, Suggestion

RECENT_DAYS = 14
TEAM_LIMIT = 10
MINE_LIMIT = 5

# --- daily cases ----------------------------------------------------------------------------------

CASE_FIELDS = (
    "id",
    "kind",
    "title",
    "case_date",
    "shared_at",
    "record_id",
    "department__name_en",
    "department__name_zh",
    "author_id",
    "author__first_name",
    "author__last_name",
    "author__username",
)


def case_visible(user) -> QuerySet[DailyCase]:
    """Managers and administrators see every case; agents the shared ones and their own (two
    indexed shapes: case_shared_idx and case_author_idx)."""
    role = user_role(user)
    if role is None:
        return DailyCase.objects.none()
    if role in (Role.MANAGER, Role.ADMINISTRATOR):
        return DailyCase.objects.all()
    return DailyCase.objects.filter(Q(shared_at__isnull=False) | Q(author=user))


CASE_SCOPES = ("shared", "mine", "unshared", "all")


def case_list(user, *, scope: str = "shared", kind: str | None = None) -> QuerySet[DailyCase]:
    """One of the case lists, newest day first. "unshared" and "all" are the managers' (an agent
    asking for them gets what they see: the shared ones and their own)."""
    qs = case_visible(user)
    if scope == "shared":
        qs = qs.filter(shared_at__isnull=False)
    elif scope == "mine":
        qs = qs.filter(author=user)
    elif scope == "unshared":
        qs = qs.filter(shared_at__isnull=True)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("-case_date", "-id")


def case_team(user, *, today=None) -> dict[str, list[dict]]:
    """The team page's cases, three bounded queries: today's shared cases, the shared ones of the
    last two weeks before today, and the user's own latest."""
    today = today or timezone.localdate()
    shared = case_visible(user).filter(shared_at__isnull=False).order_by("-case_date", "-id")
    return {
        "today": list(shared.filter(case_date=today).values(*CASE_FIELDS)[: TEAM_LIMIT * 2]),
        "recent": list(
            shared.filter(
                case_date__lt=today, case_date__gte=today - timedelta(days=RECENT_DAYS)
            ).values(*CASE_FIELDS)[:TEAM_LIMIT]
        ),
        "mine": list(
            case_visible(user)
            .filter(author=user)
            .order_by("-case_date", "-id")
            .values(*CASE_FIELDS)[:MINE_LIMIT]
        ),
    }


def case_get(user, pk: int) -> DailyCase:
    """One visible case with what its page shows (DoesNotExist for a hidden one)."""
    return (
        case_visible(user).select_related("author", "department", "shared_by", "record").get(pk=pk)
    )


# --- suggestions ----------------------------------------------------------------------------------

SUGGESTION_FIELDS = (
    "id",
    "title",
    "status",
    "is_anonymous",
    "created_at",
    "by_id",
    "by_first_name",
    "by_last_name",
    "by_username",
    "is_mine",
)


def _author_hidden(user) -> Q | None:
    """Rows whose author this user must not learn: anonymous ones by someone else, for anyone who
    is not a manager or an administrator. None: the user sees every author."""
    if is_manager_or_admin(user):
        return None
    return Q(is_anonymous=True) & ~Q(author_id=user.pk)


def _shown(hidden: Q | None, field: str, output):
    if hidden is None:
        return F(field)
    return Case(When(hidden, then=Value(None)), default=F(field), output_field=output)


def suggestion_visible(user) -> QuerySet[Suggestion]:
    """Every staff member reads the box; the author's columns come through `_shown`, so an
    anonymous author never leaves the database for a colleague."""
    if user_role(user) is None:
        return Suggestion.objects.none()
    hidden = _author_hidden(user)
    return Suggestion.objects.annotate(
        by_id=_shown(hidden, "author_id", IntegerField()),
        by_first_name=_shown(hidden, "author__first_name", CharField()),
        by_last_name=_shown(hidden, "author__last_name", CharField()),
        by_username=_shown(hidden, "author__username", CharField()),
        is_mine=Case(
            When(author_id=user.pk, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
    )


def suggestion_list(user, *, status: str | None = None, mine: bool = False) -> QuerySet:
    qs = suggestion_visible(user)
    if status:
        qs = qs.filter(status=status)
    if mine:
        qs = qs.filter(author_id=user.pk)
    return qs.order_by("-created_at", "-id")


def suggestion_page_values(user, pk: int) -> dict:
    """One suggestion as its page shows it, the author already left out where it must be."""
    return (
        suggestion_visible(user)
        .values(*SUGGESTION_FIELDS, "body", "response", "version")
        .get(pk=pk)
    )


def suggestion_counts() -> dict[str, int]:
    """Suggestions by status, one grouped query (the box's tabs)."""
    rows = Suggestion.objects.values("status").annotate(n=Count("id")).order_by()
    return {row["status"]: row["n"] for row in rows}


# --- meetings -------------------------------------------------------------------------------------

MEETING_FIELDS = (
    "id",
    "held_on",
    "title",
    "department__name_en",
    "department__name_zh",
    "attendee_count",
)


def meeting_list(user) -> QuerySet[Meeting]:
    """Every staff member reads the minutes, newest meeting first."""
    if user_role(user) is None:
        return Meeting.objects.none()
    return Meeting.objects.annotate(attendee_count=Count("attendees")).order_by("-held_on", "-id")


def meeting_get(user, pk: int) -> Meeting:
    from django.contrib.auth import get_user_model

    if user_role(user) is None:
        raise Meeting.DoesNotExist
    users = get_user_model().objects.order_by("last_name", "first_name", "username")
    return (
        Meeting.objects.select_related("department", "written_by")
        .prefetch_related(Prefetch("attendees", queryset=users))
        .get(pk=pk)
    )


def meeting_recent(user, *, limit: int = 3) -> list[dict]:
    return list(meeting_list(user).values(*MEETING_FIELDS)[:limit])


# --- internal customers ---------------------------------------------------------------------------


def _ratings_in(since, until, department_id: int | None) -> QuerySet[HandoverRating]:
    """The ratings of [since, until) (handover_created_idx), of the pairs `department_id` is on
    either side of when given: the table and the latest ratings read the same rows."""
    qs = HandoverRating.objects.filter(created_at__gte=since, created_at__lt=until)
    if department_id is not None:
        qs = qs.filter(Q(from_department_id=department_id) | Q(to_department_id=department_id))
    return qs


def handover_pairs(*, since, until, department_id: int | None = None) -> list[dict]:
    """Per (from, to) department pair in [since, until): ratings, average and the share of 4–5,
    in one grouped query. `department_id` keeps the pairs it is on either side of.

    share_good is core.selectors.rate (None for no ratings: "—"), average is rounded to 2 places.
    """
    rows = (
        _ratings_in(since, until, department_id)
        .values(
            "from_department_id",
            "from_department__name_en",
            "from_department__name_zh",
            "to_department_id",
            "to_department__name_en",
            "to_department__name_zh",
        )
        .annotate(
            ratings=Count("id"),
            average=Avg("score"),
            good=Count("id", filter=Q(score__gte=4)),
        )
        .order_by("from_department__name_en", "to_department__name_en")
    )
    return [
        {
            **row,
            "average": round(float(row["average"]), 2) if row["average"] is not None else None,
            "share_good": rate(row["good"], row["ratings"]),
        }
        for row in rows
    ]


RATING_FIELDS = (
    "id",
    "record_id",
    "score",
    "comment",
    "created_at",
    "from_department__name_en",
    "from_department__name_zh",
    "to_department__name_en",
    "to_department__name_zh",
    "rated_by__first_name",
    "rated_by__last_name",
    "rated_by__username",
)


def handover_recent(*, since, until, department_id: int | None = None, limit: int = 20):
    """The latest ratings of the period, with their comments (one query)."""
    qs = _ratings_in(since, until, department_id)
    return list(qs.order_by("-created_at", "-id").values(*RATING_FIELDS)[:limit])


def handover_record(user, record_id: int) -> ServiceRecord:
    """The record a rating is about, if the user sees it, with its departments (DoesNotExist
    otherwise)."""
    return (
        record_visible(user)
        .select_related("lead_department")
        .prefetch_related("collaborating_departments")
        .get(pk=record_id)
    )


def handover_choices(user, record: ServiceRecord) -> dict:
    """What the rating form offers on a record (already loaded with its departments): the user's
    own departments on it receive, the others on it hand over, and the pairs already rated."""
    involved = [record.lead_department, *record.collaborating_departments.all()]
    mine = set(user_department_ids(user))
    rated = set(
        HandoverRating.objects.filter(record_id=record.pk).values_list(
            "from_department_id", "to_department_id"
        )
    )
    return {
        "receivers": [(d.pk, d.name) for d in involved if d.pk in mine],
        "senders": [(d.pk, d.name) for d in involved],
        "rated": rated,
        "names": {d.pk: d.name for d in involved},
    }


def department_choices() -> list[tuple[int, str]]:
    return [(d.pk, d.name) for d in Department.objects.filter(is_active=True).order_by("code")]
