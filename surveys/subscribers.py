"""What surveys does when events are delivered (after their commit, in a worker): the triggers
that invite, and the loop an answer closes. Each handler is safe to run twice."""

import logging

from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from followups.models import CallbackVisit, VisitStatus
from followups.models import Purpose as VisitPurpose
from servicedesk.core.email import email_queue
from servicedesk.core.notifications import notify
from servicedesk.core.selectors import department_managers
from tickets.complaints.models import Channel as ComplaintChannel
from tickets.complaints.models import Complaint, Severity, Step
from tickets.complaints.services import complaint_open
from tickets.models import ServiceRecord, Status

from . import services
from .models import Purpose, SurveyPolicy, SurveyResponse, SurveyTemplate

log = logging.getLogger(__name__)


def _template(purpose: str) -> SurveyTemplate | None:
    """The newest active template of the purpose: an administrator who writes a new one (or
    copies a default to change it) has it used from then on."""
    return (
        SurveyTemplate.objects.filter(purpose=purpose, is_active=True)
        .order_by("-created_at", "-pk")
        .first()
    )


def _invite(purpose: str, **subject) -> None:
    template = _template(purpose)
    customer_id = subject.pop("customer_id")
    if template is None:
        return
    try:
        services.survey_invite(template=template, customer_id=customer_id, **subject)
    except services.NotInvited as exc:
        # A limit, or no address: not an error, the customer simply is not asked this time.
        log.info("no survey for customer %s: %s", customer_id, exc.message)


def is_resolution(payload: dict) -> bool:
    return payload.get("to") == Status.RESOLVED


def invite_after_resolution(event) -> None:
    policy = SurveyPolicy.current()
    record = ServiceRecord.objects.filter(pk=event.payload["id"]).first()
    if record is None or not policy.after_resolution:
        return
    if policy.resolution_stages and record.stage not in policy.resolution_stages:
        return
    if Complaint.objects.filter(record_id=record.pk).exists():
        return  # a complaint is asked at its re-check, not when its record is resolved
    _invite(Purpose.AFTER_SERVICE, customer_id=record.customer_id, record=record)


def is_visit_done(payload: dict) -> bool:
    return payload.get("to") == VisitStatus.DONE and payload.get("purpose") != (
        VisitPurpose.COMPLAINT_RECHECK
    )


def invite_after_callback(event) -> None:
    visit = (
        CallbackVisit.objects.select_related("source_record").filter(pk=event.payload["id"]).first()
    )
    if visit is None or not SurveyPolicy.current().after_callback:
        return
    _invite(Purpose.AFTER_CALLBACK, customer_id=visit.customer_id, visit=visit)


def is_recheck(payload: dict) -> bool:
    return payload.get("field") == "step" and payload.get("to") == Step.RECHECK


def invite_at_recheck(event) -> None:
    complaint = Complaint.objects.select_related("record").filter(pk=event.payload["id"]).first()
    if complaint is None or not SurveyPolicy.current().after_recheck:
        return
    _invite(
        Purpose.COMPLAINT_RECHECK, customer_id=complaint.record.customer_id, complaint=complaint
    )


def close_the_loop(event) -> None:
    """A low score opens one complaint (channel "low survey score"), linked to the response, and
    the customer is told they were heard. Praise reaches the agent. The response row is locked
    and its `complaint` checked first, so a re-delivered event opens no second complaint."""
    with transaction.atomic():
        response = (
            SurveyResponse.objects.select_for_update(of=("self",))
            .select_related("invitation", "invitation__record", "customer")
            .filter(pk=event.payload["id"])
            .first()
        )
        if response is None:
            return
        invitation = response.invitation
        if response.is_low and response.complaint_id is None:
            response.complaint = _recovery_complaint(response)
            response.save(update_fields=["complaint"])
            _tell_heard(response)
        if not response.is_low and (response.rating or 0) >= 4 and invitation.agent_id:
            notify(
                recipients=[invitation.agent],
                verb="survey_praise",
                title=_("%(customer)s rated your service %(rating)d of 5")
                % {"customer": response.customer.name, "rating": response.rating},
                url=reverse("customers:detail", args=[response.customer_id]),
                email=False,
            )


def _recovery_complaint(response: SurveyResponse) -> Complaint:
    invitation = response.invitation
    about = invitation.record
    if about is None and invitation.visit_id:
        about = invitation.visit.source_record
    if about is None and invitation.complaint_id:
        about = invitation.complaint.record
    category = about.category if about is not None else None
    if category is None:
        from followups.services import new_issue_category

        category = new_issue_category()
    score = (
        _("rating %(n)d of 5") % {"n": response.rating}
        if response.rating is not None and response.rating <= SurveyPolicy.current().low_rating
        else _("likelihood to recommend %(n)d of 10") % {"n": response.nps}
    )
    return complaint_open(
        by=None,
        customer_id=response.customer_id,
        stage=about.stage if about is not None else category.stage,
        category_id=category.pk,
        subject=_("Low survey score: %(score)s") % {"score": score},
        description=_("Opened by survey response #%(id)d.") % {"id": response.pk},
        channel=ComplaintChannel.SURVEY,
        severity=Severity.SERIOUS if response.rating == 1 else Severity.GENERAL,
        about_record_id=about.pk if about is not None else None,
    )


def after_opt_in(event) -> None:
    """A customer asked a manager to get in touch: the department's managers are told."""
    if "contact" not in event.payload.get("opt_ins", ()):
        return
    response = (
        SurveyResponse.objects.select_related("invitation", "customer")
        .filter(pk=event.payload["id"])
        .first()
    )
    if response is None or not response.invitation.department_id:
        return
    notify(
        recipients=[m.user for m in department_managers(response.invitation.department_id)],
        verb="survey_contact_requested",
        title=_("%(customer)s asks a manager to get in touch (survey answer)")
        % {"customer": response.customer.name},
        url=reverse("customers:detail", args=[response.customer_id]),
    )


def _tell_heard(response: SurveyResponse) -> None:
    """The seeds' first barrier is customers' doubt that feedback changes anything: a customer
    who gave a low score hears at once that someone will follow it up."""
    invitation = response.invitation
    if not invitation.email:
        return
    with translation.override(invitation.language):
        email_queue(
            to=invitation.email,
            subject=_("We heard you: %(ref)s") % {"ref": response.complaint.record.reference},
            body=_(
                "Dear %(name)s,\n\nThank you for telling us. We are sorry we fell short. "
                "%(ref)s has been opened for you, and someone responsible will contact you soon."
            )
            % {"name": response.customer.name, "ref": response.complaint.record.reference},
        )
