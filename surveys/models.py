"""Satisfaction surveys (满意度调查): templates of questions, invitations sent as single-use links,
and the answers they bring back (DOMAIN.md §5).

An invitation's token is shown once, in the link; only its SHA-256 is stored (core.hash_token), so
a copy of the database cannot answer anyone's survey. A response is one-to-one with its invitation:
two tabs submitting at once store one response, the database refusing the second.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from servicedesk.core.models import BilingualNameMixin, TimeStampedModel, bilingual


class Purpose(models.TextChoices):
    AFTER_SERVICE = "after_service", _("After a service")
    AFTER_CALLBACK = "after_callback", _("After a callback")
    COMPLAINT_RECHECK = "complaint_recheck", _("Complaint re-check")
    SERVICE_QUALITY = "service_quality", _("Service quality")


class Kind(models.TextChoices):
    RATING = "rating", _("Rating 1–5")
    NPS = "nps", _("Likelihood to recommend 0–10")
    CHOICE = "choice", _("Single choice")
    TEXT = "text", _("Free text")


class Aim(models.TextChoices):
    """The seeds' five things feedback should find out."""

    SATISFACTION = "satisfaction", _("How satisfied")  # 满意达到什么程度
    WANTS = "wants", _("What they really want")  # 到底想要什么
    APPRECIATES = "appreciates", _("What they appreciate")  # 欣赏哪些方面
    COMPLAINTS = "complaints", _("Common complaints")  # 普遍抱怨
    SUGGESTIONS = "suggestions", _("Suggestions")  # 改进服务有什么建议


class Standard(models.IntegerChoices):
    """优质服务的国际标准: the six standards of quality service."""

    SKILL = 1, _("Standard work and skill")  # 规范化和技能化
    ATTITUDE = 2, _("Attitude and behaviour")  # 态度与行为
    ACCESS = 3, _("Approachability and flexibility")  # 可亲近性和灵活性
    RELIABILITY = 4, _("Reliability and loyalty")  # 可靠性和忠诚度
    RECOVERY = 5, _("Self-repair")  # 自我修复
    REPUTATION = 6, _("Reputation and credibility")  # 名誉和可信性


# 满足客户的物化需求与情感需求: the standards that serve each kind of need.
TANGIBLE_STANDARDS = frozenset({Standard.SKILL, Standard.RECOVERY})
EMOTIONAL_STANDARDS = frozenset(
    {Standard.ATTITUDE, Standard.ACCESS, Standard.RELIABILITY, Standard.REPUTATION}
)

RATING_RANGE = range(1, 6)
NPS_RANGE = range(0, 11)
MAX_TEXT = 4000


