"""The suggestion's status flow: its table on the model, moved only through the one transition
mechanism (servicedesk.core.transitions), with the author told after commit."""

import pytest

from servicedesk.core.exceptions import ConflictError, DomainError, InvalidTransition
from servicedesk.core.models import DomainEvent, Notification
from servicedesk.core.selectors import status_changes
from servicedesk.feedback import services
from servicedesk.feedback.models import Suggestion, SuggestionStatus

pytestmark = pytest.mark.django_db

S = SuggestionStatus


@pytest.fixture
def suggestion(agent):
    return services.suggestion_submit(by=agent, title="Texts", body="Text an hour before")


def move(suggestion, by, to, reason=""):
    current = Suggestion.objects.get(pk=suggestion.pk)
    return services.suggestion_move(
        by=by, suggestion_id=suggestion.pk, to=to, version=current.version, reason=reason
    )


def test_the_whole_way_to_implemented_is_logged(suggestion, manager, agent):
    for to in (S.UNDER_REVIEW, S.ACCEPTED, S.IMPLEMENTED):
        move(suggestion, manager, to, reason="ok" if to == S.ACCEPTED else "")
    log = [(c.from_state, c.to_state) for c in status_changes(suggestion)]
    assert log == [
        ("", "submitted"),
        ("submitted", "under_review"),
        ("under_review", "accepted"),
        ("accepted", "implemented"),
    ]
    assert status_changes(suggestion).last().by == manager
    assert DomainEvent.objects.filter(name=services.SUGGESTION_EVENT).count() == 3
    suggestion.refresh_from_db()
    assert suggestion.response == "ok"


@pytest.mark.parametrize(
    ("path", "illegal"),
    [
        ([], S.ACCEPTED),
        ([], S.IMPLEMENTED),
        ([S.UNDER_REVIEW], S.IMPLEMENTED),
        ([S.UNDER_REVIEW], S.SUBMITTED),
        ([S.UNDER_REVIEW, S.ACCEPTED], S.UNDER_REVIEW),
        ([S.UNDER_REVIEW, S.ACCEPTED, S.IMPLEMENTED], S.DECLINED),
    ],
)
def test_illegal_moves_are_refused_naming_the_allowed_ones(suggestion, manager, path, illegal):
    for to in path:
        move(suggestion, manager, to)
    before = Suggestion.objects.get(pk=suggestion.pk)
    with pytest.raises(InvalidTransition) as exc:
        move(suggestion, manager, illegal, reason="because")
    after = Suggestion.objects.get(pk=suggestion.pk)
    assert after.status == before.status and after.version == before.version
    allowed = Suggestion.ALLOWED_TRANSITIONS[before.status]
    assert "Allowed next" in str(exc.value.message)
    for target in allowed:
        assert str(S(target).label).lower() in str(exc.value.message)


def test_a_decline_needs_a_reason_and_the_author_learns_it(
    suggestion, manager, agent, django_capture_on_commit_callbacks
):
    with pytest.raises(DomainError) as exc:
        move(suggestion, manager, S.DECLINED, reason="  ")
    assert exc.value.field == "reason"
    with django_capture_on_commit_callbacks(execute=True):
        move(suggestion, manager, S.DECLINED, reason="Too slow for customers")
    suggestion.refresh_from_db()
    assert suggestion.status == S.DECLINED
    assert suggestion.response == "Too slow for customers"
    note = Notification.objects.get(recipient=agent)
    assert "Declined" in note.title
    assert note.url == f"/feedback/suggestions/{suggestion.pk}/"


def test_the_author_is_told_only_after_commit(suggestion, manager, agent):
    with pytest.raises(RuntimeError):
        # A failure after the move rolls it back, and nobody is told.
        from django.db import transaction

        with transaction.atomic():
            move(suggestion, manager, S.UNDER_REVIEW)
            raise RuntimeError
    assert not Notification.objects.filter(recipient=agent).exists()
    assert Suggestion.objects.get(pk=suggestion.pk).status == S.SUBMITTED


def test_an_unchanged_status_is_a_no_op(suggestion, manager, django_capture_on_commit_callbacks):
    move(suggestion, manager, S.UNDER_REVIEW)
    with django_capture_on_commit_callbacks() as callbacks:
        move(suggestion, manager, S.UNDER_REVIEW)
    assert callbacks == []
    assert status_changes(suggestion).count() == 2


def test_an_agent_cannot_move_a_suggestion(suggestion, colleague):
    with pytest.raises(DomainError):
        move(suggestion, colleague, S.UNDER_REVIEW)
    assert Suggestion.objects.get(pk=suggestion.pk).status == S.SUBMITTED


def test_a_stale_version_is_a_conflict(suggestion, manager):
    services.suggestion_move(by=manager, suggestion_id=suggestion.pk, to=S.UNDER_REVIEW, version=1)
    with pytest.raises(ConflictError) as exc:
        services.suggestion_move(
            by=manager, suggestion_id=suggestion.pk, to=S.DECLINED, version=1, reason="no"
        )
    assert exc.value.changes["status"] == {"was": "submitted", "now": "under_review"}
    assert Suggestion.objects.get(pk=suggestion.pk).status == S.UNDER_REVIEW
