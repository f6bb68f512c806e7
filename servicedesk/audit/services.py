"""Writes for the service audit: reviews (made by managers, acknowledged once by the agent) and the
scorecard's weights (administrators). Pages, the API and the demo call these."""

from functools import partial

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk.core.concurrency import versioned_update
from servicedesk.core.exceptions import ConflictError, DomainError
from servicedesk.core.notifications import notify
from servicedesk.core.roles import Role, has_role, is_manager_or_admin
from servicedesk.core.users import display_name
from tickets.complaints.models import HANDLED_STEPS
from tickets.complaints.selectors import complaint_visible
from tickets.models import HANDLED_STATUSES
from tickets.selectors import record_visible

from .models import (
    MAX_COMMENT,
    MAX_REPLY,
    CheckForm,
    Review,
    ReviewScore,
    Scorecard,
    check_weights,
)


class ScoresInvalid(DomainError):
    """Scores that do not fit the form: `errors` maps an item id to its message."""

    def __init__(self, errors: dict[int, str]):
        super().__init__(_("Score every item of the form within its range."), field="scores")
        self.errors = errors


def subject_refusal(*, by, record=None, complaint=None, form=None) -> tuple[str, str] | None:
    """Why `by` may not review this record or complaint (against `form`), as (field, message),
    or None. The new-review page asks it before showing the form; review_create asks it again
    under the subject's lock."""
    field = "record" if record is not None else "complaint"
    if record is not None and record.status not in HANDLED_STATUSES:
        return field, _("Only a resolved or closed record can be reviewed.")
    if complaint is not None and complaint.step not in HANDLED_STEPS:
        return field, _("A complaint can be reviewed once it has reached step 5 (act on time).")
    agent_id = (record or complaint.record).assignee_id
    if agent_id is None:
        return field, _("Nobody is assigned to it, so there is no agent to review.")
    if agent_id == by.pk:
        return field, _("You cannot review your own work.")
    if (
        form is not None
        and Review.objects.filter(form=form, record=record, complaint=complaint).exists()
    ):
        return field, _("It has already been reviewed against this form.")
    return None


def _locked_subject(by, *, record_id, complaint_id):
    """The visible record or complaint, locked until the review is saved: a reopen at the same
    moment waits, and two managers reviewing it against the same form go one at a time."""
    if bool(record_id) == bool(complaint_id):
        raise DomainError(_("Review either a service record or a complaint."), field="record")
    if record_id:
        record = record_visible(by).select_for_update(of=("self",)).filter(pk=record_id).first()
        if record is None:
            raise DomainError(_("Not found, or not visible to you."), field="record")
        return record, None
    complaint = (
        complaint_visible(by)
        .select_for_update(of=("self",))
        .select_related("record")
        .filter(pk=complaint_id)
        .first()
    )
    if complaint is None:
        raise DomainError(_("Not found, or not visible to you."), field="complaint")
    return None, complaint


def _check_scores(form: CheckForm, scores: dict) -> list[tuple]:
    """(item, points) for every item of the form, each within 0..its maximum."""
    items = list(form.items.order_by("position", "pk"))
    if not items:
        raise DomainError(_("This form has no items yet."), field="form")
    known = {item.pk for item in items}
    errors = {}
    for pk in scores:
        if pk not in known:
            errors[pk] = _("Not an item of this form.")
    out = []
    for item in items:
        points = scores.get(item.pk)
        if points is None:
            errors[item.pk] = _("Give this item a score.")
        elif not isinstance(points, int) or isinstance(points, bool):
            errors[item.pk] = _("Enter a whole number.")
        elif not 0 <= points <= item.max_points:
            errors[item.pk] = _("Enter a score from 0 to %(max)d.") % {"max": item.max_points}
        else:
            out.append((item, points))
    if errors:
        raise ScoresInvalid(errors)
    return out


