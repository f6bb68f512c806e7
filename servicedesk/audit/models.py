"""The service audit (服务审核系统, DOMAIN.md §6): check forms, quality reviews, the scorecard.

A check form (检查表格) lists the items a manager scores a handled record or complaint against;
the shipped one is the six steps as a grade form (品级表格). A review scores one subject against
one form, item by item; the reviewed agent sees it and acknowledges it once. The scorecard weighs
an agent's results, and satisfaction always carries the largest weight
(满意度项目的分数…比例是最大的).
"""

import operator
from functools import reduce

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from servicedesk.core.models import BilingualNameMixin, Department, TimeStampedModel, bilingual

MAX_ITEM_POINTS = 100
MAX_COMMENT = 4000
MAX_REPLY = 2000


def share_percent(share: float) -> float:
    """A share (0..1) as the percent the pages show, to one decimal."""
    return round(share * 100, 1)


class FormKind(models.TextChoices):
    CHECK = "check", _("Check form (daily work)")  # 检查表格
    GRADE = "grade", _("Grade form (measurable indicators)")  # 品级表格


class CheckForm(BilingualNameMixin, TimeStampedModel):
    key = models.SlugField(_("key"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=FormKind.choices, default="grade")
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Only active forms are offered for new reviews.")
    )
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["key"]
        verbose_name = _("check form")
        verbose_name_plural = _("check forms")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["check", "grade"]), name="audit_form_kind_valid"
            )
        ]


