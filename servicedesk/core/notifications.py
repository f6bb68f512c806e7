"""In-desk notifications and their e-mails. Any app notifies users through `notify`.

E-mails go through the e-mail outbox (core.email): queued in the same transaction as the
notification, sent after commit, retried with backoff, and a final failure is kept on its row.
"""

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from .compiled import CompiledQuery
from .email import absolute_url, email_queue, email_queue_many
from .models import Notification


def notification_email_body(*, title: str, url: str = "", body: str = "") -> str:
    """The e-mail text of a notification: its title, any detail, and an absolute link."""
    parts = [title]
    if body:
        parts.append(body)
    if url:
        parts.append(absolute_url(url))
    return "\n\n".join(parts) + "\n"


@transaction.atomic
def notify(
    *,
    recipients,
    verb: str,
    title: str,
    url: str = "",
    email: bool = True,
    event=None,
    body: str = "",
) -> list:
    """Create one notification per distinct active recipient and, with `email`, queue its e-mail.

    `url` is the desk path the notification links to (absolute in the e-mail); `body` is extra
    text for the e-mail only, such as a digest's list of records.
    """
    now = timezone.now()
    seen, rows = set(), []
    for user in recipients:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        rows.append(
            Notification(
                recipient=user,
                verb=verb,
                title=title[:250],
                url=url[:250],
                event=event,
                # Set when its e-mail is queued, in this transaction: the outbox row then owns the
                # sending, and the old per-notification task (notification_send_email) skips it.
                emailed_at=now if email and user.email else None,
            )
        )
    created = Notification.objects.bulk_create(rows)
    if email:
        text = notification_email_body(title=title, url=url, body=body)
        email_queue_many(
            {"to": n.recipient.email, "subject": title, "body": text}
            for n in created
            if n.emailed_at is not None
        )
    return created


@transaction.atomic
def notification_send_email(*, notification_id: int) -> bool:
    """Queue the e-mail of a notification recorded before notify() queued e-mails itself.

    The claim (emailed_at) and the outbox row commit together, so the e-mail is either queued
    once or not at all; sending, retries and failures are the outbox's (core.email).
    """
    claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return False
    n = Notification.objects.select_related("recipient").get(pk=notification_id)
    if not n.recipient.email:
        return False
    email_queue(
        to=n.recipient.email,
        subject=n.title,
        body=notification_email_body(title=n.title, url=n.url),
    )
    return True


def notification_mark_read(*, user, notification_id: int | None = None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=timezone.now())


def notification_list(*, user) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)


# The header's badge on every page: compiled once (core.compiled says why).
_UNREAD = CompiledQuery(
    lambda user_id: Notification.objects.filter(recipient_id=user_id, read_at__isnull=True),
    "user_id",
    count=True,
)


def unread_count(user) -> int:
    return _UNREAD.scalar(user_id=user.pk)
