"""Reviews and the scorecard through their services: who may review what, the constraints that
back the rules, acknowledging once, the weights rule and its history."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from servicedesk.audit import services
from servicedesk.audit.models import Review, ReviewScore, Scorecard, check_weights
from servicedesk.core.exceptions import ConflictError, DomainError
from servicedesk.core.models import Notification
from tests.factories import MembershipFactory, UserFactory
from tickets.models import ServiceRecord

from .factories import CheckFormFactory, ComplaintFactory, full_marks, handled_record, review

pytestmark = pytest.mark.django_db


def test_a_manager_reviews_a_resolved_record_and_the_agent_is_told(
    manager, agent, department, record, six_steps, django_capture_on_commit_callbacks
):
    # given a score of 3 on each of the six items (5 points each)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        made = review(manager, six_steps, record=record, points=3, comment="  Good listening ")
    # then the total, the maximum and the agent come from the form and the record
    assert (made.points, made.max_points) == (18, 30)
    assert made.share == pytest.approx(0.6)
    assert made.agent == agent and made.department == department and made.reviewer == manager
    assert made.comment == "Good listening"
    assert ReviewScore.objects.filter(review=made).count() == 6
    # and the agent is notified once the review is committed, with a link to it
    assert callbacks  # the notice, then its e-mail from the outbox
    note = Notification.objects.get(recipient=agent, verb="audit_reviewed")
    assert note.url == f"/audit/reviews/{made.pk}/" and "18 of 30" in note.title


def test_nothing_is_told_before_commit(manager, agent, record, six_steps):
    review(manager, six_steps, record=record)
    # The test's transaction never commits: the notice waits for the commit.
    assert not Notification.objects.filter(recipient=agent).exists()


@pytest.mark.parametrize("status", ["new", "open", "pending"])
def test_an_unhandled_record_is_refused(manager, agent, department, six_steps, status):
    record = handled_record(department, agent, status=status)
    with pytest.raises(DomainError) as caught:
        review(manager, six_steps, record=record)
    assert caught.value.field == "record" and "resolved or closed" in str(caught.value.message)
    assert not Review.objects.exists()


def test_a_closed_record_can_be_reviewed(manager, agent, department, six_steps):
    record = handled_record(department, agent, status="closed")
    assert review(manager, six_steps, record=record).record == record


def test_a_record_with_nobody_assigned_is_refused(manager, department, six_steps):
    record = handled_record(department, None)
    with pytest.raises(DomainError, match="Nobody is assigned"):
        review(manager, six_steps, record=record)


def test_a_manager_cannot_review_their_own_work(manager, department, six_steps):
    record = handled_record(department, manager)
    with pytest.raises(DomainError, match="your own work"):
        review(manager, six_steps, record=record)


def test_an_agent_may_not_review(agent, department, six_steps):
    colleague = UserFactory(username="colleague")
    MembershipFactory(user=colleague, department=department)
    record = handled_record(department, colleague)
    with pytest.raises(PermissionDenied):
        review(agent, six_steps, record=record)
    assert not Review.objects.exists()


def test_a_record_the_manager_cannot_see_is_refused_as_not_found(
    manager, finance, other_agent, six_steps
):
    hidden = handled_record(finance, other_agent)
    with pytest.raises(DomainError, match="not visible") as caught:
        review(manager, six_steps, record=hidden)
    assert caught.value.field == "record"


def test_one_review_per_form_and_subject(manager, record, six_steps):
    review(manager, six_steps, record=record)
    with pytest.raises(DomainError, match="already been reviewed"):
        review(manager, six_steps, record=record)
    # Another form may review the same work.
    other = CheckFormFactory(items=2)
    review(manager, other, record=record)
    assert Review.objects.filter(record=record).count() == 2


def test_an_inactive_form_is_refused(manager, record):
    form = CheckFormFactory(is_active=False)
    with pytest.raises(DomainError) as caught:
        review(manager, form, record=record)
    assert caught.value.field == "form"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("too_high", "from 0 to 5"),
        ("missing", "Give this item a score"),
        ("unknown", "Not an item of this form"),
    ],
)
def test_scores_must_cover_the_form_within_range(manager, record, six_steps, change, expected):
    scores = full_marks(six_steps)
    first = next(iter(scores))
    if change == "too_high":
        scores[first] = 6
    elif change == "missing":
        del scores[first]
    else:
        scores[999_999] = 1
    with pytest.raises(services.ScoresInvalid) as caught:
        services.review_create(by=manager, form_id=six_steps.pk, record_id=record.pk, scores=scores)
    assert any(expected in str(m) for m in caught.value.errors.values())
    assert not Review.objects.exists()


def test_name_exactly_one_subject(manager, record, agent, department, six_steps):
    complaint = ComplaintFactory(record=handled_record(department, agent))
    with pytest.raises(DomainError, match="either"):
        services.review_create(
            by=manager,
            form_id=six_steps.pk,
            record_id=record.pk,
            complaint_id=complaint.pk,
            scores=full_marks(six_steps),
        )
    with pytest.raises(DomainError, match="either"):
        services.review_create(by=manager, form_id=six_steps.pk, scores=full_marks(six_steps))


@pytest.mark.parametrize("step", ["act", "recheck", "closed"])
def test_a_complaint_from_step_five_on_is_reviewed_for_its_assignee(
    manager, agent, department, six_steps, step
):
    complaint = ComplaintFactory(record=handled_record(department, agent, status="open"), step=step)
    made = review(manager, six_steps, complaint=complaint, points=5)
    assert made.complaint == complaint and made.record is None and made.agent == agent
    assert made.subject_key == f"complaint:{complaint.pk}"


@pytest.mark.parametrize("step", ["respect", "listen", "restate", "options"])
def test_a_complaint_before_step_five_is_refused(manager, agent, department, six_steps, step):
    complaint = ComplaintFactory(record=handled_record(department, agent, status="open"), step=step)
    with pytest.raises(DomainError, match="step 5") as caught:
        review(manager, six_steps, complaint=complaint)
    assert caught.value.field == "complaint"


# --- the database's own rules -------------------------------------------------------------------


def _raw_review(form, agent, **subject):
    return Review(form=form, agent=agent, points=1, max_points=5, **subject)


def test_the_database_refuses_a_review_of_two_subjects_or_none(agent, department, six_steps):
    record = handled_record(department, agent)
    complaint = ComplaintFactory(record=handled_record(department, agent))
    for subject in ({"record": record, "complaint": complaint}, {}):
        with pytest.raises(IntegrityError), transaction.atomic():
            _raw_review(six_steps, agent, **subject).save()
    assert not Review.objects.exists()


def test_the_database_refuses_a_second_review_of_one_subject_on_one_form(
    agent, department, six_steps
):
    record = handled_record(department, agent)
    complaint = ComplaintFactory(record=handled_record(department, agent))
    _raw_review(six_steps, agent, record=record).save()
    _raw_review(six_steps, agent, complaint=complaint).save()
    for subject in ({"record": record}, {"complaint": complaint}):
        with pytest.raises(IntegrityError), transaction.atomic():
            _raw_review(six_steps, agent, **subject).save()
    assert Review.objects.count() == 2


def test_the_database_refuses_points_above_the_maximum(agent, record, six_steps):
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(form=six_steps, agent=agent, record=record, points=6, max_points=5)


# --- acknowledging ------------------------------------------------------------------------------


def test_the_agent_acknowledges_once_with_a_reply(
    manager, agent, record, six_steps, django_capture_on_commit_callbacks
):
    made = review(manager, six_steps, record=record)
    with django_capture_on_commit_callbacks(execute=True):
        done = services.review_acknowledge(by=agent, review_id=made.pk, reply=" 收到 ")
    assert done.acknowledged_at is not None and done.agent_reply == "收到"
    assert Notification.objects.filter(recipient=manager, verb="audit_acknowledged").exists()
    with pytest.raises(DomainError, match="already acknowledged"):
        services.review_acknowledge(by=agent, review_id=made.pk, reply="again")
    made.refresh_from_db()
    assert made.agent_reply == "收到"


def test_only_the_reviewed_agent_acknowledges(manager, agent, record, six_steps, department):
    made = review(manager, six_steps, record=record)
    colleague = UserFactory(username="colleague")
    MembershipFactory(user=colleague, department=department)
    for someone in (manager, colleague):
        with pytest.raises(PermissionDenied):
            services.review_acknowledge(by=someone, review_id=made.pk)
    made.refresh_from_db()
    assert made.acknowledged_at is None


def test_the_database_refuses_a_reply_without_acknowledgement(manager, record, six_steps):
    made = review(manager, six_steps, record=record)
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.filter(pk=made.pk).update(agent_reply="sneaky")


# --- the scorecard ------------------------------------------------------------------------------

GOOD = {
    "satisfaction_weight": 35,
    "complaints_weight": 20,
    "callbacks_weight": 15,
    "reviews_weight": 20,
    "targets_weight": 10,
}


@pytest.mark.parametrize(
    "change",
    [
        # A tie is not "the largest": satisfaction must weigh strictly more than each part.
        {"satisfaction_weight": 25, "complaints_weight": 25, "reviews_weight": 25,
         "callbacks_weight": 15},
        {"satisfaction_weight": 20, "complaints_weight": 40, "reviews_weight": 15},
        {"satisfaction_weight": 10, "targets_weight": 35},
    ],
)  # fmt: skip
def test_a_scheme_where_satisfaction_is_not_the_largest_is_refused(administrator, change):
    weights = {**GOOD, **change}
    assert sum(weights.values()) == 100
    with pytest.raises(ValidationError) as caught:
        services.scorecard_update(by=administrator, version=1, weights=weights)
    assert "largest weight" in caught.value.message_dict["satisfaction_weight"][0]
    assert not Scorecard.objects.exists()


def test_the_weights_add_up_to_100(administrator):
    with pytest.raises(ValidationError) as caught:
        check_weights({**GOOD, "targets_weight": 5})
    assert "add up to 100" in caught.value.messages[0]


def test_the_model_clean_names_the_field_and_the_database_refuses_too():
    card = Scorecard(**{**GOOD, "satisfaction_weight": 20, "complaints_weight": 35})
    with pytest.raises(ValidationError) as caught:
        card.full_clean()
    assert "satisfaction_weight" in caught.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        card.save()


def test_the_scorecard_keeps_its_history_and_refuses_a_stale_version(administrator, manager):
    assert Scorecard.current().pk is None and Scorecard.current().satisfaction_weight == 40
    first = services.scorecard_update(by=administrator, version=1, weights=GOOD)
    second = services.scorecard_update(
        by=administrator, version=first.version, weights={**GOOD, "satisfaction_weight": 45,
                                                          "reviews_weight": 10}
    )  # fmt: skip
    assert (first.version, second.version) == (
        2,
        3,
    ) and Scorecard.current().satisfaction_weight == 45
    assert [h.satisfaction_weight for h in second.history.order_by("history_date")] == [35, 45]
    with pytest.raises(ConflictError) as caught:
        services.scorecard_update(by=administrator, version=2, weights=GOOD)
    assert caught.value.changes["satisfaction_weight"] == {"was": 35, "now": 45}
    with pytest.raises(ConflictError):  # a page still showing the defaults
        services.scorecard_update(by=administrator, version=1, weights=GOOD)
    with pytest.raises(PermissionDenied):
        services.scorecard_update(by=manager, version=3, weights=GOOD)


def test_the_weighted_score_uses_the_parts_with_data():
    card = Scorecard(**GOOD)
    parts = {"satisfaction_weight": 1.0, "complaints_weight": 0.5, "callbacks_weight": None,
             "reviews_weight": 0.0, "targets_weight": None}  # fmt: skip
    assert services.weighted_score(parts, card) == pytest.approx((35 + 10) / 75)
    assert services.weighted_score(dict.fromkeys(parts), card) is None


def test_records_stay_protected_by_their_reviews(manager, record, six_steps):
    review(manager, six_steps, record=record)
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceRecord.objects.filter(pk=record.pk).delete()
