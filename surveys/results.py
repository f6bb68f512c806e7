"""The results pages' figures: per template over a period, beside the period before it.

Selectors-style reads. Every figure is an aggregate in SQL and each function runs a fixed number
of queries whatever the number of answers (the pages pin it), so 300,000 answers cost what 30 do
in round trips. CSAT, NPS, the response rate and the satisfaction chain are surveys.selectors'
own; this module only groups and arranges them. A figure with nothing to divide by is None (the
page shows "—"), never 0.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from servicedesk.core.models import Department
from servicedesk.core.periods import day_bounds
from tickets.models import Stage

from . import rollups, selectors
from .models import (
    EMOTIONAL_STANDARDS,
    TANGIBLE_STANDARDS,
    Aim,
    Answer,
    Kind,
    Question,
    SurveyInvitation,
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
        """[start of `since`, start of the day after `until`), in the user's time zone."""
        return day_bounds(self.since, self.until)


def invitations_in(period: Period, template_id: int | None = None) -> QuerySet[SurveyInvitation]:
    """Invitations made in the period: their answers may come later, as the rate asks. The pages
    read the rate from surveys.rollups' sums; this is the recount they must equal."""
    start, end = period.bounds()
    invitations = SurveyInvitation.objects.filter(created_at__gte=start, created_at__lt=end)
    return invitations if template_id is None else invitations.filter(template_id=template_id)


# --- scores grouped by a key ---------------------------------------------------------------------
# The responses' figures and the response rate come from surveys.rollups (daily sums, exact: days
# not yet summed are counted from the responses and the invitations).

EMPTY_SCORES = selectors.Scores(answers=0, rated=0, csat=None, nps=None, nps_answers=0, low=0)


# --- the overview ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateLine:
    template: SurveyTemplate
    scores: selectors.Scores
    previous: selectors.Scores
    rate: float | None
    previous_rate: float | None


def overview(period: Period) -> list[TemplateLine]:
    """Every template with its headline figures in the period and the one before: at most 11
    queries."""
    before = period.previous()
    with rollups.one_read():
        now, then = (rollups.scores_by(p.since, p.until, "template") for p in (period, before))
        rate, rate_then = (
            rollups.response_rates_by(p.since, p.until, "template") for p in (period, before)
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


@dataclass(frozen=True)
class Headline:
    scores: selectors.Scores
    previous: selectors.Scores
    rate: float | None
    previous_rate: float | None
    own: selectors.Scores  # answered by the customers themselves
    staff: selectors.Scores  # read out on a call and entered by staff: reported apart
    distribution: Distribution


def _scores(histogram: dict) -> selectors.Scores:
    return selectors.scores_of(rollups.score_counts(histogram))


def headline(template_id: int, period: Period) -> Headline:
    """The headline figures, the previous period's and the distribution: at most 10 queries."""
    before = period.previous()
    by_whom = rollups.histograms(period.since, period.until, "staff", template_id=template_id)
    own, staff = by_whom.get(False, rollups.empty()), by_whom.get(True, rollups.empty())
    total = {c: own[c] + staff[c] for c in rollups.COLUMNS}
    return Headline(
        scores=_scores(total),
        previous=rollups.scores(before.since, before.until, template_id=template_id),
        rate=rollups.response_rate(period.since, period.until, template_id=template_id),
        previous_rate=rollups.response_rate(before.since, before.until, template_id=template_id),
        own=_scores(own),
        staff=_scores(staff),
        distribution=Distribution(
            rating={v: total[f"r{v}"] for v in rollups.RATINGS},
            nps={v: total[f"n{v}"] for v in rollups.LIKELIHOODS},
        ),
    )


@dataclass(frozen=True)
class Week:
    start: date  # the Monday
    answers: int
    rated: int
    csat: float | None


def trend(template_id: int, period: Period) -> list[Week]:
    """Answers and CSAT per week (weeks start on Monday, in the user's time zone), every week of
    the period listed, an empty one with no CSAT: the days' sums, added up by week."""
    found = rollups.by_week(period.since, period.until, template_id=template_id)
    weeks = []
    monday = period.since - timedelta(days=period.since.weekday())
    while monday <= period.until:
        counts = rollups.score_counts(found.get(monday, rollups.empty()))
        weeks.append(
            Week(
                start=monday,
                answers=counts["answers"],
                rated=counts["rated"],
                csat=selectors.share(counts["satisfied"], counts["rated"]),
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


def latest_texts(question_id: int, template_id: int, period: Period) -> list[dict]:
    """The newest few free-text answers to a question: one query walking the template's newest
    responses (survey_resp_template) until it has found them."""
    start, end = period.bounds()
    rows = (
        Answer.objects.filter(
            question_id=question_id,
            response__template_id=template_id,
            response__submitted_at__gte=start,
            response__submitted_at__lt=end,
        )
        .exclude(text="")
        .order_by("-response__submitted_at", "-response_id")
        .values("text", "response__submitted_at")[:LATEST_TEXTS]
    )
    return [{"text": r["text"], "submitted_at": r["response__submitted_at"]} for r in rows]


def question_results(template_id: int, period: Period) -> list[QuestionResult]:
    """Each question's figures in the period, in the template's order: the questions, the
    answers' counts (surveys.rollups.answer_counts, at most 3 queries) and one query per text
    question for its latest answers."""
    questions = list(Question.objects.filter(template_id=template_id).order_by("position"))
    # Grouped by question and choice: a rating's or a text's one group (choice ""), or a
    # choice question's group per option.
    counted = rollups.answer_counts(template_id, period.since, period.until)
    results = []
    for q in questions:
        groups = counted.get(q.pk, {})
        latest = latest_texts(q.pk, template_id, period) if q.kind == Kind.TEXT else []
        result = QuestionResult(question=q, latest=latest)
        result.answers = sum(g["n"] for g in groups.values())
        if result.is_number:
            result.total = sum(g["total"] for g in groups.values())
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


def chain(template_id: int, period: Period) -> ChainResult:
    """Satisfaction per stage (in the journey's order) and per department, with the chain's
    product and its weakest link: surveys.rollups.satisfaction_chain (at most 6 queries) and the
    departments' names (1)."""
    result = rollups.satisfaction_chain(period.since, period.until, template_id=template_id)
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
    trend: list[Week]
    questions: list[QuestionResult]
    aims: list[AimResult]
    needs: dict | None
    chain: ChainResult


def template_results(template: SurveyTemplate, period: Period) -> TemplateResults:
    """Everything the results page shows, in a number of queries that does not grow with the
    answers (the page pins it)."""
    with rollups.one_read():
        questions = question_results(template.pk, period)
        return TemplateResults(
            template=template,
            period=period,
            headline=headline(template.pk, period),
            trend=trend(template.pk, period),
            questions=questions,
            aims=by_aim(questions),
            needs=needs_indexes(questions),
            chain=chain(template.pk, period),
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
