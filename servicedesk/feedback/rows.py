"""The lists' rows, from the selectors' values: display-ready, no model instances, labels from
servicedesk.core.choices (README, "How a list is built so that it scales")."""

from dataclasses import dataclass
from datetime import date, datetime

from servicedesk.core.choices import label
from servicedesk.core.models import bilingual
from servicedesk.core.users import person_name
from tickets.models import ServiceRecord

from .models import DailyCase, Suggestion, SuggestionStatus

# The badge's CSS class per suggestion status, for the box and a suggestion's page alike.
SUGGESTION_TONES = {
    SuggestionStatus.ACCEPTED: "ok",
    SuggestionStatus.IMPLEMENTED: "ok",
    SuggestionStatus.DECLINED: "danger",
}


def _department(values: dict, prefix: str = "department") -> str:
    """A department's name from a row's `<prefix>__name_en` / `__name_zh` (empty: none)."""
    return bilingual(values[f"{prefix}__name_en"] or "", values[f"{prefix}__name_zh"] or "")


@dataclass(frozen=True)
class CaseRow:
    id: int
    url: str
    kind: str
    kind_label: str
    title: str
    case_date: date
    shared: bool
    author: str
    department: str
    record_reference: str
    record_url: str


def case_row(values: dict, urls: dict) -> CaseRow:
    record_id = values["record_id"]
    return CaseRow(
        id=values["id"],
        url=urls["case"](values["id"]),
        kind=values["kind"],
        kind_label=label(DailyCase, "kind", values["kind"]),
        title=values["title"],
        case_date=values["case_date"],
        shared=values["shared_at"] is not None,
        author=person_name(
            values["author__first_name"], values["author__last_name"], values["author__username"]
        ),
        department=_department(values),
        # The reference only: a colleague may not see the record, and its page says so itself.
        record_reference=ServiceRecord.reference_of(record_id) if record_id else "",
        record_url=urls["record"](record_id) if record_id else "",
    )


@dataclass(frozen=True)
class SuggestionRow:
    id: int
    url: str
    title: str
    status: str
    status_label: str
    tone: str  # the status badge's CSS class, "" for a plain one
    created_at: datetime
    author: str  # empty: anonymous to this viewer
    is_anonymous: bool
    is_mine: bool


def suggestion_row(values: dict, urls: dict) -> SuggestionRow:
    shown = values["by_id"] is not None
    return SuggestionRow(
        id=values["id"],
        url=urls["suggestion"](values["id"]),
        title=values["title"],
        status=values["status"],
        status_label=label(Suggestion, "status", values["status"]),
        tone=SUGGESTION_TONES.get(values["status"], ""),
        created_at=values["created_at"],
        author=person_name(values["by_first_name"], values["by_last_name"], values["by_username"])
        if shown
        else "",
        is_anonymous=values["is_anonymous"],
        is_mine=values["is_mine"],
    )


@dataclass(frozen=True)
class MeetingRow:
    id: int
    url: str
    held_on: date
    title: str
    department: str
    attendee_count: int


def meeting_row(values: dict, urls: dict) -> MeetingRow:
    return MeetingRow(
        id=values["id"],
        url=urls["meeting"](values["id"]),
        held_on=values["held_on"],
        title=values["title"],
        department=_department(values),
        attendee_count=values["attendee_count"],
    )


@dataclass(frozen=True)
class PairRow:
    from_department: str
    to_department: str
    from_id: int
    to_id: int
    ratings: int
    average: float | None
    share_good: float | None


def pair_row(values: dict) -> PairRow:
    return PairRow(
        from_department=_department(values, "from_department"),
        to_department=_department(values, "to_department"),
        from_id=values["from_department_id"],
        to_id=values["to_department_id"],
        ratings=values["ratings"],
        average=values["average"],
        share_good=values["share_good"],
    )


@dataclass(frozen=True)
class RatingRow:
    record_reference: str
    record_url: str
    score: int
    comment: str
    created_at: datetime
    from_department: str
    to_department: str
    rated_by: str


def rating_row(values: dict, urls: dict) -> RatingRow:
    return RatingRow(
        record_reference=ServiceRecord.reference_of(values["record_id"]),
        record_url=urls["record"](values["record_id"]),
        score=values["score"],
        comment=values["comment"],
        created_at=values["created_at"],
        from_department=_department(values, "from_department"),
        to_department=_department(values, "to_department"),
        rated_by=person_name(
            values["rated_by__first_name"],
            values["rated_by__last_name"],
            values["rated_by__username"],
        ),
    )
