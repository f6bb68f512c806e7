"""Complaints (投诉): a service record taken through the seeds' six steps, in order.

The steps are the first seed text's: 向对方表示尊重, 倾听对方谈话,理解对方, 重复对方的要求,
列出解决问题的办法或者各种可行方案, 采取行动,解决问题:记录下来,按期完成, 再检查一遍,确保令客户满意.
`Complaint.step` is the step to take next; taking it stores what the step asks for as a
ComplaintStepEntry and moves the complaint on through servicedesk.core.transitions (the table below
holds the two loops: not confirmed → listen again, not satisfied → options again).
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from servicedesk.core.models import Department, TimeStampedModel

from ..models import Priority, ServiceRecord


class Step(models.TextChoices):
    RESPECT = "respect", _("1 Show respect")  # 表示尊重
    LISTEN = "listen", _("2 Listen and understand")  # 倾听理解
    RESTATE = "restate", _("3 Restate the request")  # 重复要求
    OPTIONS = "options", _("4 List the options")  # 列出方案
    ACT = "act", _("5 Act on time")  # 采取行动
    RECHECK = "recheck", _("6 Re-check")  # 再检查
    CLOSED = "closed", _("Closed")


STEPS = [s for s in Step.values if s != Step.CLOSED]
# Steps from which the complaint's handling can be judged: what a quality review may score.
HANDLED_STEPS = (Step.ACT, Step.RECHECK, Step.CLOSED)

# Each step's own time target, counted from when the complaint reached it: calm the customer
# within the hour, have the options ready the next day. Step 5 is held to its actions' dates and
# the re-check to its callback's window, so neither has one here.
STEP_TARGETS: dict[str, timedelta | None] = {
    "respect": timedelta(hours=1),
    "listen": timedelta(hours=4),
    "restate": timedelta(hours=4),
    "options": timedelta(days=1),
    "act": None,
    "recheck": None,
}


def step_due(step: str, since):
    """When a step begun at `since` should be taken by: None for a step held to other dates
    (step 5 to its actions', step 6 to its visit's window) or a closed complaint."""
    target = STEP_TARGETS.get(step)
    return since + target if target else None


class Severity(models.TextChoices):
    GENERAL = "general", _("General")  # 一般
    SERIOUS = "serious", _("Serious")  # 较重
    SEVERE = "severe", _("Severe")  # 严重


# The record's priority, so the record's time targets apply to the complaint.
SEVERITY_PRIORITY = {
    Severity.GENERAL: Priority.NORMAL,
    Severity.SERIOUS: Priority.HIGH,
    Severity.SEVERE: Priority.URGENT,
}


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone")
    VISIT = "visit", _("In person")
    WRITTEN = "written", _("In writing")
    ONLINE = "online", _("Online")
    SURVEY = "survey", _("Low survey score")
    CALLBACK = "callback", _("Found on a callback")


class Remedy(models.TextChoices):
    REWORK = "rework", _("Rework")
    REPLACE = "replace", _("Replace")
    REFUND = "refund", _("Refund")
    REPAIR = "repair", _("Repair")
    COMPENSATE = "compensate", _("Compensate")
    APOLOGISE = "apologise", _("Apologise and explain")


class Outcome(models.TextChoices):
    SATISFIED = "satisfied", _("Customer satisfied")
    MANAGER_CLOSED = "manager_closed", _("Closed by a manager")


class Complaint(TimeStampedModel):
    """One complaint, one-to-one with its service record, which may be of any stage."""

    ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
        Step.RESPECT: frozenset({Step.LISTEN}),
        Step.LISTEN: frozenset({Step.RESTATE}),
        # Not confirmed: the request was not understood, so listen again.
        Step.RESTATE: frozenset({Step.LISTEN, Step.OPTIONS}),
        Step.OPTIONS: frozenset({Step.ACT}),
        Step.ACT: frozenset({Step.RECHECK}),
        # Not satisfied: back to the options; satisfied, or a manager's decision: closed.
        Step.RECHECK: frozenset({Step.OPTIONS, Step.CLOSED}),
        # Only a manager reopens (tickets.complaints.services.complaint_reopen).
        Step.CLOSED: frozenset({Step.OPTIONS}),
    }

    record = models.OneToOneField(
        ServiceRecord, on_delete=models.PROTECT, related_name="complaint", verbose_name=_("record")
    )
    about_record = models.ForeignKey(
        ServiceRecord,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints_about",
        verbose_name=_("complained about"),
        help_text=_("The record the customer complains about; it stays open."),
    )
    responsible_department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
        verbose_name=_("responsible department"),  # 责任环节
    )
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    severity = models.CharField(_("severity"), max_length=20, choices=Severity.choices)
    wants_manager = models.BooleanField(_("asked for a manager"), default=False)
    step = models.CharField(_("step"), max_length=20, choices=Step.choices, default=Step.RESPECT)
    step_since = models.DateTimeField(_("on this step since"), default=timezone.now)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    close_reason = models.TextField(_("why it was closed"), blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # The record's creation time, which never changes, kept here so that the dashboards find a
    # period's complaints by an index of their own (complaint_record_created_idx) and join only
    # those records, instead of walking every record of the period to find the few complained of.
    record_created_at = models.DateTimeField(_("record opened"), editable=False)
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords(excluded_fields=["updated_at", "record_created_at"])

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        indexes = [
            models.Index(fields=["step", "id"], name="complaint_step_idx"),
            models.Index(fields=["record_created_at"], name="complaint_record_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(step__in=Step.values), name="complaint_step_valid"),
            models.CheckConstraint(
                condition=~Q(step=Step.CLOSED) | ~Q(outcome=""), name="complaint_closed_has_outcome"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.record.reference} {self.get_step_display()}"

    def save(self, *args, **kwargs):
        if self.record_created_at is None:
            self.record_created_at = self.record.created_at
        super().save(*args, **kwargs)

    @property
    def step_due_at(self):
        """When the current step should be taken by (None: no target of its own, or closed)."""
        return step_due(self.step, self.step_since)

    @property
    def step_late(self) -> bool:
        due = self.step_due_at
        return due is not None and timezone.now() > due


class ComplaintStepEntry(models.Model):
    """What one step recorded. A step taken again after a loop is a new round; an entry can be
    revised until the next step is taken, and its history keeps every revision."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="entries")
    step = models.CharField(_("step"), max_length=20, choices=Step.choices)
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    data = models.JSONField(_("what was recorded"), default=dict)
    started_at = models.DateTimeField(_("started"))
    taken_at = models.DateTimeField(_("taken"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords()

    class Meta:
        ordering = ["taken_at", "pk"]
        verbose_name = _("complaint step")
        verbose_name_plural = _("complaint steps")
        constraints = [
            models.UniqueConstraint(
                fields=["complaint", "step", "round"], name="one_entry_per_step_round"
            )
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.step} #{self.round}"


def overdue_actions(today=None) -> Q:
    """An action still open after its date: the lists' "overdue", the escalation and the
    dashboards all count it this way."""
    return Q(done_at=None, due_date__lt=today or timezone.localdate())


class ComplaintAction(models.Model):
    """Step 5's work (记录下来,按期完成): each action has an owner and a due date. Telling the
    customer in advance moves the date; past due without that is a surprise breach."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="actions")
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    description = models.CharField(_("action"), max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="complaint_actions",
        verbose_name=_("owner"),
    )
    due_date = models.DateField(_("due"))
    record = models.ForeignKey(
        ServiceRecord,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("linked record"),
    )
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    told_at = models.DateTimeField(_("customer told in advance"), null=True, blank=True)
    original_due_date = models.DateField(_("first due date"), null=True, blank=True)
    # Beat's claims: the owner is reminded once before the date, the managers told once after.
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    escalated_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["due_date", "pk"]
        verbose_name = _("complaint action")
        verbose_name_plural = _("complaint actions")
        indexes = [
            # The reminder and escalation scans: open actions by due date.
            models.Index(
                fields=["due_date"], name="complaint_action_open_idx", condition=Q(done_at=None)
            )
        ]

    def __str__(self) -> str:
        return self.description
