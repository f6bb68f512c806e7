"""Outbound e-mail through an outbox table: nothing the desk sends is lost silently.

    email_queue(to="li.wei@example.com", subject="[SR-000301] …", body="…")

- `email_queue` writes an OutboundEmail inside the caller's transaction and records the send task
  in the task outbox (core.outbox), so a rolled-back change sends nothing and a dead broker loses
  nothing: beat re-publishes the task, and the sweep below finds the row anyway.
- `email_send` claims the row under a row lock (skip_locked), re-checks that it is still queued
  and due, sends it with Django's send_mail and marks it sent in the same transaction. A second or
  concurrent run finds the row locked or no longer queued and sends nothing.
- A transient failure (SMTP errors, OSError/socket errors) is recorded on the row (attempts,
  last_error) and retried with exponential backoff by the `email_retry_due` sweep; after
  MAX_ATTEMPTS, or at once for a permanent error, the row is `failed` with its error, logged as an
  error and listed in Django admin (OutboundEmailAdmin), where it can be retried.

Links in e-mails must be absolute: build them with `absolute_url`, which reads settings.SITE_URL
at call time.
"""

import contextlib
import logging
import smtplib
from collections.abc import Iterable
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import get_connection, send_mail
from django.db import transaction
from django.utils import timezone

from .models import EmailState, OutboundEmail
from .outbox import enqueue

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
# 1 min, 4 min, 16 min, ~1 h, ~4 h: rides out a mail server restart or a short outage, and gives
# up (visibly) within about half a day.
BACKOFF_BASE_SECONDS = 60
# A row younger than this is still in its commit hook or on its way through the broker.
SWEEP_GRACE_SECONDS = 30

# What a retry can cure: the server or the network, not the message. socket errors are OSError.
TRANSIENT_ERRORS = (smtplib.SMTPException, OSError)


def absolute_url(path: str) -> str:
    """`path` ("/records/301/") on the desk's public address; absolute URLs pass unchanged.

    settings.SITE_URL is read here, on every call, so a test or a deployment can change it.
    """
    if not path:
        return settings.SITE_URL.rstrip("/") + "/"
    if urlsplit(path).scheme:
        return path
    return settings.SITE_URL.rstrip("/") + "/" + path.lstrip("/")


def _one_line(subject: str) -> str:
    # A newline in a subject is a header injection; Django would refuse the whole send.
    return " ".join(str(subject).split())[:250]


@transaction.atomic
def email_queue(*, to: str, subject: str, body: str) -> OutboundEmail:
    """Record one e-mail with the caller's change; it is sent after commit, retried until sent or
    failed for good."""
    return email_queue_many([{"to": to, "subject": subject, "body": body}])[0]


@transaction.atomic
def email_queue_many(emails: Iterable[dict]) -> list[OutboundEmail]:
    """Several e-mails ({"to", "subject", "body"}) in one insert and one task, e.g. one
    notification to a whole department."""
    rows = OutboundEmail.objects.bulk_create(
        OutboundEmail(to=e["to"].strip(), subject=_one_line(e["subject"]), body=e["body"])
        for e in emails
    )
    if rows:
        # The task claims each row on its own, so the batch is no less safe than one per e-mail.
        enqueue("core.email_send", *(row.pk for row in rows))
    return rows


def _is_transient(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        # Every recipient refused with a 5xx code: the address is wrong, waiting will not help.
        return any(code < 500 for code, _msg in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code < 500
    return isinstance(exc, TRANSIENT_ERRORS)


def email_send(*, email_id: int) -> bool:
    """Send one queued, due e-mail; True if this call sent it. Safe to run twice or concurrently.

    The row lock is held while the message goes to the mail server, so a concurrent run (the task
    and the sweep, or a task published twice) skips the row instead of sending it again. If the
    process dies mid-send the lock goes with its connection and the row is still queued: the sweep
    sends it later (at least once, never twice at the same time).

    The mail server's connection is closed only after the commit: Django's send_mail says QUIT
    and waits for the reply while the row still reads queued, so a worker killed during a slow
    goodbye left an accepted message queued, and the next run sent it again
    (tests/reliability/test_worker_killed.py). What is left is the commit's own round trip.
    """
    connection = get_connection()
    try:
        with transaction.atomic():
            email = (
                OutboundEmail.objects.select_for_update(skip_locked=True)
                .filter(pk=email_id, state=EmailState.QUEUED, next_attempt_at__lte=timezone.now())
                .first()
            )
            if email is None:
                return False  # sent, failed for good, not due yet, or another worker has it
            try:
                connection.open()  # opened here, so send_mail leaves it open after the send
                send_mail(email.subject, email.body, None, [email.to], connection=connection)
            except Exception as exc:  # noqa: BLE001 - every failure is recorded on the row
                _record_failure(email, exc)
                return False
            email.state = EmailState.SENT
            email.sent_at = timezone.now()
            email.attempts += 1
            email.last_error = ""
            email.save(update_fields=["state", "sent_at", "attempts", "last_error"])
            return True
    finally:
        # The message is accepted and (on success) recorded as sent: a failed goodbye is noise.
        with contextlib.suppress(smtplib.SMTPException, OSError):
            connection.close()


def _record_failure(email: OutboundEmail, exc: Exception) -> None:
    """Under the caller's row lock: count the attempt, then retry later or fail for good."""
    transient = _is_transient(exc)
    wait = email.note_failure(
        exc, base_seconds=BACKOFF_BASE_SECONDS, max_attempts=MAX_ATTEMPTS, final=not transient
    )
    if wait is None:
        email.state = EmailState.FAILED
        log.error(
            "e-mail %s to %s failed after %s attempt(s)%s: %s",
            email.pk,
            email.to,
            email.attempts,
            "" if transient else " (not retried)",
            email.last_error,
        )
    else:
        log.warning("e-mail %s to %s failed, retry in %s: %s", email.pk, email.to, wait, exc)
    email.save(update_fields=["attempts", "last_error", "state", "next_attempt_at"])


def email_retry_due(*, limit: int = 200) -> int:
    """Beat's sweep: send queued e-mails that are due (after a failure, or never picked up)."""
    cutoff = timezone.now() - timedelta(seconds=SWEEP_GRACE_SECONDS)
    # Served by the partial index email_queued_idx (next_attempt_at WHERE state = 'queued').
    ids = list(
        OutboundEmail.objects.filter(state=EmailState.QUEUED, next_attempt_at__lte=cutoff)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(email_send(email_id=pk) for pk in ids)


def email_retry(*, email_id: int) -> bool:
    """An administrator's "try again now" for a failed e-mail: queued again, with fresh attempts."""
    with transaction.atomic():
        updated = OutboundEmail.objects.filter(pk=email_id, state=EmailState.FAILED).update(
            state=EmailState.QUEUED, next_attempt_at=timezone.now(), attempts=0, last_error=""
        )
        if updated:
            enqueue("core.email_send", email_id)
    return bool(updated)


def failed_emails():
    return OutboundEmail.objects.filter(state=EmailState.FAILED)