class SurveyTemplate(BilingualNameMixin, TimeStampedModel):
    key = models.SlugField(_("key"), max_length=40, unique=True)
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    intro_en = models.TextField(_("introduction (English)"), blank=True)
    intro_zh = models.TextField(_("introduction (Chinese)"), blank=True)
    # What will be done with the answers: the first barrier the seeds name is customers' doubt.
    commitment_en = models.TextField(_("commitment (English)"))
    commitment_zh = models.TextField(_("commitment (Chinese)"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Gifts and prize draws bias the answers: off unless an administrator turns them on.
    offers_gift = models.BooleanField(_("offers a gift"), default=False)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["key"]
        verbose_name = _("survey template")
        verbose_name_plural = _("survey templates")

    @property
    def intro(self) -> str:
        return bilingual(self.intro_en, self.intro_zh)

    @property
    def commitment(self) -> str:
        return bilingual(self.commitment_en, self.commitment_zh)


class Question(models.Model):
    template = models.ForeignKey(SurveyTemplate, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    aim = models.CharField(_("aim"), max_length=20, choices=Aim.choices)
    text_en = models.CharField(_("question (English)"), max_length=300)
    text_zh = models.CharField(_("question (Chinese)"), max_length=300, blank=True)
    required = models.BooleanField(_("required"), default=True)
    # The template's headline rating: CSAT and the low-score loop read it.
    is_main = models.BooleanField(_("main rating"), default=False)
    # Single choice: [{"value": "yes", "en": "Yes", "zh": "是"}, ...]
    choices = models.JSONField(_("choices"), default=list, blank=True)
    standard = models.PositiveSmallIntegerField(
        _("quality standard"), choices=Standard.choices, null=True, blank=True
    )

    class Meta:
        ordering = ["template", "position"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [
            models.UniqueConstraint(
                fields=["template", "position"], name="survey_question_position"
            ),
            models.UniqueConstraint(
                fields=["template"], condition=Q(is_main=True), name="survey_one_main_rating"
            ),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        return bilingual(self.text_en, self.text_zh)

    def choice_pairs(self) -> list[tuple[str, str]]:
        return [
            (c["value"], bilingual(c.get("en", c["value"]), c.get("zh", ""))) for c in self.choices
        ]


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Read out on a call")  # entered by staff, reported apart
    LINK = "link", _("Link handed over")


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting an answer")
    OPENED = "opened", _("Opened")
    ANSWERED = "answered", _("Answered")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = (InvitationStatus.PENDING, InvitationStatus.OPENED)


class SurveyInvitation(models.Model):
    template = models.ForeignKey(SurveyTemplate, on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="survey_invitations"
    )
    # What it follows: one of a record, a visit or a complaint; `subject` names it for the rule
    # "one open invitation per customer and subject" (a constraint, so a race adds no second).
    record = models.ForeignKey(
        "tickets.ServiceRecord", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    visit = models.ForeignKey(
        "followups.CallbackVisit",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    complaint = models.ForeignKey(
        "tickets.Complaint", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject = models.CharField(_("follows"), max_length=40)
    # Where the customer's journey was when asked: satisfaction per stage and per department.
    stage = models.CharField(_("stage"), max_length=20, blank=True)
    department = models.ForeignKey(
        "core.Department", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("agent"),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    email = models.EmailField(_("sent to"), blank=True)
    # The token is derived from this salt under SECRET_KEY (surveys.services.token_for); only
    # its hash is stored, for the look-up.
    token_salt = models.CharField(max_length=32, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=InvitationStatus.choices, default="pending"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "subject"],
                condition=Q(status__in=OPEN_STATUSES),
                name="survey_one_open_invitation",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="survey_inv_customer"),
            # The response rate over a period (selectors.RATE_COUNTS), by template, department,
            # agent or stage: one index-only range scan on PostgreSQL.
            models.Index(
                fields=["created_at"],
                include=[
                    "id",
                    "template",
                    "status",
                    "sent_at",
                    "channel",
                    "department",
                    "agent",
                    "stage",
                ],
                name="survey_inv_created",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template_id}/{self.subject}"

    def is_expired(self, now=None) -> bool:
        return (now or timezone.now()) >= self.expires_at


class SurveyResponse(models.Model):
    # One-to-one: a second submit of the same link (another tab, a retry) cannot store twice.
    invitation = models.OneToOneField(
        SurveyInvitation, on_delete=models.PROTECT, related_name="response"
    )
    template = models.ForeignKey(SurveyTemplate, on_delete=models.PROTECT, related_name="responses")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="survey_responses"
    )
    submitted_at = models.DateTimeField(_("answered"), default=timezone.now)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("entered by"),
    )
    # Copied from the answers and the invitation so that scores are one indexed aggregate.
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    nps = models.PositiveSmallIntegerField(_("likelihood to recommend"), null=True, blank=True)
    stage = models.CharField(_("stage"), max_length=20, blank=True)
    department = models.ForeignKey(
        "core.Department", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The invitation's agent, copied like the department so that who may see a response is
    # decided on the response's own indexed columns (selectors.response_visible).
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("agent"),
        db_index=False,  # survey_resp_agent leads with it
    )
    is_low = models.BooleanField(_("low score"), default=False)
    complaint = models.ForeignKey(
        "tickets.Complaint", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    wants_meeting = models.BooleanField(_("customer meeting"), default=False)
    wants_supervisor = models.BooleanField(_("customer supervisor"), default=False)
    wants_contact = models.BooleanField(_("a manager to contact me"), default=False)

    class Meta:
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        indexes = [
            models.Index(fields=["-submitted_at", "-id"], name="survey_resp_recent"),
            models.Index(fields=["template", "-submitted_at", "-id"], name="survey_resp_template"),
            # An agent's list: their departments' answers and those about their own work.
            models.Index(
                fields=["department", "-submitted_at", "-id"], name="survey_resp_department"
            ),
            models.Index(fields=["agent", "-submitted_at", "-id"], name="survey_resp_agent"),
            models.Index(
                fields=["-submitted_at", "-id"], condition=Q(is_low=True), name="survey_resp_low"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="survey_rating_1_5",
            ),
            models.CheckConstraint(
                condition=Q(nps__isnull=True) | Q(nps__lte=10), name="survey_nps_0_10"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk}"


class Answer(models.Model):
    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    number = models.PositiveSmallIntegerField(null=True, blank=True)
    choice = models.CharField(max_length=40, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="survey_one_answer"),
        ]

    def __str__(self) -> str:
        return f"{self.response_id}/{self.question_id}"


class SurveyPolicy(models.Model):
    """The desk's survey settings, one row, edited by administrators (defaults are the desk's own:
    the seeds give no numbers)."""

    min_days_between = models.PositiveSmallIntegerField(
        _("days between surveys of one customer"), default=30
    )
    expiry_days = models.PositiveSmallIntegerField(_("link valid for (days)"), default=14)
    low_rating = models.PositiveSmallIntegerField(_("low rating: at most"), default=2)
    low_nps = models.PositiveSmallIntegerField(_("low likelihood to recommend: at most"), default=6)
    after_resolution = models.BooleanField(_("invite after a record is resolved"), default=True)
    # Empty: every stage.
    resolution_stages = models.JSONField(_("stages invited after resolution"), default=list)
    after_callback = models.BooleanField(_("invite after a callback is done"), default=True)
    after_recheck = models.BooleanField(_("invite at a complaint re-check"), default=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = _("survey policy")
        verbose_name_plural = _("survey policy")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> "SurveyPolicy":
        return cls.objects.order_by("pk").first() or cls()


# --- daily rollups (surveys.rollups) --------------------------------------------------------------
# Closed days' responses and answers, summed per day in the desk's time zone, so that a 90-day
# results page or dashboard reads a few thousand sums instead of tens of thousands of answers.
# A day is read from them only once its RolledDay row exists; until then, or after a change
# reopens it, it is counted from the responses themselves, so the figures are always exact.


class RolledDay(models.Model):
    day = models.DateField(primary_key=True)
    rolled_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.day.isoformat()


class DaySums(models.Model):
    """Responses of one day with one key: how many, how many low, and how many gave each main
    rating (1-5) and each likelihood to recommend (0-10). Departments and agents are plain ids,
    0 for none, so that the key can be unique."""

    day = models.DateField()
    template_id = models.PositiveIntegerField()
    stage = models.CharField(max_length=20, blank=True)
    department_key = models.PositiveIntegerField(default=0)
    staff = models.BooleanField(default=False)  # entered by staff from a call
    answers = models.PositiveIntegerField(default=0)
    low = models.PositiveIntegerField(default=0)
    r1 = models.PositiveIntegerField(default=0)
    r2 = models.PositiveIntegerField(default=0)
    r3 = models.PositiveIntegerField(default=0)
    r4 = models.PositiveIntegerField(default=0)
    r5 = models.PositiveIntegerField(default=0)
    n0 = models.PositiveIntegerField(default=0)
    n1 = models.PositiveIntegerField(default=0)
    n2 = models.PositiveIntegerField(default=0)
    n3 = models.PositiveIntegerField(default=0)
    n4 = models.PositiveIntegerField(default=0)
    n5 = models.PositiveIntegerField(default=0)
    n6 = models.PositiveIntegerField(default=0)
    n7 = models.PositiveIntegerField(default=0)
    n8 = models.PositiveIntegerField(default=0)
    n9 = models.PositiveIntegerField(default=0)
    n10 = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.day}/{self.template_id}"


class SurveyDay(DaySums):
    """Per template, stage, department and channel: what every read without an agent uses (a
    tenth of the rows of the per-agent sums)."""

    class Meta:
        constraints = [
            # Two rolls of one day at once: the second's rows collide and it retries.
            models.UniqueConstraint(
                fields=["day", "template_id", "stage", "department_key", "staff"],
                name="survey_day_key",
            ),
        ]


class SurveyAgentDay(DaySums):
    """The same sums per agent too, for figures about one agent or grouped by agent."""

    agent_key = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agent_key", "day", "template_id", "stage", "department_key", "staff"],
                name="survey_agent_day_key",
            ),
        ]


class AnswerDay(models.Model):
    """Answers of one day to one question (and, for a choice question, one option)."""

    day = models.DateField()
    template_id = models.PositiveIntegerField()
    question_id = models.PositiveIntegerField()
    choice = models.CharField(max_length=40, blank=True)
    n = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)  # sum of the numbers answered

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["template_id", "day", "question_id", "choice"], name="survey_answer_day_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day}/{self.question_id}"


# The invitations of a closed day, summed by the day they were made (the response rate's base).
# Their own marker, apart from RolledDay: an answer arriving days after its invitation reopens the
# invitation's day, and must not send that day's responses back to being counted one by one.


class InvitationRolledDay(models.Model):
    day = models.DateField(primary_key=True)
    rolled_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.day.isoformat()


class InvitationDay(models.Model):
    """Invitations made on one day with one key, cancelled ones left out: how many, how many
    delivered and how many answered (selectors.RATE_COUNTS). Departments are plain ids, 0 for
    none."""

    day = models.DateField()
    template_id = models.PositiveIntegerField()
    stage = models.CharField(max_length=20, blank=True)
    department_key = models.PositiveIntegerField(default=0)
    invited = models.PositiveIntegerField(default=0)
    delivered = models.PositiveIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "template_id", "stage", "department_key"],
                name="survey_invitation_day_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day}/{self.template_id}"
