"""Survey reads: the scores, each computed here once and used by the pages, the API and exports.

A score with nothing to divide by is None (shown as "—"), never 0 and never an error.
"""

from dataclasses import dataclass
from math import prod

from django.db.models import Count, Q, QuerySet

from servicedesk.core.roles import Role, user_role
from servicedesk.core.selectors import user_department_ids

from .models import InvitationStatus, SurveyInvitation, SurveyResponse


def _audience(user, *, extra: tuple[str, ...] = ()) -> Q | None:
    """None: everything (managers and administrators); an empty Q-set for people without a desk
    role; an agent, the rows of their departments or naming them as the agent (or `extra`)."""
    role = user_role(user)
    if role in (Role.ADMINISTRATOR, Role.MANAGER):
        return None
    if role is None:
        return Q(pk__in=[])
    mine = Q(department_id__in=user_department_ids(user)) | Q(agent_id=user.pk)
    for column in extra:
        mine |= Q(**{column: user.pk})
    return mine


def response_visible(user) -> QuerySet[SurveyResponse]:
    """Managers and administrators see every response; an agent those of their departments and
    those about their own work, both columns of the response (each with its index)."""
    rule = _audience(user)
    return SurveyResponse.objects.all() if rule is None else SurveyResponse.objects.filter(rule)


def invitation_visible(user) -> QuerySet[SurveyInvitation]:
    """As responses; an agent also sees the invitations they made."""
    rule = _audience(user, extra=("created_by_id",))
    qs = SurveyInvitation.objects.all()
    return qs if rule is None else qs.filter(rule)


def share(part: int, whole: int) -> float | None:
    """part / whole, or None (shown as "—") when there is nothing to divide by."""
    return part / whole if whole else None


@dataclass(frozen=True)
class Scores:
    answers: int  # responses in the set
    rated: int  # with a main rating
    csat: float | None  # share of 4-5 among rated, 0..1
    nps: float | None  # -100..100
    nps_answers: int
    low: int

    @property
    def csat_percent(self) -> float | None:
        return None if self.csat is None else round(self.csat * 100, 1)


# CSAT counts ratings of 4-5 as satisfied; NPS, likelihoods of 9-10 as promoters and 0-6 as
# detractors. surveys.rollups derives the same counts from its histograms with these.
SATISFIED_FROM = 4
PROMOTER = 9
DETRACTOR = 6

# The counts every score is made of: the one definition of CSAT, NPS and the response rate, read
# over one set (scores, response_rate) or grouped by template or channel (surveys.results).
SCORE_COUNTS = {
    "answers": Count("pk"),
    "rated": Count("pk", filter=Q(rating__isnull=False)),
    "satisfied": Count("pk", filter=Q(rating__gte=SATISFIED_FROM)),
    "nps_answers": Count("pk", filter=Q(nps__isnull=False)),
    "promoters": Count("pk", filter=Q(nps__gte=PROMOTER)),
    "detractors": Count("pk", filter=Q(nps__lte=DETRACTOR)),
    "low": Count("pk", filter=Q(is_low=True)),
}
RATE_COUNTS = {
    # An e-mailed invitation counts as delivered once sent; one read out on a call or handed
    # over as a link, when made.
    "delivered": Count("pk", filter=Q(sent_at__isnull=False) | ~Q(channel="email")),
    "answered": Count("pk", filter=Q(status=InvitationStatus.ANSWERED)),
}


def scores_of(row: dict) -> Scores:
    """CSAT = share of 4-5 among answered main ratings; NPS = 100 x (promoters 9-10 - detractors
    0-6) / answers to the likelihood question; from a row of SCORE_COUNTS."""
    nps = share(row["promoters"] - row["detractors"], row["nps_answers"])
    return Scores(
        answers=row["answers"],
        rated=row["rated"],
        csat=share(row["satisfied"], row["rated"]),
        nps=None if nps is None else round(nps * 100, 1),
        nps_answers=row["nps_answers"],
        low=row["low"],
    )


def rate_of(row: dict) -> float | None:
    """Answered / delivered, from a row of RATE_COUNTS."""
    return share(row["answered"], row["delivered"])


def scores(responses: QuerySet[SurveyResponse]) -> Scores:
    """The scores of a set of responses, in one aggregate query."""
    return scores_of(responses.aggregate(**SCORE_COUNTS))


def response_rate(invitations: QuerySet[SurveyInvitation]) -> float | None:
    """Answered / delivered; cancelled invitations count for neither."""
    return rate_of(invitations.exclude(status=InvitationStatus.CANCELLED).aggregate(**RATE_COUNTS))


def satisfaction_by(responses: QuerySet[SurveyResponse], field: str) -> dict:
    """CSAT per value of `field` ("stage" or "department"), over rated responses: {value: share}."""
    rows = (
        responses.filter(rating__isnull=False)
        .values(field)
        .annotate(rated=Count("pk"), satisfied=SCORE_COUNTS["satisfied"])
        .order_by(field)
    )
    return {r[field]: share(r["satisfied"], r["rated"]) for r in rows if r[field] not in ("", None)}


@dataclass(frozen=True)
class Chain:
    """总的满意度等于各环节满意度的N次方: the satisfaction of a journey is the product of the
    satisfaction of every link it touched, so ten links at 95% each keep only 60%."""

    total: float | None
    links: dict
    weakest: object | None


def chained(links: dict) -> Chain:
    known = {k: v for k, v in links.items() if v is not None}
    if not known:
        return Chain(total=None, links=links, weakest=None)
    weakest = min(known, key=lambda k: (known[k], str(k)))
    return Chain(total=prod(known.values()), links=links, weakest=weakest)


def satisfaction_chain(responses: QuerySet[SurveyResponse]) -> Chain:
    """The chain over the stages and the departments the answered journeys touched."""
    links = {("stage", k): v for k, v in satisfaction_by(responses, "stage").items()}
    links |= {("department", k): v for k, v in satisfaction_by(responses, "department").items()}
    return chained(links)
