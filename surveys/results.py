"""The results pages' figures: per template over a period, beside the period before it.

Selectors-style reads. Every figure is an aggregate in SQL and each function runs a fixed number
of queries whatever the number of answers (the pages pin it), so 300,000 answers cost what 30 do
in round trips. CSAT, NPS, the response rate and the satisfaction chain are surveys.selectors'
own; this module only groups and arranges them. A figure with nothing to divide by is None (the
page shows "—"), never 0.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.expressions import Window
from django.db.models.functions import RowNumber, TruncWeek
from django.utils import timezone

from servicedesk.core.models import Department
from tickets.models import Stage

from . import selectors
from .models import (
    EMOTIONAL_STANDARDS,
    TANGIBLE_STANDARDS,
    Aim,
    Answer,
    InvitationStatus,
    Kind,
    Question,
    SurveyInvitation,
    SurveyResponse,
    SurveyTemplate,
)

DEFAULT_PERIOD_DAYS = 90
MAX_PERIOD_DAYS = 366
LATEST_TEXTS = 3  # free-text answers shown per question


# --- the period -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Whole days, `since` to `until` inclusive, in the user's time zone."""

    since: date
    until: date

    @classmethod
    def default(cls, today: date | None = None) -> "Period":
        until = today or timezone.localdate()
        return cls(until - timedelta(days=DEFAULT_PERIOD_DAYS - 1), until)

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    def previous(self) -> "Period":
        """The as-long period just before, for comparison."""
        return Period(self.since - timedelta(days=self.days), self.since - timedelta(days=1))

    def bounds(self) -> tuple[datetime, datetime]:
        """[start of `since`, start of the day after `until`)."""
        tz = timezone.get_current_timezone()
        start = timezone.make_aware(datetime.combine(self.since, time.min), tz)
        end = timezone.make_aware(datetime.combine(self.until + timedelta(days=1), time.min), tz)
        return start, end


def responses_in(period: Period, template_id: int | None = None) -> QuerySet[SurveyResponse]:
    start, end = period.bounds()
    responses = SurveyResponse.objects.filter(submitted_at__gte=start, submitted_at__lt=end)
    return responses if template_id is None else responses.filter(template_id=template_id)


def invitations_in(period: Period, template_id: int | None = None) -> QuerySet[SurveyInvitation]:
    """Invitations made in the period: their answers may come later, as the rate asks."""
    start, end = period.bounds()
    invitations = SurveyInvitation.objects.filter(created_at__gte=start, created_at__lt=end)
    return invitations if template_id is None else invitations.filter(template_id=template_id)


# --- scores grouped by a key (one query for many sets) --------------------------------------------
# selectors.scores and selectors.response_rate read one set each; the overview needs them for
# every template and the page for staff-entered and customers' own answers: the same counts
# (selectors.SCORE_COUNTS, RATE_COUNTS), grouped in one query.

EMPTY_SCORES = selectors.Scores(answers=0, rated=0, csat=None, nps=None, nps_answers=0, low=0)


def scores_grouped(responses: QuerySet[SurveyResponse], key: str) -> dict:
    """{value of `key`: Scores} over `responses`, in one query."""
    rows = responses.values(key).annotate(**selectors.SCORE_COUNTS).order_by(key)
    return {row[key]: selectors.scores_of(row) for row in rows}


def response_rate_grouped(invitations: QuerySet[SurveyInvitation], key: str) -> dict:
    """{value of `key`: answered / delivered} as selectors.response_rate counts them."""
    rows = (
        invitations.exclude(status=InvitationStatus.CANCELLED)
        .values(key)
        .annotate(**selectors.RATE_COUNTS)
        .order_by(key)
    )
    return {row[key]: selectors.rate_of(row) for row in rows}


# --- the overview ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateLine:
    template: SurveyTemplate
    scores: selectors.Scores
    previous: selectors.Scores
    rate: float | None
    previous_rate: float | None


