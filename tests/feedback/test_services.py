"""The feedback services: who may write what, and the rules each write keeps."""

from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from servicedesk.core.exceptions import ConflictError, DomainError
from servicedesk.feedback import services
from servicedesk.feedback.models import DailyCase, HandoverRating, Meeting
from tests.factories import DepartmentFactory
from tests.tickets.factories import CategoryFactory, RecordFactory

from .factories import CaseFactory, MeetingFactory, RatingFactory, shared_record

pytestmark = pytest.mark.django_db


def _case(by, **fields):
    return services.case_create(
        by=by,
        **{
            "kind": "success",
            "title": "Called ahead",
            "happened": "The customer moved the visit.",
            "lesson": "Confirm an hour before.",
            **fields,
        },
    )


# --- daily cases ----------------------------------------------------------------------------------


def test_case_create_by_an_agent_of_their_department_and_a_record_they_see(agent, department):
    record = RecordFactory(category=CategoryFactory(lead_department=department))
    case = _case(agent, record_id=record.pk, department_id=department.pk)
    assert case.author == agent
    assert case.case_date == timezone.localdate()
    assert case.shared_at is None
    assert case.record_id == record.pk


def test_case_create_refuses_a_record_the_author_cannot_see(agent, sales):
    hidden = RecordFactory(category=CategoryFactory(lead_department=sales))
    with pytest.raises(DomainError) as exc:
        _case(agent, record_id=hidden.pk)
    assert exc.value.field == "record"
    assert not DailyCase.objects.exists()


def test_case_create_refuses_another_department_and_blank_text(agent, sales):
    with pytest.raises(DomainError) as exc:
        _case(agent, department_id=sales.pk)
    assert exc.value.field == "department"
    with pytest.raises(DomainError) as exc:
        _case(agent, lesson="   ")
    assert exc.value.field == "lesson"
    with pytest.raises(DomainError) as exc:
        _case(agent, kind="so-so")
    assert exc.value.field == "kind"


def test_case_create_refuses_a_future_day(agent):
    with pytest.raises(DomainError) as exc:
        _case(agent, case_date=timezone.localdate() + timedelta(days=1))
    assert exc.value.field == "case_date"


def test_case_share_and_unshare_by_a_manager(manager, agent):
    case = CaseFactory(author=agent)
    shared = services.case_set_shared(by=manager, case_id=case.pk, shared=True)
    assert shared.shared_at is not None and shared.shared_by == manager
    first = shared.shared_at
    # Sharing again keeps the first sharing.
    again = services.case_set_shared(by=manager, case_id=case.pk, shared=True)
    assert again.shared_at == first
    unshared = services.case_set_shared(by=manager, case_id=case.pk, shared=False)
    assert unshared.shared_at is None and unshared.shared_by is None


def test_case_share_is_refused_to_an_agent(agent, colleague):
    case = CaseFactory(author=colleague)
    with pytest.raises(DomainError):
        services.case_set_shared(by=agent, case_id=case.pk, shared=True)
    case.refresh_from_db()
    assert case.shared_at is None


# --- suggestions ----------------------------------------------------------------------------------


def test_suggestion_submit_keeps_the_author_of_an_anonymous_one(agent):
    s = services.suggestion_submit(by=agent, title="Texts", body="Text ahead", is_anonymous=True)
    assert s.author == agent and s.is_anonymous
    assert s.status == "submitted"


def test_suggestion_submit_needs_a_title_and_a_body(agent):
    with pytest.raises(DomainError) as exc:
        services.suggestion_submit(by=agent, title=" ", body="x")
    assert exc.value.field == "title"


# --- meetings -------------------------------------------------------------------------------------


def test_meeting_create_by_a_manager_with_attendees(manager, agent, colleague, department):
    meeting = services.meeting_create(
        by=manager,
        title="Monthly review",
        held_on=timezone.localdate(),
        department_id=department.pk,
        attendee_ids=[agent.pk, colleague.pk],
        decisions="A\nB",
    )
    assert set(meeting.attendees.all()) == {agent, colleague}
    assert meeting.decision_items == ["A", "B"]
    assert meeting.written_by == manager


