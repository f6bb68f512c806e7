"""Reads for the service audit: who sees which review, the lists, and the per-agent averages.

Visibility is one column: managers and administrators see every review, an agent the reviews of
their own work (`agent`, served by audit_review_agent_idx). Reviews are few (a manager writes
them by hand), so the lists page by offset like the other staff pages and read a bounded number
of rows.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Avg, Count, F, FloatField, Prefetch, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from servicedesk.core.roles import Role, user_role
from servicedesk.core.users import person_name

from .models import CheckForm, CheckItem, Review, ReviewScore

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
    """My reviews: the user's own, newest first, at most `limit` (the agent dashboard's panel
    and the My reviews page's head)."""
    return list(
        Review.objects.filter(agent_id=user.pk)
        .select_related("form", "reviewer", "record", "complaint__record")
        .order_by("-created_at", "-id")[:limit]
    )


def unacknowledged_count(user) -> int:
    return Review.objects.filter(agent_id=user.pk, acknowledged_at__isnull=True).count()


# --- check forms --------------------------------------------------------------------------------


def form_list(*, active_only: bool = False) -> QuerySet[CheckForm]:
    qs = CheckForm.objects.prefetch_related(
        Prefetch("items", queryset=CheckItem.objects.order_by("position", "pk"))
    ).order_by("key")
    return qs.filter(is_active=True) if active_only else qs


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
        return None if self.average is None else round(self.average * 100, 1)


def _moment(value, *, end: bool = False) -> datetime.datetime:
    """A period's bound: a datetime as it is, a day as its midnight in the desk's time zone (the
    day after, for the end: a period's days are inclusive)."""
    if isinstance(value, datetime.datetime):
        return value
    day = value + datetime.timedelta(days=1) if end else value
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def agent_averages(since, until, department_ids=None) -> list[AgentAverage]:
    """Each reviewed agent's number of reviews and average share (points / the form's maximum)
    over reviews made in [since, until), best average first: one grouped query.

    `since` and `until` are aware datetimes, or days (inclusive, in the desk's time zone).
    `department_ids` narrows to reviews of those departments' work."""
    qs = Review.objects.filter(
        created_at__gte=_moment(since), created_at__lt=_moment(until, end=True)
    )
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