def review_create(
    *,
    by,
    form_id: int,
    scores: dict[int, int],
    record_id: int | None = None,
    complaint_id: int | None = None,
    comment: str = "",
    now=None,
) -> Review:
    """A manager's review of a handled record (resolved or closed) or complaint (from step 5 on)
    against an active form: a score per item, and a comment. The reviewed agent is the
    subject's assignee, who is told after commit. One review per form and subject."""
    if not is_manager_or_admin(by):
        raise PermissionDenied(_("Only managers review service work."))
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise DomainError(
            _("Keep the comment within %(n)d characters.") % {"n": MAX_COMMENT}, field="comment"
        )
    with transaction.atomic():
        form = CheckForm.objects.filter(pk=form_id, is_active=True).first()
        if form is None:
            raise DomainError(_("Choose an active check form."), field="form")
        record, complaint = _locked_subject(by, record_id=record_id, complaint_id=complaint_id)
        # Checked under the subject's lock (the unique constraints are the last word).
        refusal = subject_refusal(by=by, record=record, complaint=complaint, form=form)
        if refusal is not None:
            raise DomainError(refusal[1], field=refusal[0])
        field = "record" if record else "complaint"
        checked = _check_scores(form, scores)
        handled = record or complaint.record
        review = Review(
            form=form,
            record=record,
            complaint=complaint,
            agent_id=handled.assignee_id,
            department_id=handled.lead_department_id,
            reviewer=by,
            points=sum(points for _item, points in checked),
            max_points=sum(item.max_points for item, _points in checked),
            comment=comment,
            created_at=now or timezone.now(),
        )
        try:
            with transaction.atomic():
                review.save()
        except IntegrityError as exc:
            # Only when the lock could not serve (SQLite takes none): the same subject and form.
            raise DomainError(
                _("It has already been reviewed against this form."), field=field
            ) from exc
        ReviewScore.objects.bulk_create(
            ReviewScore(review=review, item=item, points=points, max_points=item.max_points)
            for item, points in checked
        )
        transaction.on_commit(partial(_tell_agent, review.pk))
    return review


def _tell_agent(review_id: int) -> None:
    review = Review.objects.select_related("agent", "reviewer").filter(pk=review_id).first()
    if review is None:
        return
    notify(
        recipients=[review.agent],
        verb="audit_reviewed",
        title=_("%(manager)s reviewed your work: %(points)d of %(max)d")
        % {
            "manager": display_name(review.reviewer) or _("A manager"),
            "points": review.points,
            "max": review.max_points,
        },
        url=reverse("audit:review", args=[review.pk]),
    )


@transaction.atomic
def review_acknowledge(*, by, review_id: int, reply: str = "", now=None) -> Review:
    """The reviewed agent acknowledges the review, once, with an optional reply."""
    reply = (reply or "").strip()
    if len(reply) > MAX_REPLY:
        raise DomainError(
            _("Keep the reply within %(n)d characters.") % {"n": MAX_REPLY}, field="reply"
        )
    # Locked, then checked: two tabs acknowledging at once store one reply.
    review = Review.objects.select_for_update().filter(pk=review_id).first()
    if review is None:
        raise Review.DoesNotExist
    if review.agent_id != by.pk:
        raise PermissionDenied(_("Only the reviewed agent acknowledges a review."))
    if review.acknowledged_at is not None:
        raise DomainError(_("You have already acknowledged this review."), code="acknowledged")
    review.acknowledged_at = now or timezone.now()
    review.agent_reply = reply
    review.save(update_fields=["acknowledged_at", "agent_reply"])
    if review.reviewer_id:
        transaction.on_commit(partial(_tell_reviewer, review.pk))
    return review


def _tell_reviewer(review_id: int) -> None:
    review = Review.objects.select_related("agent", "reviewer").filter(pk=review_id).first()
    if review is None or review.reviewer is None:
        return
    notify(
        recipients=[review.reviewer],
        verb="audit_acknowledged",
        title=_("%(agent)s acknowledged your review") % {"agent": display_name(review.agent)},
        url=reverse("audit:review", args=[review.pk]),
        email=False,
    )


# --- the scorecard ------------------------------------------------------------------------------


def scorecard_update(*, by, version: int | None, weights: dict[str, int]) -> Scorecard:
    """Set the scorecard's weights (administrators). Refused, naming the field, unless they add
    up to 100 with satisfaction strictly the largest; a stale `version` is a ConflictError."""
    if not has_role(by, Role.ADMINISTRATOR):
        raise PermissionDenied(_("Only administrators change the scorecard."))
    check_weights(weights)
    with transaction.atomic():
        current = Scorecard.objects.select_for_update().order_by("pk").first()
        if current is None:
            # The first scheme anyone sets: the defaults were version 1, so the row starts at 2
            # and a second page still holding the defaults is stale.
            if version not in (None, 1):
                raise ConflictError(current=1)
            return Scorecard.objects.create(**weights, updated_by=by, version=2)
        # No `validate`: check_weights above has already judged the whole scheme.
        return versioned_update(
            Scorecard.objects.all(),
            pk=current.pk,
            version=version,
            changes={**weights, "updated_by": by},
        )


def weighted_score(parts: dict[str, float | None], scorecard: Scorecard | None = None):
    """An agent's scorecard result, 0..1: each part's share (0..1, None for no data) times its
    weight, over the weights of the parts with data. None when no part has data."""
    weights = (scorecard or Scorecard.current()).weights
    known = {name: value for name, value in parts.items() if value is not None}
    total = sum(weights[name] for name in known)
    if not total:
        return None
    return sum(weights[name] * value for name, value in known.items()) / total