def overview(period: Period) -> list[TemplateLine]:
    """Every template with its headline figures in the period and the one before: 5 queries."""
    before = period.previous()
    now, then = (scores_grouped(responses_in(p), "template_id") for p in (period, before))
    rate, rate_then = (
        response_rate_grouped(invitations_in(p), "template_id") for p in (period, before)
    )
    return [
        TemplateLine(
            template=t,
            scores=now.get(t.pk, EMPTY_SCORES),
            previous=then.get(t.pk, EMPTY_SCORES),
            rate=rate.get(t.pk),
            previous_rate=rate_then.get(t.pk),
        )
        for t in SurveyTemplate.objects.order_by("-is_active", "key")
    ]


# --- one template's results -----------------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    scores: selectors.Scores
    previous: selectors.Scores
    rate: float | None
    previous_rate: float | None
    own: selectors.Scores  # answered by the customers themselves
    staff: selectors.Scores  # read out on a call and entered by staff: reported apart


def headline(template_id: int, period: Period) -> Headline:
    """The headline figures and the previous period's: 5 queries."""
    before = period.previous()
    responses = responses_in(period, template_id)
    by_whom = scores_grouped(
        responses.annotate(
            staff=ExpressionWrapper(Q(entered_by__isnull=False), output_field=BooleanField())
        ),
        "staff",
    )
    return Headline(
        scores=selectors.scores(responses),
        previous=selectors.scores(responses_in(before, template_id)),
        rate=selectors.response_rate(invitations_in(period, template_id)),
        previous_rate=selectors.response_rate(invitations_in(before, template_id)),
        own=by_whom.get(False, EMPTY_SCORES),
        staff=by_whom.get(True, EMPTY_SCORES),
    )


@dataclass(frozen=True)
class Distribution:
    """How many answered each value of the main rating (1-5) and of the 0-10 likelihood."""

    rating: dict  # {1: n, ..., 5: n}
    nps: dict  # {0: n, ..., 10: n}

    @property
    def rated(self) -> int:
        return sum(self.rating.values())

    @property
    def nps_answers(self) -> int:
        return sum(self.nps.values())


def distribution(responses: QuerySet[SurveyResponse]) -> Distribution:
    """One grouped query (at most 6 x 12 groups), split in Python."""
    rating = dict.fromkeys(range(1, 6), 0)
    nps = dict.fromkeys(range(0, 11), 0)
    rows = responses.values("rating", "nps").annotate(n=Count("pk")).order_by()
    for row in rows:
        if row["rating"] is not None:
            rating[row["rating"]] += row["n"]
        if row["nps"] is not None:
            nps[row["nps"]] += row["n"]
    return Distribution(rating=rating, nps=nps)


@dataclass(frozen=True)
class Week:
    start: date  # the Monday
    answers: int
    rated: int
    csat: float | None


def _as_date(value) -> date:
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value, timezone.get_current_timezone())
        return value.date()
    return value


def trend(responses: QuerySet[SurveyResponse], period: Period) -> list[Week]:
    """Answers and CSAT per week (weeks start on Monday, in the user's time zone), every week of
    the period listed, an empty one with no CSAT: one query."""
    rows = (
        responses.annotate(week=TruncWeek("submitted_at", tzinfo=timezone.get_current_timezone()))
        .values("week")
        .annotate(
            answers=Count("pk"),
            rated=selectors.SCORE_COUNTS["rated"],
            satisfied=selectors.SCORE_COUNTS["satisfied"],
        )
        .order_by("week")
    )
    found = {_as_date(row["week"]): row for row in rows}
    weeks = []
    monday = period.since - timedelta(days=period.since.weekday())
    while monday <= period.until:
        row = found.get(monday, {"answers": 0, "rated": 0, "satisfied": 0})
        weeks.append(
            Week(
                start=monday,
                answers=row["answers"],
                rated=row["rated"],
                csat=selectors.share(row["satisfied"], row["rated"]),
            )
        )
        monday += timedelta(days=7)
    return weeks


