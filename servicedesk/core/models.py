import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


def bilingual(name_en: str, name_zh: str) -> str:
    """The name in the active language: the Chinese one when there is one, else the English."""
    if name_zh and (translation.get_language() or "").startswith("zh"):
        return name_zh
    return name_en


class BilingualNameMixin(models.Model):
    """Names users see in both languages; `name` follows the active language."""

    name_en = models.CharField(_("name (English)"), max_length=120)
    name_zh = models.CharField(_("name (Chinese)"), max_length=120, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return bilingual(self.name_en, self.name_zh)


class Department(BilingualNameMixin, TimeStampedModel):
    """A department that leads or collaborates on service work (DOMAIN.md §2, the 14 work items)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    email = models.EmailField(_("team e-mail"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="DepartmentMembership",
        related_name="departments",
        verbose_name=_("members"),
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")


class DepartmentMembership(TimeStampedModel):
    department = models.ForeignKey(Department, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="department_memberships"
    )
    is_manager = models.BooleanField(
        _("department manager"),
        default=False,
        help_text=_("Receives escalations and sees all of the department's work."),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("department membership")
        verbose_name_plural = _("department memberships")
        constraints = [
            models.UniqueConstraint(fields=["department", "user"], name="uniq_department_member"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.department}"


class Profile(models.Model):
    """Per-user preferences that are not part of auth: the time zone dates are shown in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="desk_profile"
    )
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    display_name_zh = models.CharField(_("Chinese name"), max_length=80, blank=True)

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return f"{self.user}"


