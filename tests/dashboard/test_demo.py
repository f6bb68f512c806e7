"""The dashboards' demo history: after seed_demo the manager's dashboard for the last 90 days has
a trend every week, breakdowns by department and stage, a satisfaction funnel and a fishbone; a
second run adds nothing."""

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from servicedesk.dashboard import kpis
from servicedesk.dashboard.demo import DESCRIPTION
from surveys.models import SurveyResponse
from tickets.complaints.models import Complaint, ComplaintAction, Step
from tickets.complaints.selectors import complaint_visible
from tickets.models import ServiceRecord


def _counts() -> dict:
    return {
        "records": ServiceRecord.objects.count(),
        "complaints": Complaint.objects.count(),
        "actions": ComplaintAction.objects.count(),
        "answers": SurveyResponse.objects.count(),
    }


def test_demo_fills_three_months_of_charts_and_is_idempotent(
    db, django_capture_on_commit_callbacks
):
    # seed_demo delivers events in-process after each commit: the test's transaction never
    # commits, so its callbacks are run here.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", verbosity=0)
    first = _counts()
    assert ServiceRecord.objects.filter(description=DESCRIPTION).count() > 500
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", verbosity=0)
    assert _counts() == first

    manager = get_user_model().objects.get(username="chen")
    report = kpis.report(kpis.Filters.default(), manager)
    # The trend: records every week, CSAT in all but perhaps the last, unfinished one.
    assert len(report.weeks) >= 13
    assert all(w["records"] > 0 for w in report.weeks)
    assert sum(w["csat"] is not None for w in report.weeks) >= len(report.weeks) - 1
    assert sum(w["complaints"] for w in report.weeks) > 30
    # Breakdowns: several departments and every stage, each with its CSAT; a weakest link.
    assert sum(1 for d in report.by_department if d["records"] and d["csat"] is not None) >= 3
    assert all(s["records"] and s["kept"] is not None for s in report.by_stage)
    assert report.chain_weakest is not None
    # Complaints on every step, closed ones with their causes on several bones.
    assert sum(1 for b in report.fishbone if b["count"]) >= 4
    steps = {s["step"]: s for s in report.complaints_by_step}
    assert steps[Step.CLOSED]["count"] > 10
    assert all(steps[s]["average_hours"] is not None for s in (Step.RESPECT, Step.ACT))
    figures = {f.key: f.value for f in report.figures}
    assert figures["surprise_breaches"] > 0
    assert figures["recovery_rate"] is not None
    assert figures["first_response_median"] is not None

    # The pages render the history: the dashboard and a demo complaint.
    client = Client()
    client.force_login(manager)
    assert client.get(reverse("dashboard:index")).status_code == 200
    visible = complaint_visible(manager).filter(record__description=DESCRIPTION)
    complaint = visible.filter(step=Step.CLOSED, cause__isnull=False).first()
    assert client.get(f"/complaints/{complaint.pk}/").status_code == 200