class CheckItem(models.Model):
    form = models.ForeignKey(CheckForm, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField(_("position"))
    label_en = models.CharField(_("item (English)"), max_length=200)
    label_zh = models.CharField(_("item (Chinese)"), max_length=200, blank=True)
    max_points = models.PositiveSmallIntegerField(
        _("maximum points"), default=5, help_text=_("A review scores the item from 0 to this.")
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["form", "position", "pk"]
        verbose_name = _("check item")
        verbose_name_plural = _("check items")
        constraints = [
            models.UniqueConstraint(fields=["form", "position"], name="audit_item_position"),
            models.CheckConstraint(
                condition=Q(max_points__gte=1, max_points__lte=MAX_ITEM_POINTS),
                name="audit_item_points_range",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return bilingual(self.label_en, self.label_zh)


class Review(models.Model):
    """One manager's scores of one handled record or complaint against one form."""

    form = models.ForeignKey(
        CheckForm, on_delete=models.PROTECT, related_name="reviews", verbose_name=_("form")
    )
    record = models.ForeignKey(
        "tickets.ServiceRecord",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_reviews",
        verbose_name=_("service record"),
    )
    complaint = models.ForeignKey(
        "tickets.Complaint",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="audit_reviews",
        verbose_name=_("complaint"),
    )
    # The subject's assignee when it was reviewed, and its lead department: the lists and the
    # per-agent averages filter and group on these columns without joining the subject.
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="audit_reviews",
        verbose_name=_("agent"),
    )
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_reviews",
        verbose_name=_("department"),
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_reviews_written",
        verbose_name=_("reviewer"),
    )
    # The total and the form's maximum at the time: items added later do not change old shares.
    points = models.PositiveIntegerField(_("points"))
    max_points = models.PositiveIntegerField(_("of a possible"))
    comment = models.TextField(_("comment"), blank=True, max_length=MAX_COMMENT)
    # Not auto_now_add: the demo back-dates reviews in the creating save.
    created_at = models.DateTimeField(_("reviewed"), default=timezone.now, editable=False)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    agent_reply = models.TextField(_("agent's reply"), blank=True, max_length=MAX_REPLY)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        indexes = [
            # The managers' list, newest first, and the averages over a period.
            models.Index(fields=["-created_at", "-id"], name="audit_review_recent_idx"),
            # An agent's own reviews (My reviews, the agent dashboard, the API for an agent).
            models.Index(fields=["agent", "-created_at", "-id"], name="audit_review_agent_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(record__isnull=False, complaint__isnull=True)
                | Q(record__isnull=True, complaint__isnull=False),
                name="audit_review_one_subject",
            ),
            models.UniqueConstraint(
                fields=["form", "record"],
                condition=Q(record__isnull=False),
                name="audit_one_review_per_record",
            ),
            models.UniqueConstraint(
                fields=["form", "complaint"],
                condition=Q(complaint__isnull=False),
                name="audit_one_review_per_complaint",
            ),
            models.CheckConstraint(
                condition=Q(max_points__gt=0, points__lte=F("max_points")),
                name="audit_review_points_range",
            ),
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=False) | Q(agent_reply=""),
                name="audit_reply_needs_acknowledgement",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject_key} · {self.form_id}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("audit:review", args=[self.pk])

    @property
    def subject_key(self) -> str:
        return f"record:{self.record_id}" if self.record_id else f"complaint:{self.complaint_id}"

    @property
    def share(self) -> float:
        return self.points / self.max_points

    @property
    def percent(self) -> float:
        return share_percent(self.share)


class ReviewScore(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="scores")
    item = models.ForeignKey(CheckItem, on_delete=models.PROTECT, related_name="scores")
    points = models.PositiveSmallIntegerField(_("points"))
    # The item's maximum when it was scored (an administrator may change the item later).
    max_points = models.PositiveSmallIntegerField(_("of a possible"))

    class Meta:
        ordering = ["review", "item__position", "pk"]
        verbose_name = _("review score")
        verbose_name_plural = _("review scores")
        constraints = [
            models.UniqueConstraint(fields=["review", "item"], name="audit_one_score_per_item"),
            models.CheckConstraint(
                condition=Q(points__lte=F("max_points")), name="audit_score_points_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.points}/{self.max_points}"


# The scorecard's parts, in the order pages and the API show them: (field, label).
SCORECARD_PARTS = (
    ("satisfaction_weight", _("Customer satisfaction")),
    ("complaints_weight", _("Complaints")),
    ("callbacks_weight", _("Callbacks on time")),
    ("reviews_weight", _("Review average")),
    ("targets_weight", _("Time-target compliance")),
)
OTHER_PARTS = tuple(name for name, _label in SCORECARD_PARTS if name != "satisfaction_weight")
DEFAULT_WEIGHTS = {
    "satisfaction_weight": 40,
    "complaints_weight": 20,
    "callbacks_weight": 15,
    "reviews_weight": 15,
    "targets_weight": 10,
}


def satisfaction_weighs_most() -> Q:
    return reduce(operator.and_, (Q(satisfaction_weight__gt=F(name)) for name in OTHER_PARTS))


def check_weights(weights: dict[str, int]) -> None:
    """The scorecard's rule, for forms, the API and the model's clean(): the weights add up to
    100 and satisfaction carries strictly the largest (the seeds: 满意度项目的分数…比例是最大的)."""
    errors = {}
    satisfaction = weights.get("satisfaction_weight") or 0
    heavier = [
        str(label)
        for name, label in SCORECARD_PARTS
        if name != "satisfaction_weight" and (weights.get(name) or 0) >= satisfaction
    ]
    if heavier:
        errors["satisfaction_weight"] = _(
            "Customer satisfaction must carry the largest weight, more than each other part; "
            "now it is not more than: %(parts)s."
        ) % {"parts": ", ".join(heavier)}
    total = sum(weights.get(name) or 0 for name, _label in SCORECARD_PARTS)
    if total != 100:
        errors[NON_FIELD_ERRORS] = _(
            "The weights are percentages and must add up to 100; now they add up to %(total)d."
        ) % {"total": total}
    if errors:
        raise ValidationError(errors)


class Scorecard(models.Model):
    """The agent scorecard's weights, in percent (they add up to 100). One row; each change is
    kept in its history. The database refuses a scheme in which satisfaction is not the largest
    weight, whatever path the write takes."""

    satisfaction_weight = models.PositiveSmallIntegerField(_("customer satisfaction"), default=40)
    complaints_weight = models.PositiveSmallIntegerField(_("complaints"), default=20)
    callbacks_weight = models.PositiveSmallIntegerField(_("callbacks on time"), default=15)
    reviews_weight = models.PositiveSmallIntegerField(_("review average"), default=15)
    targets_weight = models.PositiveSmallIntegerField(_("time-target compliance"), default=10)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("changed by"),
    )
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("agent scorecard")
        verbose_name_plural = _("agent scorecard")
        constraints = [
            models.CheckConstraint(
                condition=satisfaction_weighs_most(),
                name="audit_satisfaction_weighs_most",
            ),
            models.CheckConstraint(
                condition=Q(satisfaction_weight__lte=100), name="audit_weight_range"
            ),
        ]

    def __str__(self) -> str:
        return str(_("Agent scorecard"))

    @classmethod
    def current(cls) -> "Scorecard":
        """The scheme in force: the row, or the defaults (unsaved) before anyone set one."""
        return cls.objects.order_by("pk").first() or cls(**DEFAULT_WEIGHTS)

    @property
    def weights(self) -> dict[str, int]:
        return {name: getattr(self, name) for name, _label in SCORECARD_PARTS}

    def clean(self):
        check_weights(self.weights)