def hash_token(key: str) -> str:
    # Keys are 256 random bits, so a fast unsalted hash is safe and lets us look them up by index.
    return hashlib.sha256(key.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiToken(models.Model):
    """A personal API token. Only its SHA-256 is stored; the key is shown once at creation."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(
        _("prefix"), max_length=12, help_text=_("First characters, to tell tokens apart.")
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    # The addresses it has been used from (the latest MAX_ADDRESSES), so that use from a new one
    # goes in the security log.
    addresses = models.JSONField(_("used from"), default=list, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    MAX_ADDRESSES = 20

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class TaskOutbox(models.Model):
    """Tasks recorded in the same transaction as the change that needs them.

    The row is the source of truth: it is published after commit, and re-published by beat while
    unsent (e.g. Redis was down). Tasks are idempotent, so a rare double publish is harmless.
    """

    task_name = models.CharField(max_length=200)
    args = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            # The resend sweep reads only unsent rows, oldest first.
            models.Index(
                fields=["created_at"],
                name="outbox_unsent_idx",
                condition=models.Q(sent_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.task_name}{tuple(self.args)}"


class WorkerPing(models.Model):
    """A round trip through the broker: created by the web process, completed by a worker."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("worker ping")

    def __str__(self) -> str:
        return f"ping {self.pk}"


class Notification(models.Model):
    """An in-desk notice to one user (assignment, new record in a queue, a breached target).

    Core knows no app above it, so the subject is a link and a title, not a foreign key.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    verb = models.CharField(_("event"), max_length=40)
    title = models.CharField(_("title"), max_length=250)
    url = models.CharField(_("link"), max_length=250, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)
    # The event that caused it, when a subscriber wrote it: re-delivery then adds nothing.
    event = models.ForeignKey(
        "DomainEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "event", "verb"],
                condition=models.Q(event__isnull=False),
                name="one_notification_per_event",
            ),
        ]
        indexes = [
            # The header's unread badge counts these on every page: recipient + unread only.
            models.Index(
                fields=["recipient"],
                name="notification_unread_idx",
                condition=models.Q(read_at__isnull=True),
            ),
            models.Index(fields=["recipient", "-created_at"], name="notification_list_idx"),
        ]

    def __str__(self) -> str:
        return self.title


# --- domain events (ARCHITECTURE.md, "Domain events") ---------------------------------------------


class DomainEvent(models.Model):
    """A fact announced by the app that owns it, written in the same transaction as the change.

    The table is the outbox: a crash after commit or a dead broker loses nothing, because delivery
    resumes from the EventDelivery rows. `payload` holds ids and the few values subscribers need.
    """

    name = models.CharField(_("event"), max_length=60)
    payload = models.JSONField(_("payload"), default=dict)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )
    occurred_at = models.DateTimeField(_("occurred"), default=timezone.now)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        verbose_name = _("domain event")
        verbose_name_plural = _("domain events")
        indexes = [models.Index(fields=["name", "-occurred_at"], name="event_name_idx")]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk}"


class RetriedWork(models.Model):
    """Work a worker retries with exponential backoff until done or failed for good; the final
    error stays on the row for an administrator (event deliveries, outbound e-mail)."""

    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        abstract = True

    def note_failure(self, exc: Exception, *, base_seconds: int, max_attempts: int, final=False):
        """Count the attempt; return the wait before the next one, or None when this was the
        last (the caller then marks the row failed). The wait quadruples each time."""
        self.attempts += 1
        self.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if final or self.attempts >= max_attempts:
            return None
        wait = timezone.timedelta(seconds=base_seconds * 4 ** (self.attempts - 1))
        self.next_attempt_at = timezone.now() + wait
        return wait


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class EventDelivery(RetriedWork):
    """One subscriber's handling of one event: the processed-marker that makes re-delivery harmless.

    The unique (event, subscriber) pair is the idempotency key; `state` moves to done in the same
    transaction as the subscriber's own writes, so "handled" and "its effects" commit together.
    """

    # No index of its own: one_delivery_per_event (event, subscriber) leads with it.
    event = models.ForeignKey(
        DomainEvent, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    subscriber = models.CharField(_("subscriber"), max_length=120)
    state = models.CharField(
        _("state"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("event delivery")
        verbose_name_plural = _("event deliveries")
        constraints = [
            models.UniqueConstraint(fields=["event", "subscriber"], name="one_delivery_per_event"),
        ]
        indexes = [
            # The retry sweep reads only pending rows that are due.
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_pending_idx",
                condition=models.Q(state="pending"),
            ),
            # /healthz and the admin show final failures.
            models.Index(
                fields=["event"], name="delivery_failed_idx", condition=models.Q(state="failed")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscriber} ← {self.event_id}"


# --- one transition mechanism (ARCHITECTURE.md, "One transition mechanism") -----------------------


class StatusChange(models.Model):
    """One row per state change of any flow: record status, visit states, complaint steps, imports.

    Dashboards compute time in each state from this log in SQL (core.selectors.time_in_states).
    """

    # No index of its own: both indexes below lead with it.
    content_type = models.ForeignKey(
        "contenttypes.ContentType", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    object_id = models.BigIntegerField()
    field = models.CharField(_("field"), max_length=40, default="status")
    from_state = models.CharField(_("from state"), max_length=40, blank=True)
    to_state = models.CharField(_("to state"), max_length=40)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("by"),
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        indexes = [
            # One object's log in order; also serves "the next change after this one".
            models.Index(
                fields=["content_type", "object_id", "field", "at"], name="statuschange_object_idx"
            ),
            # Time-in-state and "entered state X in a period" over a whole flow.
            models.Index(fields=["content_type", "field", "at"], name="statuschange_flow_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.field}: {self.from_state or '∅'} → {self.to_state}"


# --- outbound e-mail ------------------------------------------------------------------------------


class EmailState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class OutboundEmail(RetriedWork):
    """An e-mail recorded with the change that needs it, sent by a worker, retried with backoff.

    A final failure stays here with its error, so nothing is lost silently.
    """

    to = models.EmailField(_("recipient"))
    subject = models.CharField(_("subject"), max_length=250)
    body = models.TextField(_("body"))
    state = models.CharField(
        _("state"), max_length=10, choices=EmailState.choices, default=EmailState.QUEUED
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("outbound e-mail")
        verbose_name_plural = _("outbound e-mails")
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="email_queued_idx",
                condition=models.Q(state="queued"),
            ),
            # /healthz counts final failures on every probe.
            models.Index(
                fields=["created_at"], name="email_failed_idx", condition=models.Q(state="failed")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"
