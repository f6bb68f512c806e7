"""Staff feedback (员工信息反馈, seed `004`) and internal customers (内部客户, `000`, `003`).

The seed's employee feedback system has four parts, each a model here:
- daily cases: 每天口头反馈客户服务成功的案例, 通报客户服务失败的例子 (DailyCase, a manager
  shares them);
- the suggestion box: 及时收集员工对服务的合理建议 (Suggestion, with its status flow);
- staff meetings: 通过员工座谈会的形式进行客户服务评估讨论 (Meeting);
- internal customers: a department that receives the work of an upstream one rates the handover
  (HandoverRating), one rating per record and pair of departments.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from servicedesk.core.models import Department, TimeStampedModel


class CaseKind(models.TextChoices):
    SUCCESS = "success", _("Success case")  # 成功案例
    FAILURE = "failure", _("Failure case")  # 失败例子


class DailyCase(TimeStampedModel):
    """One day's success or failure, told by any staff member; a manager shares it with the team.

    Who sees it is on the row: shared cases (shared_at set) and one's own; managers see all.
    """

    kind = models.CharField(_("kind"), max_length=10, choices=CaseKind.choices)
    title = models.CharField(_("title"), max_length=200)
    happened = models.TextField(_("what happened"))
    lesson = models.TextField(_("what we learn"))
    record = models.ForeignKey(
        "tickets.ServiceRecord",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("service record"),
    )
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("department"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="feedback_cases",
        verbose_name=_("told by"),
        db_index=False,  # case_author_idx leads with it
    )
    case_date = models.DateField(_("day"), default=timezone.localdate)
    shared_at = models.DateTimeField(_("shared with the team"), null=True, blank=True)
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("shared by"),
    )

    class Meta:
        ordering = ["-case_date", "-id"]
        verbose_name = _("daily case")
        verbose_name_plural = _("daily cases")
        indexes = [
            # The team's shared cases, newest day first (the team page and the "shared" list).
            models.Index(
                fields=["-case_date", "-id"],
                name="case_shared_idx",
                condition=Q(shared_at__isnull=False),
            ),
            # My cases.
            models.Index(fields=["author", "-case_date", "-id"], name="case_author_idx"),
            # A manager's whole list.
            models.Index(fields=["-case_date", "-id"], name="case_day_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=CaseKind.values), name="case_kind_valid"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_shared(self) -> bool:
        return self.shared_at is not None


class SuggestionStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    UNDER_REVIEW = "under_review", _("Under review")
    ACCEPTED = "accepted", _("Accepted")
    IMPLEMENTED = "implemented", _("Implemented")
    DECLINED = "declined", pgettext_lazy("suggestion status", "Declined")


class Suggestion(TimeStampedModel):
    """员工合理建议: a staff member's suggestion. The author is always stored; with `is_anonymous`
    the selectors hide it from every agent but the author (managers still see it)."""

    ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
        SuggestionStatus.SUBMITTED: frozenset(
            {SuggestionStatus.UNDER_REVIEW, SuggestionStatus.DECLINED}
        ),
        SuggestionStatus.UNDER_REVIEW: frozenset(
            {SuggestionStatus.ACCEPTED, SuggestionStatus.DECLINED}
        ),
        SuggestionStatus.ACCEPTED: frozenset({SuggestionStatus.IMPLEMENTED}),
        SuggestionStatus.IMPLEMENTED: frozenset(),
        SuggestionStatus.DECLINED: frozenset(),
    }
    # Moves that must say why (the author is told the reason).
    REASON_REQUIRED = frozenset({SuggestionStatus.DECLINED})

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("suggestion"))
    is_anonymous = models.BooleanField(
        _("anonymous to colleagues"),
        default=False,
        help_text=_("Colleagues do not see your name; managers still do."),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="feedback_suggestions",
        verbose_name=_("author"),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=SuggestionStatus.choices,
        default=SuggestionStatus.SUBMITTED,
    )
    response = models.TextField(
        _("manager's answer"),
        blank=True,
        help_text=_("Why it was declined, or what happens next."),
    )
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("suggestion")
        verbose_name_plural = _("suggestions")
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="suggestion_created_idx"),
            models.Index(fields=["status", "-created_at", "-id"], name="suggestion_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=SuggestionStatus.values), name="suggestion_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(response=""),
                name="suggestion_declined_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Meeting(TimeStampedModel):
    """员工座谈会: a staff meeting's minutes. Managers write them; everyone reads them."""

    held_on = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=200)
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("department"),
    )
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("attendees")
    )
    notes = models.TextField(_("notes"), blank=True)
    decisions = models.TextField(
        _("decisions and follow-up items"),
        blank=True,
        help_text=_("One per line, e.g. “Call back every installation within 24 h — Wang Li”."),
    )
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("written by"),
    )
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("staff meeting")
        verbose_name_plural = _("staff meetings")
        indexes = [models.Index(fields=["-held_on", "-id"], name="meeting_held_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def decision_items(self) -> list[str]:
        return [line.strip() for line in self.decisions.splitlines() if line.strip()]


class HandoverRating(TimeStampedModel):
    """内部客户: the receiving department rates the handover it got from the upstream one on a
    record both work on (its lead and collaborating departments)."""

    record = models.ForeignKey(
        "tickets.ServiceRecord",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("service record"),
        db_index=False,  # one_handover_rating leads with it
    )
    from_department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("handed over by"),
    )
    to_department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("received by"),
    )
    score = models.PositiveSmallIntegerField(_("rating (1–5)"))
    comment = models.TextField(_("comment"), blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("rated by"),
    )
    # Not auto_now_add: the demo back-dates ratings over three months.
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("handover rating")
        verbose_name_plural = _("handover ratings")
        indexes = [
            # The internal-customer table reads one period, grouped by pair.
            models.Index(fields=["created_at"], name="handover_created_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["record", "from_department", "to_department"],
                name="one_handover_rating",
            ),
            models.CheckConstraint(
                condition=Q(score__gte=1, score__lte=5), name="handover_score_range"
            ),
            models.CheckConstraint(
                condition=~Q(from_department=models.F("to_department")),
                name="handover_two_departments",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.record_id}: {self.from_department_id} → {self.to_department_id}"
