"""The demo's reviews: spread over three months, through the services, idempotent."""

from datetime import timedelta

from django.core.management import call_command
from django.db.models import Max, Min
from django.utils import timezone

from servicedesk.audit import demo
from servicedesk.audit.models import Review


def test_demo_spreads_reviews_over_the_months_and_is_idempotent(
    db, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", verbosity=0)
    reviews = Review.objects.all()
    # As many as the demo has handled, assigned work (about a dozen records today).
    assert 8 <= reviews.count() <= demo.COUNT
    span = reviews.aggregate(first=Min("created_at"), last=Max("created_at"))
    assert span["first"] >= timezone.now() - timedelta(days=demo.DAYS + 1)
    assert span["first"] < timezone.now() - timedelta(days=30)
    assert span["last"] <= timezone.now()
    # Most reviews acknowledged, none of the reviewers' own work (the demo's handled, assigned
    # records are nearly all one agent's: tickets.demo assigns through round robin only).
    assert reviews.filter(acknowledged_at__isnull=False).count() > reviews.count() // 2
    assert not reviews.filter(agent__username__in=[demo.MANAGER, demo.ADMINISTRATOR]).exists()
    assert all(r.points <= r.max_points == 30 for r in reviews)
    count = reviews.count()
    assert demo.seed() == 0
    assert Review.objects.count() == count
