"""Service records (服务记录), DOMAIN.md §2: catalogue, records, conversation, targets, routing."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from servicedesk.core.models import BilingualNameMixin, Department, TimeStampedModel


class Stage(models.TextChoices):  # 按时序
    PRE_SALE = "pre_sale", _("Pre-sale")
    IN_SALE = "in_sale", _("In-sale")
    AFTER_SALE = "after_sale", _("After-sale")


class Nature(models.TextChoices):  # 按性质
    TECHNICAL = "technical", _("Technical")
    NON_TECHNICAL = "non_technical", _("Non-technical")


class Place(models.TextChoices):  # 按地点
    FIXED_POINT = "fixed_point", _("Fixed-point (at an outlet)")
    ON_SITE = "on_site", _("On-site / touring")


class Fee(models.TextChoices):  # 按费用
    FREE = "free", _("Free")
    PAID = "paid", _("Paid")


class Frequency(models.TextChoices):  # 按次数
    ONE_TIME = "one_time", _("One-time")
    RECURRING = "recurring", _("Recurring")


class Duration(models.TextChoices):  # 按时间长短
    SHORT = "short", _("Short term")
    MEDIUM = "medium", _("Medium term")
    LONG = "long", _("Long term")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class Status(models.TextChoices):
    NEW = "new", _("New")
    OPEN = "open", _("Open")
    PENDING = "pending", _("Pending")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


# Statuses in which the record still has work and its time targets run.
ACTIVE_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING)
# Statuses of handled work: what a quality review (servicedesk.audit) may score.
HANDLED_STATUSES = (Status.RESOLVED, Status.CLOSED)
# The partial indexes' condition; plain strings so the migration's SQL never changes with an enum.
RUNNING = Q(status__in=["new", "open", "pending"])


def _valid(field: str, choices, prefix: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__in": choices.values}), name=f"{prefix}_{field}_valid"
    )


class ServiceCategory(BilingualNameMixin, TimeStampedModel):
    """A kind of service per stage, with the defaults a new record takes from it."""

    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices)
    code = models.SlugField(_("code"), max_length=60, unique=True)
    default_nature = models.CharField(
        _("default nature"), max_length=20, choices=Nature.choices, default=Nature.NON_TECHNICAL
    )
    default_place = models.CharField(
        _("default place"), max_length=20, choices=Place.choices, default=Place.FIXED_POINT
    )
    default_fee = models.CharField(
        _("default fee"), max_length=10, choices=Fee.choices, default=Fee.FREE
    )
    default_fee_amount = models.DecimalField(
        _("default amount"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    default_frequency = models.CharField(
        _("default frequency"),
        max_length=20,
        choices=Frequency.choices,
        default=Frequency.ONE_TIME,
    )
    default_duration = models.CharField(
        _("default duration"), max_length=10, choices=Duration.choices, default=Duration.SHORT
    )
    lead_department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="led_categories",
        verbose_name=_("lead department"),
    )
    collaborating_departments = models.ManyToManyField(
        Department,
        blank=True,
        related_name="collaborating_categories",
        verbose_name=_("collaborating departments"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)
    history = HistoricalRecords()

    class Meta:
        ordering = ["stage", "sort_order", "name_en"]
        verbose_name = _("service category")
        verbose_name_plural = _("service categories")
        constraints = [
            _valid("stage", Stage, "category"),
            models.CheckConstraint(
                condition=Q(default_fee="free")
                | Q(default_fee_amount__isnull=False, default_fee_amount__gt=0),
                name="category_paid_has_amount",
            ),
        ]

    def defaults(self) -> dict:
        """What a new record of this category takes unless told otherwise: the one place the
        create service, the create page and the API read the category's defaults from."""
        return {
            "stage": self.stage,
            "nature": self.default_nature,
            "place": self.default_place,
            "fee": self.default_fee,
            "fee_amount": self.default_fee_amount if self.default_fee == Fee.PAID else None,
            "frequency": self.default_frequency,
            "duration": self.default_duration,
        }


