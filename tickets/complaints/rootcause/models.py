"""Root cause: bones of the fishbone, a closed complaint's filed cause, the fishbone workshop
and the corrective actions either one leads to."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from servicedesk.core.models import BilingualNameMixin, Department, TimeStampedModel

from ..models import Complaint

# The five whys: a chain is asked at least once and at most five levels deep.
MAX_WHYS = 5
# 列出至少20个解决方法: corrective actions are chosen only from a long enough list.
MIN_SOLUTIONS = 20


class CauseBone(BilingualNameMixin, models.Model):
    """One bone of the fishbone (人, 流程, 产品, …). Administrators edit the list in the admin;
    a bone in use is retired (`is_active`), not deleted, so filed causes keep their bone."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("fishbone bone")
        verbose_name_plural = _("fishbone bones")

    def __str__(self) -> str:
        return self.name


class ComplaintCause(TimeStampedModel):
    """A closed complaint's root cause: its bone, the five-whys chain (a JSON list of 1 to 5
    texts, validated by the service: the chain is read and written whole, never queried by level)
    and a summary. Refiled under a version check, and its history keeps each filing."""

    complaint = models.OneToOneField(
        Complaint, on_delete=models.CASCADE, related_name="cause", verbose_name=_("complaint")
    )
    bone = models.ForeignKey(
        CauseBone, on_delete=models.PROTECT, related_name="complaint_causes", verbose_name=_("bone")
    )
    whys = models.JSONField(_("five whys"), default=list)
    summary = models.TextField(_("root cause"))
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    filed_at = models.DateTimeField(_("filed"))
    version = models.PositiveIntegerField(default=1)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("complaint cause")
        verbose_name_plural = _("complaint causes")

    def __str__(self) -> str:
        return f"{self.complaint_id}: {self.bone}"


class FishboneWorkshop(TimeStampedModel):
    """鱼骨图分析会: a meeting that writes the problem at the fish's head, files causes on the bones
    with their whys, brainstorms solutions and chooses corrective actions from them."""

    # The meeting's ground rule, shown on its page in the reader's language: not stored per
    # workshop, since it is the method's rule and not something a facilitator words anew.
    NO_BLAME = _("No blame (杜绝相互指责): we look for causes, not culprits.")

    problem = models.CharField(_("problem"), max_length=300)
    department = models.ForeignKey(
        Department,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("department"),
    )
    period_from = models.DateField(_("period from"), null=True, blank=True)
    period_to = models.DateField(_("period to"), null=True, blank=True)
    held_on = models.DateField(_("held on"))
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="facilitated_workshops",
        verbose_name=_("facilitator"),
    )
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="fishbone_workshops",
        verbose_name=_("participants"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-held_on", "-pk"]
        verbose_name = _("fishbone workshop")
        verbose_name_plural = _("fishbone workshops")
        constraints = [
            models.CheckConstraint(
                condition=Q(period_from=None)
                | Q(period_to=None)
                | Q(period_to__gte=models.F("period_from")),
                name="workshop_period_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.problem

    @property
    def no_blame(self) -> str:
        return str(self.NO_BLAME)


class WorkshopCause(models.Model):
    workshop = models.ForeignKey(FishboneWorkshop, on_delete=models.CASCADE, related_name="causes")
    bone = models.ForeignKey(
        CauseBone, on_delete=models.PROTECT, related_name="workshop_causes", verbose_name=_("bone")
    )
    text = models.CharField(_("cause"), max_length=300)
    whys = models.JSONField(_("five whys"), default=list)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("workshop cause")
        verbose_name_plural = _("workshop causes")

    def __str__(self) -> str:
        return self.text


class WorkshopSolution(models.Model):
    # No index of its own: the unique (workshop, lower(text)) index below leads with it.
    workshop = models.ForeignKey(
        FishboneWorkshop, on_delete=models.CASCADE, related_name="solutions", db_index=False
    )
    text = models.CharField(_("solution"), max_length=300)
    chosen = models.BooleanField(_("chosen"), default=False)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("workshop solution")
        verbose_name_plural = _("workshop solutions")
        constraints = [
            # The twenty are twenty different ideas: the same one twice does not count twice.
            models.UniqueConstraint("workshop", Lower("text"), name="workshop_solution_unique_text")
        ]

    def __str__(self) -> str:
        return self.text


class CorrectiveAction(TimeStampedModel):
    """Work that removes a cause: from one complaint's filed cause, or chosen at a workshop."""

    cause = models.ForeignKey(
        ComplaintCause, null=True, blank=True, on_delete=models.CASCADE, related_name="actions"
    )
    workshop = models.ForeignKey(
        FishboneWorkshop, null=True, blank=True, on_delete=models.CASCADE, related_name="actions"
    )
    # The workshop solution it was chosen from: one action per solution, so choosing twice
    # cannot plan the same work twice.
    solution = models.OneToOneField(
        WorkshopSolution, null=True, blank=True, on_delete=models.CASCADE, related_name="action"
    )
    description = models.CharField(_("corrective action"), max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="corrective_actions",
        verbose_name=_("owner"),
    )
    due_date = models.DateField(_("due"))
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["due_date", "pk"]
        verbose_name = _("corrective action")
        verbose_name_plural = _("corrective actions")
        constraints = [
            models.CheckConstraint(
                condition=Q(cause__isnull=False, workshop__isnull=True)
                | Q(cause__isnull=True, workshop__isnull=False),
                name="corrective_action_one_parent",
            )
        ]

    def __str__(self) -> str:
        return self.description