def test_meeting_create_is_refused_to_an_agent_and_for_a_future_date(manager, agent):
    with pytest.raises(DomainError):
        services.meeting_create(by=agent, title="x", held_on=timezone.localdate())
    with pytest.raises(DomainError) as exc:
        services.meeting_create(
            by=manager, title="x", held_on=timezone.localdate() + timedelta(days=1)
        )
    assert exc.value.field == "held_on"
    assert not Meeting.objects.exists()


def test_meeting_update_with_a_stale_version_is_a_conflict(manager):
    meeting = services.meeting_create(by=manager, title="First", held_on=timezone.localdate())
    fields = {"held_on": meeting.held_on, "notes": "", "decisions": ""}
    services.meeting_update(by=manager, meeting_id=meeting.pk, version=1, title="Second", **fields)
    with pytest.raises(ConflictError) as exc:
        services.meeting_update(
            by=manager, meeting_id=meeting.pk, version=1, title="Third", **fields
        )
    assert exc.value.current == 2
    assert exc.value.changes["title"] == {"was": "First", "now": "Second"}
    meeting.refresh_from_db()
    assert meeting.title == "Second"


def test_meeting_update_refuses_inactive_attendees(manager, agent):
    meeting = MeetingFactory()
    agent.is_active = False
    agent.save()
    with pytest.raises(DomainError) as exc:
        services.meeting_update(
            by=manager,
            meeting_id=meeting.pk,
            version=meeting.version,
            title="x",
            held_on=meeting.held_on,
            attendee_ids=[agent.pk],
        )
    assert exc.value.field == "attendees"


# --- internal customers ---------------------------------------------------------------------------


def _rate(by, record, sender, receiver, score=4, **kw):
    return services.handover_rate(
        by=by,
        record_id=record.pk,
        from_department_id=sender.pk,
        to_department_id=receiver.pk,
        score=score,
        **kw,
    )


def test_handover_rate_by_a_member_of_the_receiving_department(fitter, department, technical):
    record = shared_record(department, technical)
    rating = _rate(fitter, record, department, technical, score=2, comment="  no address ")
    assert rating.rated_by == fitter
    assert rating.comment == "no address"


def test_handover_rate_refuses_a_rater_outside_the_receiving_department(
    agent, department, technical
):
    record = shared_record(department, technical)
    with pytest.raises(DomainError) as exc:
        _rate(agent, record, technical, technical)
    assert exc.value.field == "from_department"
    # The agent (customer service) rates what technical received: refused.
    with pytest.raises(DomainError) as exc:
        _rate(agent, record, department, technical)
    assert exc.value.field == "to_department"
    assert not HandoverRating.objects.exists()


def test_handover_rate_refuses_a_department_not_on_the_record(fitter, department, technical):
    elsewhere = DepartmentFactory(code="finance")
    record = shared_record(department, technical)
    with pytest.raises(DomainError) as exc:
        _rate(fitter, record, elsewhere, technical)
    assert exc.value.field == "from_department"
    # Technical is not on a record led by customer service alone (and cannot see it).
    lonely = RecordFactory(category=CategoryFactory(lead_department=department))
    with pytest.raises(DomainError) as exc:
        _rate(fitter, lonely, department, technical)
    assert exc.value.field == "record"


def test_handover_rate_once_per_record_and_pair(fitter, department, technical):
    record = shared_record(department, technical)
    _rate(fitter, record, department, technical)
    with pytest.raises(DomainError) as exc:
        _rate(fitter, record, department, technical, score=1)
    assert "already" in str(exc.value.message)
    assert HandoverRating.objects.get().score == 4


@pytest.mark.parametrize("score", [0, 6, "5"])
def test_handover_rate_refuses_scores_outside_1_to_5(fitter, department, technical, score):
    record = shared_record(department, technical)
    with pytest.raises(DomainError) as exc:
        _rate(fitter, record, department, technical, score=score)
    assert exc.value.field == "score"


def test_handover_unique_constraint_holds_in_the_database(department, technical):
    rating = RatingFactory(from_department=department, to_department=technical)
    with pytest.raises(IntegrityError):
        RatingFactory(record=rating.record, from_department=department, to_department=technical)
