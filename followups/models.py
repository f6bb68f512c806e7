"""Callback visits (回访), DOMAIN.md §4: rules, greeting dates, visits and their attempts.

A visit is the one form a return visit takes: no service record, no customer Interaction. Its state
moves through servicedesk.core.transitions (VISIT table below); "due" and "overdue" are read from
the clock against `due_at` / `window_end`, never stored.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from servicedesk.core.models import BilingualNameMixin, Department, TimeStampedModel


class Purpose(models.TextChoices):
    AFTER_SERVICE = "after_service", _("After-service callback")  # 售后回访
    COMPLAINT_RECHECK = "complaint_recheck", _("Complaint re-check")  # 投诉复查回访
    PERIODIC = "periodic", _("Periodic care")  # 定期回访
    GREETING = "greeting", _("Holiday greeting")  # 节日问候
    AD_HOC = "ad_hoc", _("Ad hoc callback")  # 临时回访


class Method(models.TextChoices):
    PHONE = "phone", _("By phone")  # 电话回访
    ON_SITE = "on_site", _("On site")  # 上门回访


class VisitStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")  # 待回访
    DONE = "done", _("Done")  # 已完成
    MISSED = "missed", _("Missed")  # 逾期未回访
    CANCELLED = "cancelled", _("Cancelled")  # 已取消


class Trigger(models.TextChoices):
    RECORD_RESOLVED = "record_resolved", _("A record is resolved")
    PERIODIC = "periodic", _("Periodically, by customer tier")
    GREETING = "greeting", _("On greeting dates")


class AssignTo(models.TextChoices):
    RECORD_ASSIGNEE = "record_assignee", _("The record's assignee")
    ACCOUNT_OWNER = "account_owner", _("The account owner")
    DEPARTMENT_QUEUE = "department_queue", _("The department's queue")


class ProductState(models.TextChoices):
    NORMAL = "normal", _("In normal use")
    PROBLEM = "problem", _("Has a problem")


class Expectation(models.TextChoices):
    BETTER = "better", _("Better than expected")
    AS_EXPECTED = "as_expected", _("As expected")
    WORSE = "worse", _("Worse than expected")


PURPOSE_OF_TRIGGER = {
    Trigger.RECORD_RESOLVED: Purpose.AFTER_SERVICE,
    Trigger.PERIODIC: Purpose.PERIODIC,
    Trigger.GREETING: Purpose.GREETING,
}
# Plain strings: the partial indexes' SQL must not change with an enum's label.
SCHEDULED = Q(status="scheduled")
NOT_CANCELLED = ~Q(status="cancelled")


def _valid(field: str, choices, prefix: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__in": choices.values}), name=f"{prefix}_{field}_valid"
    )


class CallbackRule(BilingualNameMixin, TimeStampedModel):
    """When visits are made, how, and by whom. The shipped rows are the desk's own defaults: the
    seeds give the practice (3 days after an installation, every 30 days for key customers, …)
    but no numbers, so an administrator is expected to tune them."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_desk_default = models.BooleanField(
        _("desk default"), default=False, editable=False, help_text=_("Shipped with the desk.")
    )
    trigger = models.CharField(_("trigger"), max_length=20, choices=Trigger.choices)
    stage = models.CharField(
        _("stage"),
        max_length=20,
        blank=True,
        help_text=_("For records: only this stage; empty for any."),
    )
    categories = models.ManyToManyField(
        "tickets.ServiceCategory",
        blank=True,
        related_name="callback_rules",
        verbose_name=_("categories"),
        help_text=_("For records: only these categories; none for any."),
    )
    customer_tier = models.CharField(
        _("customer tier"),
        max_length=20,
        blank=True,
        help_text=_("For periodic visits and greetings: only this tier; empty for all."),
    )
    interval_days = models.PositiveIntegerField(
        _("every (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("For periodic visits."),
    )
    delay_days = models.IntegerField(
        _("delay (working days)"),
        default=0,
        validators=[MinValueValidator(0, _("A delay cannot be negative."))],
        help_text=_(
            "After the record is resolved; into the period for periodic visits; "
            "before the date for greetings."
        ),
    )
    window_days = models.PositiveIntegerField(
        _("window (working days)"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_("How long after the due time the visit still counts as on time."),
    )
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    assign_to = models.CharField(
        _("assign to"), max_length=20, choices=AssignTo.choices, default=AssignTo.DEPARTMENT_QUEUE
    )
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="callback_rules",
        verbose_name=_("department"),
        help_text=_("Whose queue the visits are in, whoever makes them."),
    )
    max_attempts = models.PositiveSmallIntegerField(
        _("attempts before missed"), default=3, validators=[MinValueValidator(1)]
    )
    retry_minutes = models.PositiveIntegerField(
        _("first retry after (minutes)"),
        default=120,
        validators=[MinValueValidator(5)],
        help_text=_("Each later retry waits twice as long, inside the window."),
    )
    remind_minutes = models.PositiveIntegerField(
        _("remind before (minutes)"), default=60, validators=[MaxValueValidator(7 * 24 * 60)]
    )
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["trigger", "name_en"]
        verbose_name = _("callback rule")
        verbose_name_plural = _("callback rules")
        constraints = [
            _valid("trigger", Trigger, "callback_rule"),
            _valid("method", Method, "callback_rule"),
            _valid("assign_to", AssignTo, "callback_rule"),
            models.CheckConstraint(
                condition=Q(delay_days__gte=0), name="callback_rule_delay_not_negative"
            ),
            models.CheckConstraint(
                condition=~Q(trigger="periodic") | Q(interval_days__gte=1),
                name="callback_rule_periodic_has_interval",
            ),
        ]

    @property
    def purpose(self) -> str:
        return PURPOSE_OF_TRIGGER[self.trigger]


class GreetingDate(BilingualNameMixin, models.Model):
    """A day to greet customers on. Its own table, not the work calendar's holidays: a greeting
    is often sent before the day off, and lunar festivals move, so each year's date is a row."""

    date = models.DateField(_("date"), unique=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("greeting date")
        verbose_name_plural = _("greeting dates")

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class ScanMark(models.Model):
    """How far a periodic or greeting scan got through a period's customers (by id), so a later
    scan in the same period resumes there instead of re-reading every customer of the tier."""

    rule = models.ForeignKey(CallbackRule, on_delete=models.CASCADE, related_name="+")
    period = models.DateField()
    last_customer_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule", "period"], name="one_mark_per_rule_period")
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.period}: {self.last_customer_id}"


def visit_timing(*, status: str, due_at, window_end, now) -> str:
    """ "upcoming", "due" or "overdue" for a scheduled visit; its status otherwise. Computed from
    the time, never stored; the pages' rows and the API lists call it on their columns."""
    if status != VisitStatus.SCHEDULED:
        return status
    if now < due_at:
        return "upcoming"
    return "due" if now < window_end else "overdue"


class CallbackVisit(TimeStampedModel):
    """One return visit. Its state changes only through followups.services (the table below)."""

    ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
        VisitStatus.SCHEDULED: frozenset(
            {VisitStatus.DONE, VisitStatus.MISSED, VisitStatus.CANCELLED}
        ),
        # A missed visit may still be made late (it then counts as done, not on time).
        VisitStatus.MISSED: frozenset({VisitStatus.DONE, VisitStatus.CANCELLED}),
        VisitStatus.DONE: frozenset(),
        VisitStatus.CANCELLED: frozenset(),
    }

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.PROTECT,
        related_name="callback_visits",
        verbose_name=_("customer"),
        db_index=False,  # visit_customer_idx leads with it
    )
    contact = models.ForeignKey(
        "customers.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="callback_visits",
        verbose_name=_("contact"),
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    method = models.CharField(_("method"), max_length=10, choices=Method.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=VisitStatus.choices, default=VisitStatus.SCHEDULED
    )
    rule = models.ForeignKey(
        CallbackRule,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="visits",
        verbose_name=_("rule"),
    )
    source_record = models.ForeignKey(
        "tickets.ServiceRecord",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="callback_visits",
        verbose_name=_("follows record"),
        db_index=False,  # visit_record_idx (partial)
    )
    # Periodic visits: the first day of their period; greetings: the greeting date.
    period = models.DateField(_("period"), null=True, blank=True)
    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="callback_visits",
        verbose_name=_("department"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="callback_visits",
        verbose_name=_("assignee"),
        db_index=False,  # visit_assignee_due_idx leads with it
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    due_at = models.DateTimeField(_("due"))
    window_end = models.DateTimeField(_("window ends"))
    remind_at = models.DateTimeField(_("remind at"))
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # The outcome (回访结果).
    reached = models.BooleanField(_("reached"), null=True, blank=True)
    reached_person = models.CharField(_("who was reached"), max_length=120, blank=True)
    product_state = models.CharField(
        _("product in use"), max_length=10, choices=ProductState.choices, blank=True
    )
    questions_answered = models.TextField(_("questions answered"), blank=True)
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    expectation = models.CharField(
        _("against expectations"), max_length=12, choices=Expectation.choices, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    new_issue_record = models.ForeignKey(
        "tickets.ServiceRecord",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="found_by_visits",
        verbose_name=_("new issue record"),
    )
    new_need_record = models.ForeignKey(
        "tickets.ServiceRecord",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="need_found_by_visits",
        verbose_name=_("new need record"),
    )
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("completed by"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    # Who may see the visit, as records keep it (tickets.visibility): its department and assignee.
    audience = models.JSONField(default=dict, editable=False)
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords(excluded_fields=["updated_at", "audience"])

    class Meta:
        ordering = ["due_at", "pk"]
        verbose_name = _("callback visit")
        verbose_name_plural = _("callback visits")
        # Each index serves a named query; tests/followups/test_plans.py pins them with EXPLAIN.
        indexes = [
            # The API list, the calendar and the manager's view: by due time.
            models.Index(fields=["due_at", "id"], name="visit_due_idx"),
            # An agent's callbacks today / this week: their scheduled visits, soonest first.
            models.Index(
                fields=["assignee", "due_at", "id"],
                name="visit_assignee_due_idx",
                condition=SCHEDULED,
            ),
            # The queues of visits nobody has taken, soonest first. Not led by department: a
            # manager of several departments reads their queues as one walk in due order, and
            # the walk is bounded by the desk's unclaimed backlog, not by the table.
            models.Index(
                fields=["due_at", "id"],
                name="visit_queue_due_idx",
                condition=SCHEDULED & Q(assignee__isnull=True),
            ),
            # Beat's reminder scan: only visits still waiting for their reminder.
            models.Index(
                fields=["remind_at"],
                name="visit_remind_idx",
                condition=SCHEDULED & Q(reminded_at__isnull=True),
            ),
            # Beat's missed scan: scheduled visits whose window has closed.
            models.Index(fields=["window_end"], name="visit_window_idx", condition=SCHEDULED),
            # The calendar's and the manager's grouped counts of a period (calendar_counts,
            # visit_rates_breakdown in selectors): every column they read, so a month of visits
            # is an index-only range, not ~30k heap rows. Visibility is tested on department and
            # assignee, the columns a visit's audience is made of (selectors.visible_by_columns).
            models.Index(
                fields=["due_at"],
                include=[
                    "status",
                    "department",
                    "assignee",
                    "window_end",
                    "completed_at",
                    "reached",
                    "new_issue_record",
                ],
                name="visit_due_counts_idx",
                condition=NOT_CANCELLED,
            ),
            # The 360° section and timeline.
            models.Index(fields=["customer", "-due_at", "-id"], name="visit_customer_idx"),
            # The record page's section and the subscriber's "already scheduled?" check.
            models.Index(
                fields=["source_record"],
                name="visit_record_idx",
                condition=Q(source_record__isnull=False),
            ),
        ]
        constraints = [
            _valid("purpose", Purpose, "visit"),
            _valid("method", Method, "visit"),
            _valid("status", VisitStatus, "visit"),
            # A rule never makes the same visit twice, whoever runs it and however often: two
            # scanners or a re-delivered event hit these and add nothing.
            models.UniqueConstraint(
                fields=["rule", "source_record"],
                condition=NOT_CANCELLED & Q(source_record__isnull=False, rule__isnull=False),
                name="one_visit_per_rule_record",
            ),
            # One open re-check per complaint (its record); a later round gets a new one.
            models.UniqueConstraint(
                fields=["source_record"],
                condition=Q(purpose="complaint_recheck", status="scheduled"),
                name="one_open_recheck_per_record",
            ),
            # Among scheduled visits: a merge may bring two finished ones of a period together.
            models.UniqueConstraint(
                fields=["rule", "customer", "period"],
                condition=SCHEDULED & Q(period__isnull=False, rule__isnull=False),
                name="one_visit_per_rule_customer_period",
            ),
            models.CheckConstraint(
                condition=Q(window_end__gte=models.F("due_at")), name="visit_window_after_due"
            ),
            models.CheckConstraint(
                condition=Q(satisfaction__isnull=True)
                | Q(satisfaction__gte=1, satisfaction__lte=5),
                name="visit_satisfaction_1_to_5",
            ),
            models.CheckConstraint(
                condition=~Q(status="done") | Q(completed_at__isnull=False, reached__isnull=False),
                name="visit_done_has_outcome",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.customer_id}"

    @property
    def reference(self) -> str:
        return self.reference_of(self.pk)

    @staticmethod
    def reference_of(pk: int | None) -> str:
        return f"CV-{pk:06d}" if pk else "CV-new"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("followups:detail", args=[self.pk])

    def timing(self, now=None) -> str:
        return visit_timing(
            status=self.status,
            due_at=self.due_at,
            window_end=self.window_end,
            now=now or timezone.now(),
        )


class CallbackAttempt(models.Model):
    """One call or trip. "Not reached" is an attempt, not a state: the visit stays scheduled."""

    visit = models.ForeignKey(CallbackVisit, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField(_("when"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reached = models.BooleanField(_("reached"))
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("callback attempt")
        verbose_name_plural = _("callback attempts")
        indexes = [models.Index(fields=["visit", "at"], name="attempt_visit_idx")]

    def __str__(self) -> str:
        return f"{self.visit_id} {self.at:%Y-%m-%d %H:%M} {'reached' if self.reached else '-'}"
