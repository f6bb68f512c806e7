"""The demo's surveys: a few hundred answers over three months, through the services."""

from datetime import timedelta

from django.core.management import call_command
from django.db.models import F, Max, Min
from django.utils import timezone

from surveys.models import InvitationStatus, SurveyInvitation, SurveyResponse
from tickets.complaints.models import Channel, Complaint


def test_demo_spreads_answers_over_three_months_and_is_idempotent(
    db, django_capture_on_commit_callbacks
):
    # seed_demo delivers events in-process after each commit: the test's transaction never
    # commits, so its callbacks are run here.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", verbosity=0)
    responses = SurveyResponse.objects.all()
    assert 150 <= responses.count() <= 600
    span = responses.aggregate(first=Min("submitted_at"), last=Max("submitted_at"))
    assert span["first"] < timezone.now() - timedelta(days=60)
    assert span["last"] > timezone.now() - timedelta(days=20)
    # Staff-entered, low (each with its complaint through the loop), unanswered and expired.
    assert responses.filter(entered_by__isnull=False).exists()
    low = responses.filter(is_low=True)
    assert low.exists()
    assert not low.filter(complaint__isnull=True).exists()
    assert Complaint.objects.filter(channel=Channel.SURVEY).count() >= low.count()
    unanswered = SurveyInvitation.objects.exclude(status=InvitationStatus.ANSWERED)
    assert unanswered.filter(expires_at__lt=timezone.now()).exists()
    assert {r.template.purpose for r in responses.select_related("template")} >= {
        "after_service",
        "after_callback",
    }
    # Each invitation answered at most once, every answer within its link's life.
    assert not responses.filter(submitted_at__gt=F("invitation__expires_at")).exists()
    count = responses.count()
    call_command("seed_demo", verbosity=0)
    assert SurveyResponse.objects.count() == count
