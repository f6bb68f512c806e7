"""The surveys API's querysets, over the one visibility rule in surveys.selectors."""

from django.db.models import Prefetch, QuerySet

from ..models import Answer, Question, SurveyInvitation, SurveyResponse, SurveyTemplate
from ..selectors import invitation_visible, response_visible


def template_list() -> QuerySet[SurveyTemplate]:
    return SurveyTemplate.objects.prefetch_related(
        Prefetch("questions", queryset=Question.objects.order_by("position"))
    ).order_by("key")


def invitation_list(user) -> QuerySet[SurveyInvitation]:
    """Newest first, by the key: the cursor walks the primary key index."""
    return (
        invitation_visible(user)
        .select_related("template", "customer", "department", "agent")
        .order_by("-id")
    )


def response_list(user) -> QuerySet[SurveyResponse]:
    """Newest answers first, along survey_resp_recent (submitted_at, id)."""
    return response_visible(user).order_by("-submitted_at", "-id")


def with_response_data(qs: QuerySet[SurveyResponse]) -> QuerySet[SurveyResponse]:
    """What one response shows, for the serializer (the list reads values: lists.py)."""
    return qs.select_related("template", "customer", "department", "entered_by").prefetch_related(
        Prefetch(
            "answers",
            queryset=Answer.objects.select_related("question").order_by("question__position", "pk"),
        )
    )
