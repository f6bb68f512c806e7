"""Reads for the service audit: who sees which review, the lists, and the per-agent averages.

Visibility is one column: managers and administrators see every review, an agent the reviews of
their own work (`agent`, served by audit_review_agent_idx). Reviews are few (a manager writes
them by hand), so the lists page by offset like the other staff pages and read a bounded number
of rows.
"""

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Avg, Count, F, FloatField, Prefetch, QuerySet
from django.db.models.functions import Cast

from servicedesk.core.periods import day_bounds
from servicedesk.core.roles import Role, user_role
from servicedesk.core.users import person_name

from .models import CheckForm, CheckItem, Review, ReviewScore, share_percent

LIST_RELATED = ("form", "agent", "reviewer", "department", "record", "complaint__record")
MY_REVIEWS_LIMIT = 10


def review_visible(user) -> QuerySet[Review]:
    """Managers and administrators: every review; an agent: the reviews of their own work;
    anyone without a desk role: none."""
    role = user_role(user)
    if role in (Role.MANAGER, Role.ADMINISTRATOR):
        return Review.objects.all()
    if role is None:
        return Review.objects.none()
    return Review.objects.filter(agent_id=user.pk)


def review_list(
    user, *, agent_id=None, department_id=None, form_id=None, acknowledged=None
) -> QuerySet[Review]:
    """The visible reviews, newest first (along audit_review_recent_idx or, for one agent,
    audit_review_agent_idx), with what a row shows."""
    qs = review_visible(user)
    if agent_id:
        qs = qs.filter(agent_id=agent_id)
    if department_id:
        qs = qs.filter(department_id=department_id)
    if form_id:
        qs = qs.filter(form_id=form_id)
    if acknowledged is not None:
        qs = qs.filter(acknowledged_at__isnull=not acknowledged)
    return qs.select_related(*LIST_RELATED).order_by("-created_at", "-id")


def with_scores(qs: QuerySet[Review]) -> QuerySet[Review]:
    """Each review's scores in the form's order, with their items: one query for a page."""
    return qs.prefetch_related(
        Prefetch(
            "scores",
            queryset=ReviewScore.objects.select_related("item").order_by("item__position", "pk"),
        )
    )


def review_get(user, pk: int) -> Review:
    """One visible review with its scores; Review.DoesNotExist when hidden or unknown."""
    return with_scores(review_visible(user).select_related(*LIST_RELATED)).get(pk=pk)


def reviews_for(user, *, limit: int = MY_REVIEWS_LIMIT) -> list[Review]:
    """My reviews: the user's own, newest first, at most `limit` (the agent dashboard's panel,
    drawn with the review list's table: hence the list's own joins)."""
    return list(
        Review.objects.filter(agent_id=user.pk)
        .select_related(*LIST_RELATED)
        .order_by("-created_at", "-id")[:limit]
    )


def reviewable_people() -> list[tuple[int, str]]:
    """Active agents and managers (whose work may be reviewed) as (id, display name), by name:
    the review list's agent filter. Read as values, not users."""
    rows = (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=[Role.AGENT, Role.MANAGER])
        .distinct()
        .values_list("pk", "first_name", "last_name", "username")
    )
    people = [(pk, person_name(first, last, login)) for pk, first, last, login in rows]
    return sorted(people, key=lambda pair: pair[1].lower())


# --- check forms --------------------------------------------------------------------------------


def form_list(*, active_only: bool = False) -> QuerySet[CheckForm]:
    qs = CheckForm.objects.prefetch_related(
        Prefetch("items", queryset=CheckItem.objects.order_by("position", "pk"))
    ).order_by("key")
    return qs.filter(is_active=True) if active_only else qs


def form_choices() -> list[tuple[int, str]]:
    """Every check form as (id, name in the current language), by key: the list's form filter."""
    forms = CheckForm.objects.only("pk", "key", "name_en", "name_zh").order_by("key")
    return [(f.pk, f.name) for f in forms]


def form_max_points(form: CheckForm) -> int:
    """The form's maximum, from its prefetched items."""
    return sum(item.max_points for item in form.items.all())


# --- per-agent averages -------------------------------------------------------------------------


@dataclass(frozen=True)
class AgentAverage:
    agent_id: int
    name: str
    reviews: int
    average: float | None  # the mean of the reviews' shares, 0..1

    @property
    def percent(self) -> float | None:
        return None if self.average is None else share_percent(self.average)


def agent_averages(since, until, department_ids=None) -> list[AgentAverage]:
    """Each reviewed agent's number of reviews and average share (points / the form's maximum)
    over reviews made in [since, until), best average first: one grouped query.

    `since` and `until` are aware datetimes, or days (inclusive, in the current time zone, as
    every period of the dashboards). `department_ids` narrows to reviews of those departments'
    work."""
    if isinstance(since, datetime.datetime):
        start, end = since, until
    else:
        start, end = day_bounds(since, until)
    qs = Review.objects.filter(created_at__gte=start, created_at__lt=end)
    if department_ids is not None:
        qs = qs.filter(department_id__in=list(department_ids))
    rows = (
        qs.values("agent_id", "agent__username", "agent__first_name", "agent__last_name")
        .annotate(
            reviews=Count("pk"),
            average=Avg(Cast(F("points"), FloatField()) / Cast(F("max_points"), FloatField())),
        )
        .order_by("-average", "agent_id")
    )
    return [
        AgentAverage(
            agent_id=row["agent_id"],
            name=person_name(
                row["agent__first_name"], row["agent__last_name"], row["agent__username"]
            ),
            reviews=row["reviews"],
            average=row["average"],
        )
        for row in rows
    ]
