"""Deliberately broken tasks, for the fault tests' "can it fail?" runs only.

A worker of a fault test imports this module (`celery worker -I tests.reliability.broken_tasks`)
next to the real tasks; the test publishes these names (or has beat schedule them) to show that
the figure it measures does move when the guarantee is taken away. Nothing in the desk uses them.

- `broken.email_send_no_recheck`: core.email_send without its idempotency key, i.e. it does not
  re-check under the row lock that the e-mail is still queued, so a redelivered task sends again
  what its killed first run had already sent.
- `broken.email_send_goodbye_first`: core.email_send before its fix, closing the mail server's
  connection (QUIT) before the commit: a kill during a slow goodbye sends the message twice.
- `broken.email_send_acks_early`: core.email_send itself with acks_late off: the broker forgets
  the message when the run starts, so a run killed half-way is never repeated.
- `broken.remind`, `broken.mark_missed`: beat's reminders and missed-visit escalations without
  their claims (see below).
"""

from celery import shared_task


@shared_task(name="broken.email_send_no_recheck")
def email_send_no_recheck(*email_ids: int) -> int:
    from django.core.mail import send_mail
    from django.db import transaction
    from django.utils import timezone

    from servicedesk.core.models import EmailState, OutboundEmail

    for pk in email_ids:
        with transaction.atomic():
            email = OutboundEmail.objects.select_for_update().get(pk=pk)  # no state filter
            send_mail(email.subject, email.body, None, [email.to])
            email.state = EmailState.SENT
            email.sent_at = timezone.now()
            email.attempts += 1
            email.save(update_fields=["state", "sent_at", "attempts"])
    return len(email_ids)


@shared_task(name="broken.email_send_goodbye_first")
def email_send_goodbye_first(*email_ids: int) -> int:
    """core.email_send as it was before the fix: send_mail opens the connection and says QUIT
    (waiting for the reply) inside the transaction, so an accepted message still reads queued
    until the goodbye is answered."""
    from django.core.mail import send_mail
    from django.db import transaction
    from django.utils import timezone

    from servicedesk.core.models import EmailState, OutboundEmail

    sent = 0
    for pk in email_ids:
        with transaction.atomic():
            email = (
                OutboundEmail.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, state=EmailState.QUEUED)
                .first()
            )
            if email is None:
                continue
            send_mail(email.subject, email.body, None, [email.to])
            email.state = EmailState.SENT
            email.sent_at = timezone.now()
            email.attempts += 1
            email.save(update_fields=["state", "sent_at", "attempts"])
            sent += 1
    return sent


@shared_task(name="broken.email_send_acks_early", acks_late=False)
def email_send_acks_early(*email_ids: int) -> int:
    from servicedesk.core import email

    return sum(email.email_send(email_id=pk) for pk in email_ids)


# --- for tests/reliability/test_two_beats.py ------------------------------------------------------
# followups.remind and followups.mark_missed as a first draft would write them: read what is due,
# act on each, then stamp it, with no claim (no state-filtered update, no lock). One beat running
# them is fine; two beats firing at once both read the same rows and both act.


@shared_task(name="broken.remind")
def remind_unclaimed() -> int:
    from django.utils import timezone

    from followups.models import CallbackVisit, VisitStatus
    from followups.services import _people_for
    from servicedesk.core.notifications import notify

    now = timezone.now()
    due = CallbackVisit.objects.filter(
        status=VisitStatus.SCHEDULED, reminded_at__isnull=True, remind_at__lte=now
    ).select_related("customer")
    visits = list(due.order_by("remind_at"))
    for visit in visits:
        notify(
            recipients=_people_for(visit),
            verb="callback_due",
            title=f"Callback due: {visit.customer.name} ({visit.reference})",
            url=visit.get_absolute_url(),
            email=False,
        )
        CallbackVisit.objects.filter(pk=visit.pk).update(reminded_at=now)
    return len(visits)


@shared_task(name="broken.mark_missed")
def mark_missed_unclaimed() -> int:
    from django.utils import timezone

    from followups.models import CallbackVisit, VisitStatus
    from servicedesk.core.notifications import notify
    from servicedesk.core.selectors import department_managers

    now = timezone.now()
    closed = CallbackVisit.objects.filter(status=VisitStatus.SCHEDULED, window_end__lt=now)
    visits = list(closed.select_related("customer", "assignee").order_by("window_end"))
    for visit in visits:
        managers = [m.user for m in department_managers(visit.department_id)]
        notify(
            recipients=[*managers, visit.assignee],
            verb="callback_missed",
            title=f"Callback missed: {visit.customer.name} ({visit.reference})",
            url=visit.get_absolute_url(),
            email=False,
        )
        CallbackVisit.objects.filter(pk=visit.pk).update(
            status=VisitStatus.MISSED, escalated_at=now
        )
    return len(visits)
