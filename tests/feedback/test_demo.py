"""The demo's staff feedback: every part present, spread over time, and idempotent."""

from datetime import timedelta

import pytest
from django.db.models import Count, F, Max, Min
from django.utils import timezone

from servicedesk.core import demo as core_demo
from servicedesk.feedback import demo
from servicedesk.feedback.models import (
    DailyCase,
    HandoverRating,
    Meeting,
    Suggestion,
    SuggestionStatus,
)
from tickets import demo as tickets_demo

pytestmark = pytest.mark.django_db


def test_demo_seeds_every_part_and_is_idempotent(django_capture_on_commit_callbacks):
    core_demo.seed()
    with django_capture_on_commit_callbacks(execute=True):
        tickets_demo.seed()
        counts = demo.seed()
    assert counts["cases"] >= 30 and counts["meetings"] == 2
    today = timezone.localdate()
    assert DailyCase.objects.filter(case_date=today).count() >= 3
    assert DailyCase.objects.filter(case_date__lt=today - timedelta(days=60)).exists()
    assert DailyCase.objects.filter(shared_at__isnull=False).exists()
    assert DailyCase.objects.filter(shared_at__isnull=True).exists()
    statuses = set(Suggestion.objects.values_list("status", flat=True))
    assert statuses == set(SuggestionStatus.values)
    assert Suggestion.objects.filter(is_anonymous=True).exists()
    assert Meeting.objects.annotate(n=Count("attendees")).filter(n__gt=0).count() == 2
    ratings = HandoverRating.objects.all()
    assert ratings.count() >= 50
    pairs = ratings.values("from_department", "to_department").distinct().count()
    assert pairs >= 5
    span = ratings.aggregate(first=Min("created_at"), last=Max("created_at"))
    assert span["first"] < timezone.now() - timedelta(days=45)
    assert span["last"] <= timezone.now()
    # Every rater belongs to the receiving department.
    assert not ratings.exclude(to_department__memberships__user=F("rated_by")).exists()
    again = demo.seed()
    assert again == {"cases": 0, "suggestions": 0, "meetings": 0, "ratings": 0}
    assert HandoverRating.objects.count() == counts["ratings"]
