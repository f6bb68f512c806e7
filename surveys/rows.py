"""The staff pages' reads and rows: the response list, a response's page, the 360° section.

The list follows the record list's pattern (README, "How a list is built so that it scales"): it
reads only the columns it shows (ROW_FIELDS) through window_page, turns each into a small slots
row with display-ready texts, and templates/jinja2/surveys/response_rows.html writes them.

Who may see a response is one rule, surveys.selectors.response_visible, shared with the API.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.template.defaultfilters import linebreaksbr
from django.utils.translation import gettext as _

from followups.models import CallbackVisit
from servicedesk.core.choices import label
from servicedesk.core.models import bilingual
from servicedesk.core.users import person_name, person_of
from tickets.models import ServiceRecord

from .models import Aim, Kind, SurveyInvitation, SurveyTemplate
from .selectors import response_visible


def template_names() -> dict[int, str]:
    """{id: name in the active language} of every template: a handful of rows, read once a page
    for the filter and the rows (cheaper than a join per row)."""
    return {
        t["id"]: bilingual(t["name_en"], t["name_zh"])
        for t in SurveyTemplate.objects.order_by("key").values("id", "name_en", "name_zh")
    }


# --- the list's rows ----------------------------------------------------------------------------

ROW_FIELDS = (
    "id",
    "submitted_at",
    "customer_id",
    "customer__name",
    "template_id",
    "rating",
    "nps",
    "is_low",
    "complaint_id",
    "complaint__record_id",
    "entered_by_id",
    "invitation__record_id",
    "invitation__visit_id",
    "invitation__complaint_id",
    "invitation__complaint__record_id",
)


@dataclass(slots=True)
class Followed:
    """What a response followed: a record, a callback visit or a complaint (or nothing)."""

    kind: str  # "record", "visit", "complaint", ""
    reference: str
    url: str


def followed(values: dict, urls: dict, prefix: str = "invitation__") -> Followed:
    """The most specific subject first, as services._subject names it."""
    complaint = values[f"{prefix}complaint_id"]
    if complaint:
        reference = ServiceRecord.reference_of(values[f"{prefix}complaint__record_id"])
        return Followed("complaint", reference, urls["complaint"](complaint))
    visit = values[f"{prefix}visit_id"]
    if visit:
        return Followed("visit", CallbackVisit.reference_of(visit), urls["visit"](visit))
    record = values[f"{prefix}record_id"]
    if record:
        return Followed("record", ServiceRecord.reference_of(record), urls["record"](record))
    return Followed("", "", "")


@dataclass(slots=True)
class ResponseRow:
    pk: int
    url: str
    submitted_at: datetime
    customer_name: str
    customer_url: str
    template_name: str
    rating: int | None
    nps: int | None
    is_low: bool
    follows: Followed
    complaint_reference: str
    complaint_url: str
    staff_entered: bool


def response_row(values: dict, urls: dict, names: dict) -> ResponseRow:
    """One row; `urls` holds servicedesk.core.jinja_env.id_url's functions made once a page
    (response, customer, record, visit, complaint); `names` is template_names()."""
    complaint = values["complaint_id"]
    return ResponseRow(
        pk=values["id"],
        url=urls["response"](values["id"]),
        submitted_at=values["submitted_at"],
        customer_name=values["customer__name"],
        customer_url=urls["customer"](values["customer_id"]),
        template_name=names.get(values["template_id"], ""),
        rating=values["rating"],
        nps=values["nps"],
        is_low=values["is_low"],
        follows=followed(values, urls),
        complaint_reference=ServiceRecord.reference_of(values["complaint__record_id"])
        if complaint
        else "",
        complaint_url=urls["complaint"](complaint) if complaint else "",
        staff_entered=values["entered_by_id"] is not None,
    )


# --- a response's page --------------------------------------------------------------------------

PAGE_FIELDS = (
    "id",
    "submitted_at",
    "customer_id",
    "customer__name",
    "template_id",
    "template__name_en",
    "template__name_zh",
    "rating",
    "nps",
    "is_low",
    "stage",
    "department__name_en",
    "department__name_zh",
    "complaint_id",
    "complaint__record_id",
    "complaint__step",
    "wants_meeting",
    "wants_supervisor",
    "wants_contact",
    "entered_by_id",
    "entered_by__first_name",
    "entered_by__last_name",
    "entered_by__username",
    "invitation__channel",
    "invitation__created_at",
    "invitation__agent_id",
    "invitation__agent__first_name",
    "invitation__agent__last_name",
    "invitation__agent__username",
    "invitation__record_id",
    "invitation__visit_id",
    "invitation__complaint_id",
    "invitation__complaint__record_id",
)


def response_page_values(user, pk: int) -> dict:
    """The response's columns the page shows, one query; DoesNotExist if the user does not see
    it (so another department's response is a 404, not a 403 that confirms it exists)."""
    return response_visible(user).values(*PAGE_FIELDS).get(pk=pk)


def answer_values(response_id: int) -> list[dict]:
    """The response's answers with their questions, in the template's order: one query."""
    from .models import Answer

    return list(
        Answer.objects.filter(response_id=response_id)
        .order_by("question__position", "pk")
        .values(
            "number",
            "choice",
            "text",
            "question__kind",
            "question__aim",
            "question__text_en",
            "question__text_zh",
            "question__choices",
            "question__is_main",
        )
    )


@dataclass(slots=True)
class AnswerRow:
    question: str
    kind: str
    answer: str  # display-ready; a text answer is escaped and its line breaks kept
    is_main: bool
    low: bool = False


@dataclass(slots=True)
class AimGroup:
    aim: str
    label: str
    answers: list = field(default_factory=list)


def _choice_text(values: dict) -> str:
    for choice in values["question__choices"] or []:
        if choice.get("value") == values["choice"]:
            return bilingual(choice.get("en", values["choice"]), choice.get("zh", ""))
    return values["choice"]


def answer_row(values: dict, low_rating: int, low_nps: int) -> AnswerRow:
    kind, number = values["question__kind"], values["number"]
    low = False
    if kind == Kind.RATING and number is not None:
        answer, low = f"{number} / 5", number <= low_rating
    elif kind == Kind.NPS and number is not None:
        answer, low = f"{number} / 10", number <= low_nps
    elif kind == Kind.CHOICE:
        answer = _choice_text(values)
    else:
        # linebreaksbr escapes the customer's text before it adds <br>: safe to print as is.
        answer = linebreaksbr(values["text"])
    return AnswerRow(
        question=bilingual(values["question__text_en"], values["question__text_zh"]),
        kind=kind,
        answer=answer,
        is_main=values["question__is_main"],
        low=low,
    )


def by_aim(answers: list[dict], low_rating: int, low_nps: int) -> list[AimGroup]:
    """The answers grouped by the seeds' five aims, in the aims' order; aims without an answer
    are left out."""
    groups = {aim: AimGroup(aim, str(aim_label)) for aim, aim_label in Aim.choices}
    for values in answers:
        group = groups.get(values["question__aim"])
        if group is None:  # an aim no longer among the choices: shown under its own key
            group = groups.setdefault(
                values["question__aim"], AimGroup(values["question__aim"], values["question__aim"])
            )
        group.answers.append(answer_row(values, low_rating, low_nps))
    return [g for g in groups.values() if g.answers]


@dataclass(slots=True)
class ResponsePage:
    pk: int
    submitted_at: datetime
    customer_id: int
    customer_name: str
    customer_url: str
    template_name: str
    rating: int | None
    nps: int | None
    is_low: bool
    stage: str
    department_name: str
    follows: Followed
    complaint_reference: str
    complaint_url: str
    complaint_step: str
    opt_ins: list
    entered_by_name: str
    channel: str
    invited_at: datetime
    agent_name: str


def response_page(values: dict, urls: dict) -> ResponsePage:
    from tickets.complaints.models import Complaint

    complaint = values["complaint_id"]
    opt_ins = [
        text
        for wanted, text in (
            (values["wants_meeting"], _("Customer meeting (客户交流会)")),
            (values["wants_supervisor"], _("Customer supervisor (客户监督员)")),
            (values["wants_contact"], _("A manager to contact them")),
        )
        if wanted
    ]
    return ResponsePage(
        pk=values["id"],
        submitted_at=values["submitted_at"],
        customer_id=values["customer_id"],
        customer_name=values["customer__name"],
        customer_url=urls["customer"](values["customer_id"]),
        template_name=bilingual(values["template__name_en"], values["template__name_zh"]),
        rating=values["rating"],
        nps=values["nps"],
        is_low=values["is_low"],
        stage=label(ServiceRecord, "stage", values["stage"]) if values["stage"] else "",
        department_name=bilingual(
            values["department__name_en"] or "", values["department__name_zh"] or ""
        ),
        follows=followed(values, urls),
        complaint_reference=ServiceRecord.reference_of(values["complaint__record_id"])
        if complaint
        else "",
        complaint_url=urls["complaint"](complaint) if complaint else "",
        complaint_step=label(Complaint, "step", values["complaint__step"]) if complaint else "",
        opt_ins=opt_ins,
        entered_by_name=person_of(values, "entered_by"),
        channel=label(SurveyInvitation, "channel", values["invitation__channel"]),
        invited_at=values["invitation__created_at"],
        agent_name=person_name(
            values["invitation__agent__first_name"],
            values["invitation__agent__last_name"],
            values["invitation__agent__username"],
        )
        if values["invitation__agent_id"]
        else "",
    )


# --- the 360° section ---------------------------------------------------------------------------

SECTION_FIELDS = (
    "id",
    "submitted_at",
    "template__name_en",
    "template__name_zh",
    "rating",
    "nps",
    "is_low",
    "entered_by_id",
)


@dataclass(slots=True)
class CustomerResponseRow:
    pk: int
    url: str
    submitted_at: datetime
    template_name: str
    rating: int | None
    nps: int | None
    is_low: bool
    staff_entered: bool


def customer_responses(customer_id: int, user, *, limit: int = 5) -> list[dict]:
    """The customer's latest responses the user sees, newest first: one query (the response's
    customer index, a handful of rows per customer)."""
    return list(
        response_visible(user)
        .filter(customer_id=customer_id)
        .order_by("-submitted_at", "-id")
        .values(*SECTION_FIELDS)[:limit]
    )


def customer_response_row(values: dict, url) -> CustomerResponseRow:
    return CustomerResponseRow(
        pk=values["id"],
        url=url(values["id"]),
        submitted_at=values["submitted_at"],
        template_name=bilingual(values["template__name_en"], values["template__name_zh"]),
        rating=values["rating"],
        nps=values["nps"],
        is_low=values["is_low"],
        staff_entered=values["entered_by_id"] is not None,
    )
