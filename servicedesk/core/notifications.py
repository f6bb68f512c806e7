"""In-desk notifications and their e-mails. Any app notifies users through `notify`."""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from .models import Notification
from .outbox import enqueue


@transaction.atomic
def notify(
    *, recipients, verb: str, title: str, url: str = "", email: bool = True, event=None
) -> list:
    """Create one notification per distinct active recipient; e-mails go out after commit."""
    seen, rows = set(), []
    for user in recipients:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        rows.append(
            Notification(recipient=user, verb=verb, title=title[:250], url=url[:250], event=event)
        )
    created = Notification.objects.bulk_create(rows)
    ids = [n.pk for n in created if n.recipient.email]
    if email and ids:
        # One task for the batch; it re-checks each row, so a repeated run sends nothing twice.
        enqueue("core.notification_email", *ids)
    return created


def notification_send_email(*, notification_id: int) -> bool:
    """Claim the row with a filtered update so two workers never send the same e-mail."""
    claimed = Notification.objects.filter(pk=notification_id, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    if not claimed:
        return False
    n = Notification.objects.select_related("recipient").get(pk=notification_id)
    body = n.title
    if n.url:
        body += "\n\n" + getattr(settings, "DESK_BASE_URL", "").rstrip("/") + n.url
    send_mail(n.title, body, None, [n.recipient.email])
    return True


def notification_mark_read(*, user, notification_id: int | None = None) -> int:
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_id is not None:
        qs = qs.filter(pk=notification_id)
    return qs.update(read_at=timezone.now())


def notification_list(*, user) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user)


def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