# --- by aim, question by question -----------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    count: int
    share: float | None


@dataclass
class QuestionResult:
    question: Question
    answers: int = 0
    total: int = 0  # sum of the numbers answered (rating / likelihood)
    options: list[Option] = field(default_factory=list)
    latest: list[dict] = field(default_factory=list)  # {"text", "submitted_at"}

    @property
    def average(self) -> float | None:
        return self.total / self.answers if self.answers and self.is_number else None

    @property
    def is_number(self) -> bool:
        return self.question.kind in (Kind.RATING, Kind.NPS)


@dataclass(frozen=True)
class AimResult:
    aim: str
    label: str
    questions: list[QuestionResult]


def _answers_in(template_id: int, period: Period) -> QuerySet[Answer]:
    start, end = period.bounds()
    return Answer.objects.filter(
        response__template_id=template_id,
        response__submitted_at__gte=start,
        response__submitted_at__lt=end,
    )


def question_results(template_id: int, period: Period) -> list[QuestionResult]:
    """Each question's figures in the period, in the template's order: 3 queries (the questions,
    one grouped count of every question's answers, the latest texts of each text question)."""
    questions = list(Question.objects.filter(template_id=template_id).order_by("position"))
    answers = _answers_in(template_id, period)
    counted = {}
    # Grouped by question and choice: a rating's or a text's one group (choice ""), or a
    # choice question's group per option.
    rows = (
        answers.values("question_id", "choice")
        .annotate(n=Count("pk"), total=Sum("number"))
        .order_by()
    )
    for row in rows:
        counted.setdefault(row["question_id"], {})[row["choice"]] = row
    latest: dict[int, list[dict]] = {}
    text_ids = [q.pk for q in questions if q.kind == Kind.TEXT]
    if text_ids:
        # The newest few per question in one query: a window numbering each question's answers.
        recent = (
            answers.filter(question_id__in=text_ids)
            .exclude(text="")
            .annotate(
                nth=Window(
                    RowNumber(),
                    partition_by=[F("question_id")],
                    order_by=[F("response__submitted_at").desc(), F("pk").desc()],
                )
            )
            .filter(nth__lte=LATEST_TEXTS)
            .values("question_id", "text", "response__submitted_at")
            .order_by("question_id", "-response__submitted_at", "-pk")
        )
        for row in recent:
            latest.setdefault(row["question_id"], []).append(
                {"text": row["text"], "submitted_at": row["response__submitted_at"]}
            )
    results = []
    for q in questions:
        groups = counted.get(q.pk, {})
        result = QuestionResult(question=q, latest=latest.get(q.pk, []))
        result.answers = sum(g["n"] for g in groups.values())
        if result.is_number:
            result.total = sum(g["total"] or 0 for g in groups.values())
        elif q.kind == Kind.CHOICE:
            result.options = [
                Option(
                    value=value,
                    label=label,
                    count=groups.get(value, {}).get("n", 0),
                    share=selectors.share(groups.get(value, {}).get("n", 0), result.answers),
                )
                for value, label in q.choice_pairs()
            ]
        results.append(result)
    return results


def by_aim(questions: list[QuestionResult]) -> list[AimResult]:
    """The questions grouped under each of the seeds' five aims, in the aims' order; an aim with
    no question in the template is listed empty (the page says so)."""
    return [
        AimResult(aim=aim, label=label, questions=[r for r in questions if r.question.aim == aim])
        for aim, label in Aim.choices
    ]


@dataclass(frozen=True)
class NeedsIndex:
    """Average rating of the questions on some quality standards, as a share of 5."""

    index: float | None
    answers: int
    standards: tuple[int, ...]