def attachment_path(instance, filename: str) -> str:
    # A random name: the customer's file name never reaches the file system or a URL.
    return f"attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class ServiceRecord(TimeStampedModel):
    """The ticket. Status changes only through services.record_transition (the table below)."""

    # Not auto_now_add: imports and demo data back-date records in the creating save itself, so
    # the first history row is true and no second, unversioned write is needed.
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
        Status.NEW: frozenset({Status.OPEN}),
        Status.OPEN: frozenset({Status.PENDING, Status.RESOLVED}),
        Status.PENDING: frozenset({Status.OPEN, Status.RESOLVED}),
        Status.RESOLVED: frozenset({Status.CLOSED, Status.OPEN}),  # → open is a reopen
        Status.CLOSED: frozenset({Status.OPEN}),  # reopen
    }

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="service_records",
        verbose_name=_("customer"),
        db_index=False,  # record_customer_idx leads with it
    )
    contact = models.ForeignKey(
        "customers.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="service_records",
        verbose_name=_("contact"),
    )
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices)
    category = models.ForeignKey(
        ServiceCategory,
        on_delete=models.PROTECT,
        related_name="records",
        verbose_name=_("category"),
    )
    nature = models.CharField(_("nature"), max_length=20, choices=Nature.choices)
    place = models.CharField(_("place"), max_length=20, choices=Place.choices)
    fee = models.CharField(_("fee"), max_length=10, choices=Fee.choices, default=Fee.FREE)
    fee_amount = models.DecimalField(
        _("amount"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    frequency = models.CharField(_("frequency"), max_length=20, choices=Frequency.choices)
    duration = models.CharField(_("duration"), max_length=10, choices=Duration.choices)
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="new")
    lead_department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="led_records",
        verbose_name=_("lead department"),
    )
    collaborating_departments = models.ManyToManyField(
        Department,
        blank=True,
        related_name="collaborating_records",
        verbose_name=_("collaborating departments"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_records",
        verbose_name=_("assignee"),
        db_index=False,  # record_assignee_idx leads with it
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="created_records",
        verbose_name=_("created by"),
    )
    agreed_date = models.DateField(
        _("agreed date"),
        null=True,
        blank=True,
        help_text=_("For a scheduled service: the day it was promised to the customer."),
    )
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    first_responded_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # Optimistic concurrency: see servicedesk.core.concurrency.versioned_update.
    version = models.PositiveIntegerField(default=1)
    # Who may see the record, as one indexed value (tickets.visibility); derived, so not history.
    audience = models.JSONField(default=dict, editable=False)
    history = HistoricalRecords(excluded_fields=["updated_at", "audience"])

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("service record")
        verbose_name_plural = _("service records")
        # Each index serves a named query; tests/tickets/test_plans.py pins them with EXPLAIN.
        # The list and My work order by (created_at, id) so a walk of one index is the page.
        # RUNNING mirrors ACTIVE_STATUSES; a partial index needs the literal list.
        indexes = [
            # The list's default order, and its filtered pages, walked newest first.
            models.Index(fields=["-created_at", "-id"], name="record_created_idx"),
            # The customer's 360° section and timeline, and the list filtered by customer.
            models.Index(fields=["customer", "-created_at", "-id"], name="record_customer_idx"),
            # The list filtered by assignee.
            models.Index(fields=["assignee", "-created_at", "-id"], name="record_assignee_idx"),
            # My work "assigned to me": my running records, the soonest due first.
            models.Index(
                fields=["assignee", "resolution_due", "id"],
                name="record_assignee_due_idx",
                condition=RUNNING,
            ),
            # My work "my departments": running records, newest first.
            models.Index(
                fields=["-created_at", "-id"], name="record_running_idx", condition=RUNNING
            ),
            # My work "unassigned in my departments": the oldest waiting first.
            models.Index(
                fields=["lead_department", "created_at", "id"],
                name="record_unassigned_idx",
                condition=RUNNING & Q(assignee__isnull=True),
            ),
            # My work "due soon" / "breached" and the breach scan: only running, unmet targets.
            models.Index(
                fields=["resolution_due"],
                name="record_resolution_due_idx",
                condition=RUNNING & Q(resolved_at__isnull=True),
            ),
            models.Index(
                fields=["first_response_due"],
                name="record_first_response_due_idx",
                condition=RUNNING & Q(first_responded_at__isnull=True),
            ),
        ]
        constraints = [
            _valid("stage", Stage, "record"),
            _valid("status", Status, "record"),
            _valid("priority", Priority, "record"),
            _valid("fee", Fee, "record"),
            models.CheckConstraint(
                # isnull=False too: NULL > 0 is NULL, which a CHECK lets through.
                condition=Q(fee="free", fee_amount__isnull=True)
                | Q(fee="paid", fee_amount__isnull=False, fee_amount__gt=0),
                name="record_paid_has_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def reference(self) -> str:
        return self.reference_of(self.pk)

    @staticmethod
    def reference_of(pk: int | None) -> str:
        return f"SR-{pk:06d}" if pk else "SR-new"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def allowed_next(self) -> list[str]:
        return sorted(self.ALLOWED_TRANSITIONS.get(self.status, ()))

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("tickets:detail", args=[self.pk])


class MessageKind(models.TextChoices):
    REPLY = "reply", _("Reply to the customer")
    NOTE = "note", _("Internal note")


class RecordMessage(models.Model):
    record = models.ForeignKey(ServiceRecord, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(_("kind"), max_length=10, choices=MessageKind.choices)
    body = models.TextField(_("message"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # A reply e-mailed to the customer; empty for notes and for replies logged only (no address).
    email = models.ForeignKey(
        "core.OutboundEmail",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("e-mail"),
    )

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [models.Index(fields=["record", "created_at"], name="message_record_idx")]
        constraints = [_valid("kind", MessageKind, "message")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.record_id}"


class RecordAttachment(models.Model):
    """A file on a record. Stored under a random name; served only as a download."""

    record = models.ForeignKey(ServiceRecord, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=120)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name


# --- time targets ---------------------------------------------------------------------------------


class BusinessCalendar(models.Model):
    """Working hours per weekday and holidays; due times are counted in this business time."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    # ISO weekdays that are working days, e.g. "12345" for Monday to Friday.
    working_weekdays = models.CharField(_("working weekdays"), max_length=7, default="12345")
    day_start = models.TimeField(_("day starts"), default="09:00")
    day_end = models.TimeField(_("day ends"), default="18:00")
    is_default = models.BooleanField(_("default calendar"), default=False)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_calendar"
            ),
            models.CheckConstraint(
                condition=Q(day_end__gt=models.F("day_start")), name="calendar_day_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Holiday(models.Model):
    """A day off on a working weekday, or (is_working_day) a make-up working day on a weekend."""

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=80, blank=True)
    is_working_day = models.BooleanField(
        _("make-up working day"),
        default=False,
        help_text=_("Tick for a weekend day that is worked (调休), leave empty for a holiday."),
    )

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday or make-up day")
        verbose_name_plural = _("holidays and make-up days")
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="one_entry_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class TargetPolicy(models.Model):
    """Targets by priority × customer tier × category; an empty dimension matches everything.

    The most specific matching policy wins (the one with most dimensions set).
    """

    name = models.CharField(_("name"), max_length=80)
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, blank=True, default=""
    )
    customer_tier = models.CharField(_("customer tier"), max_length=20, blank=True, default="")
    category = models.ForeignKey(
        ServiceCategory,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="target_policies",
        verbose_name=_("category"),
    )
    first_response_minutes = models.PositiveIntegerField(_("first response (business minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution (business minutes)"))
    calendar = models.ForeignKey(
        BusinessCalendar,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="policies",
        verbose_name=_("calendar"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("time target policy")
        verbose_name_plural = _("time target policies")
        constraints = [
            models.CheckConstraint(
                condition=Q(resolution_minutes__gte=models.F("first_response_minutes")),
                name="policy_resolution_after_response",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def specificity(self) -> int:
        return bool(self.priority) + bool(self.customer_tier) + bool(self.category_id)


class BreachKind(models.TextChoices):
    FIRST_RESPONSE = "first_response", _("First response")
    RESOLUTION = "resolution", _("Resolution")


class BreachNotice(models.Model):
    """One row per breached target: the unique constraint makes the escalation run once."""

    record = models.ForeignKey(ServiceRecord, on_delete=models.CASCADE, related_name="breaches")
    kind = models.CharField(max_length=20, choices=BreachKind.choices)
    due_at = models.DateTimeField()
    notified_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("breach notice")
        constraints = [
            models.UniqueConstraint(fields=["record", "kind"], name="one_notice_per_breach"),
        ]

    def __str__(self) -> str:
        return f"{self.record_id} {self.kind}"


# --- routing --------------------------------------------------------------------------------------


class AssignmentMode(models.TextChoices):
    NONE = "none", _("No automatic assignment")
    ROUND_ROBIN = "round_robin", _("Round-robin")
    LEAST_OPEN = "least_open", _("Least open work")


class DepartmentRoutingPolicy(models.Model):
    department = models.OneToOneField(
        Department, on_delete=models.CASCADE, related_name="routing_policy"
    )
    mode = models.CharField(
        _("automatic assignment"),
        max_length=20,
        choices=AssignmentMode.choices,
        default=AssignmentMode.NONE,
    )
    # Round-robin cursor; the row is locked while it moves so two records never take the same turn.
    last_assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("department routing policy")
        verbose_name_plural = _("department routing policies")
        constraints = [_valid("mode", AssignmentMode, "routing")]

    def __str__(self) -> str:
        return f"{self.department}: {self.get_mode_display()}"


# Complaints live in their own module (tickets/complaints/models.py); imported here so Django
# registers them with the tickets app.
from .complaints.models import (  # noqa: E402, F401
    Complaint,
    ComplaintAction,
    ComplaintStepEntry,
)

# Root cause likewise (tickets/complaints/rootcause/models.py).
from .complaints.rootcause.models import (  # noqa: E402, F401
    CauseBone,
    ComplaintCause,
    CorrectiveAction,
    FishboneWorkshop,
    WorkshopCause,
    WorkshopSolution,
)
