"""Sending invitations by e-mail: the link is derived from the invitation at send time
(services.token_for), so no stored row holds it in clear."""

import logging
from datetime import timedelta

from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from servicedesk.core.email import absolute_url

from .models import InvitationStatus, SurveyInvitation
from .services import token_for

log = logging.getLogger(__name__)

# The sweep leaves a just-made invitation to its own task.
SWEEP_GRACE = timedelta(seconds=60)


def invitation_link(invitation: SurveyInvitation) -> str:
    return absolute_url(reverse("survey_answer", args=[token_for(invitation)]))


def invitation_email(invitation: SurveyInvitation) -> tuple[str, str]:
    """Subject and body, in the customer's language."""
    with translation.override(invitation.language):
        template = invitation.template
        subject = _("%(name)s: a few questions, two minutes") % {"name": template.name}
        body = "\n\n".join(
            part
            for part in (
                _("Dear %(name)s,") % {"name": invitation.customer.name},
                template.intro,
                _("Please tell us how we did: %(link)s") % {"link": invitation_link(invitation)},
                template.commitment,
                _("The link works once and until %(date)s.")
                % {"date": timezone.localtime(invitation.expires_at).date().isoformat()},
            )
            if part
        )
    return subject, body


def send_invitation(*, invitation_id: int) -> bool:
    """E-mail one invitation; True if this call sent it. Safe to run twice or concurrently: the
    row is locked while the message goes out and `sent_at` marks it sent, so a second run finds
    it sent, or locked by the first, and sends nothing. A failure leaves it for the sweep."""
    with transaction.atomic():
        invitation = (
            SurveyInvitation.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("template", "customer")
            .filter(pk=invitation_id, sent_at__isnull=True, channel="email")
            .exclude(status=InvitationStatus.CANCELLED)
            .first()
        )
        if invitation is None or invitation.is_expired():
            return False
        subject, body = invitation_email(invitation)
        try:
            send_mail(subject, body, None, [invitation.email])
        except Exception as exc:  # noqa: BLE001 - retried by the sweep until the link expires
            log.warning("survey invitation %s not sent, will retry: %s", invitation_id, exc)
            return False
        invitation.sent_at = timezone.now()
        invitation.save(update_fields=["sent_at"])
        return True


def send_unsent(*, limit: int = 200) -> int:
    """Beat's sweep: e-mailed invitations not yet sent (broker down, mail server down)."""
    now = timezone.now()
    ids = list(
        SurveyInvitation.objects.filter(
            channel="email",
            sent_at__isnull=True,
            status=InvitationStatus.PENDING,
            created_at__lte=now - SWEEP_GRACE,
            expires_at__gt=now,
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(send_invitation(invitation_id=pk) for pk in ids)