def needs_indexes(questions: list[QuestionResult]) -> dict | None:
    """物化需求 (standards 1, 5) and 情感需求 (2, 3, 4, 6), apart; None when no rating question
    of the template has a standard. Pooled over the answers, not averaged per question."""
    rated = [r for r in questions if r.question.standard and r.question.kind == Kind.RATING]
    if not rated:
        return None

    def index(standards) -> NeedsIndex:
        picked = [r for r in rated if r.question.standard in standards]
        answers = sum(r.answers for r in picked)
        total = sum(r.total for r in picked)
        return NeedsIndex(
            index=total / answers / 5 if answers else None,
            answers=answers,
            standards=tuple(sorted(int(s) for s in standards)),
        )

    return {"tangible": index(TANGIBLE_STANDARDS), "emotional": index(EMOTIONAL_STANDARDS)}


# --- the satisfaction chain -----------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    field: str  # "stage" or "department"
    key: object
    label: str
    csat: float | None
    weakest: bool


@dataclass(frozen=True)
class ChainResult:
    total: float | None
    stages: list[Link]
    departments: list[Link]

    @property
    def links(self) -> list[Link]:
        return self.stages + self.departments

    @property
    def weakest(self) -> Link | None:
        return next((link for link in self.links if link.weakest), None)


def chain(responses: QuerySet[SurveyResponse]) -> ChainResult:
    """Satisfaction per stage (in the journey's order) and per department, with the chain's
    product and its weakest link: selectors.satisfaction_chain (2 queries) and the departments'
    names (1)."""
    result = selectors.satisfaction_chain(responses)
    departments = [k for (f, k) in result.links if f == "department"]
    labels = {
        d.pk: d.name
        for d in Department.objects.filter(pk__in=departments).only("name_en", "name_zh")
    }
    order = {value: n for n, value in enumerate(Stage.values)}
    stage_labels = dict(Stage.choices)

    def link(f, k) -> Link:
        label = stage_labels.get(k, k) if f == "stage" else labels.get(k, str(k))
        return Link(f, k, str(label), result.links[(f, k)], result.weakest == (f, k))

    stages = sorted(
        (link(f, k) for (f, k) in result.links if f == "stage"),
        key=lambda x: (order.get(x.key, len(order)), str(x.key)),
    )
    depts = sorted(
        (link(f, k) for (f, k) in result.links if f == "department"), key=lambda x: x.label
    )
    return ChainResult(total=result.total, stages=stages, departments=depts)


# --- the page's whole read ------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateResults:
    template: SurveyTemplate
    period: Period
    headline: Headline
    distribution: Distribution
    trend: list[Week]
    questions: list[QuestionResult]
    aims: list[AimResult]
    needs: dict | None
    chain: ChainResult


def template_results(template: SurveyTemplate, period: Period) -> TemplateResults:
    """Everything the results page shows: 14 queries whatever the number of answers."""
    responses = responses_in(period, template.pk)
    questions = question_results(template.pk, period)
    return TemplateResults(
        template=template,
        period=period,
        headline=headline(template.pk, period),
        distribution=distribution(responses),
        trend=trend(responses, period),
        questions=questions,
        aims=by_aim(questions),
        needs=needs_indexes(questions),
        chain=chain(responses),
    )


# --- the CSV of per-question figures --------------------------------------------------------------

CSV_COLUMNS = [
    "position",
    "aim",
    "kind",
    "standard",
    "question",
    "option",
    "answers",
    "average",
    "share",
]


def csv_rows(questions: list[QuestionResult]):
    """The header, then a row per rating, likelihood or text question and a row per option of a
    choice question. Cells are escaped by the writer (customers.csvio.write_csv)."""
    yield CSV_COLUMNS
    for r in questions:
        q = r.question
        head = [q.position, q.aim, q.kind, q.standard or "", q.text]
        if q.kind == Kind.CHOICE:
            for option in r.options:
                share = "" if option.share is None else f"{option.share:.4f}"
                yield [*head, option.label, option.count, "", share]
        else:
            average = "" if r.average is None else f"{r.average:.4f}"
            yield [*head, "", r.answers, average, ""]
