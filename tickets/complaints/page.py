"""The complaint page's content as display-ready values (the README's fifth rule, applied to a
page): the complaint with its record, its step entries with their revisions, and step 5's actions.

The page read them as model instances (the complaint through four joins, each entry with its
author, each action with its owner and record) and walked them in Django's template language; that
was most of its time (bench/where_time_goes.py complaint_detail). Here each is read as the columns
shown (selectors.complaint_page_values and its siblings) and turned into a small row whose texts
are ready to print; templates/jinja2/tickets/complaint_page.html writes them.
"""

from dataclasses import dataclass
from datetime import date, datetime

from django.template.defaultfilters import linebreaksbr
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from servicedesk.core.choices import label
from servicedesk.core.models import bilingual
from servicedesk.core.templatetags.desk import duration_text
from servicedesk.core.users import person_name

from ..models import ServiceRecord
from .guidance import GUIDANCE
from .models import STEP_TARGETS, STEPS, Complaint, Remedy, Step, step_due

# How a step's recorded fields are named on the page.
FIELD_LABELS = {
    "words": gettext_lazy("Words used"),
    "said_at": gettext_lazy("Said at"),
    "feeling": gettext_lazy("Feeling (感受)"),
    "want": gettext_lazy("Want (想要)"),
    "thinking": gettext_lazy("Thinking (想法)"),
    "facts": gettext_lazy("Facts gathered"),
    "request": gettext_lazy("The request, restated"),
    "confirmed": gettext_lazy("Confirmed by the customer"),
    "result": gettext_lazy("Result"),
    "note": gettext_lazy("Note"),
}

RESULT_LABELS = {
    "satisfied": gettext_lazy("Satisfied"),
    "not_satisfied": gettext_lazy("Not satisfied"),
    "unreachable": gettext_lazy("Could not be reached"),
}


def _text(key: str, value) -> str:
    if key == "result":
        return str(RESULT_LABELS.get(value, value))
    if key == "said_at" and value:
        moment = parse_datetime(value)
        return date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT") if moment else ""
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    return "" if value is None else str(value)


def entry_rows(step: str, data: dict) -> list[tuple[str, str]]:
    """(label, text) pairs of what a step recorded; options are numbered, the chosen one marked."""
    data = data or {}
    if step == Step.OPTIONS:
        rows = []
        remedies = dict(Remedy.choices)
        for i, option in enumerate(data.get("options", [])):
            text = f"{option.get('description', '')} · {remedies.get(option.get('remedy'), '')}"
            if option.get("cost") is not None:
                text += f" · {option['cost']}"
            if option.get("date"):
                text += f" · {option['date']}"
            if i == data.get("choice"):
                text += " · " + _("chosen by the customer")
            rows.append((_("Option %(n)d") % {"n": i + 1}, text))
        rows.extend(
            (_("Declined"), f"{item['request']} → {item['alternative']}")
            for item in data.get("declined", [])
        )
        return rows
    if step == Step.ACT:
        return [(_("Actions planned"), str(len(data.get("actions", []))))]
    # In the form's order: PostgreSQL's jsonb keeps keys in an order of its own.
    keys = [k for k in FIELD_LABELS if k in data] + [k for k in data if k not in FIELD_LABELS]
    return [(FIELD_LABELS.get(k, k), _text(k, data[k])) for k in keys if data[k] not in ("", None)]


def _html_rows(rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """entry_rows as the page prints them: labels translated, texts through |linebreaksbr (only
    the texts that have a line break; Jinja escapes the rest on output)."""
    return [
        (str(name), linebreaksbr(text) if "\n" in text or "\r" in text else text)
        for name, text in rows
    ]


@dataclass(slots=True)
class ComplaintPage:
    """The complaint and its record, as the page's intake and stepper show them. `pk` and `step`
    are what rootcause.views.cause_context reads of a complaint."""

    pk: int
    version: int
    step: str
    closed: bool
    record_id: int
    record_url: str
    reference: str
    subject: str
    stage: str
    customer_id: int
    customer_url: str
    customer_name: str
    about_record_id: int | None
    about_url: str
    about_reference: str
    about_subject: str
    channel: str
    severity: str
    wants_manager: bool
    department_name: str
    outcome: str
    close_reason: str
    step_since: datetime
    step_due_at: datetime | None
    step_late: bool
    has_cause: bool

    @property
    def record(self) -> ServiceRecord:
        """The record as the sections under the page take it (tickets.sections: its pk and
        customer), without reading it."""
        return ServiceRecord(pk=self.record_id, customer_id=self.customer_id)


def complaint_page(values: dict, now: datetime, record_url, customer_url) -> ComplaintPage:
    """`record_url`, `customer_url`: servicedesk.core.jinja_env.id_url's, made once a page."""
    step = values["step"]
    about = values["about_record_id"]
    due = step_due(step, values["step_since"])
    department = ""
    if values["responsible_department_id"] is not None:
        department = bilingual(
            values["responsible_department__name_en"], values["responsible_department__name_zh"]
        )
    return ComplaintPage(
        pk=values["id"],
        version=values["version"],
        step=step,
        closed=step == Step.CLOSED,
        record_id=values["record_id"],
        record_url=record_url(values["record_id"]),
        reference=ServiceRecord.reference_of(values["record_id"]),
        subject=values["record__subject"],
        stage=label(ServiceRecord, "stage", values["record__stage"]),
        customer_id=values["record__customer_id"],
        customer_url=customer_url(values["record__customer_id"]),
        customer_name=values["record__customer__name"],
        about_record_id=about,
        about_url=record_url(about) if about else "",
        about_reference=ServiceRecord.reference_of(about),
        about_subject=values["about_record__subject"] or "",
        channel=label(Complaint, "channel", values["channel"]),
        severity=label(Complaint, "severity", values["severity"]),
        wants_manager=values["wants_manager"],
        department_name=department,
        outcome=label(Complaint, "outcome", values["outcome"]),
        close_reason=values["close_reason"],
        step_since=values["step_since"],
        step_due_at=due,
        step_late=due is not None and now > due,
        has_cause=values["cause__id"] is not None,
    )


@dataclass(slots=True)
class RevisionRow:
    when: datetime
    by_name: str
    rows: list


@dataclass(slots=True)
class EntryRow:
    pk: int
    step: str
    version: int
    data: dict
    heading: str  # "Round 2, by 王丽, … (took 3 h 5 min)"
    late: bool
    rows: list
    revisions: list
    revisions_summary: str
    revise_form: str = ""  # the revision form's markup, on the last entry while it may be revised
    revise_open: bool = False  # shown unfolded: the revision came back with errors


def entry_row(values: dict, revisions: list[dict]) -> EntryRow:
    step = values["step"]
    took = values["taken_at"] - values["started_at"]
    target = STEP_TARGETS[step]
    by = person_name(values["by__first_name"], values["by__last_name"], values["by__username"])
    heading = _("Round %(round)s, by %(by)s, %(when)s (took %(took)s)") % {
        "round": values["round"],
        "by": by,
        "when": date_format(timezone.localtime(values["taken_at"]), "SHORT_DATETIME_FORMAT"),
        "took": duration_text(took),
    }
    n = len(revisions)
    return EntryRow(
        pk=values["id"],
        step=step,
        version=values["version"],
        data=values["data"],
        heading=heading,
        late=bool(target) and took > target,
        rows=_html_rows(entry_rows(step, values["data"])),
        revisions=[
            RevisionRow(
                when=r["history_date"],
                by_name=person_name(
                    r["history_user__first_name"],
                    r["history_user__last_name"],
                    r["history_user__username"],
                ),
                rows=_html_rows(entry_rows(step, r["data"])),
            )
            for r in revisions
        ],
        revisions_summary=ngettext(
            "Revised once: the earlier version", "Revised %(n)s times: the earlier versions", n
        )
        % {"n": n}
        if n
        else "",
    )


@dataclass(slots=True)
class StepRow:
    step: str
    label: str
    seed: str
    how: str
    state: str  # done, current, todo
    entries: list
    form: str = ""  # the current step's form, rendered by the Django template it always was


def stepper(complaint: ComplaintPage, entries: list[EntryRow]) -> list[StepRow]:
    position = STEPS.index(complaint.step) if complaint.step in STEPS else len(STEPS)
    by_step: dict[str, list[EntryRow]] = {}
    for entry in entries:
        by_step.setdefault(entry.step, []).append(entry)
    return [
        StepRow(
            step=step,
            label=label(Complaint, "step", step),
            seed=GUIDANCE[step]["seed"],
            how=str(GUIDANCE[step]["how"]),
            state="done" if i < position else ("current" if i == position else "todo"),
            entries=by_step.get(step, []),
        )
        for i, step in enumerate(STEPS)
    ]


@dataclass(slots=True)
class ActionRow:
    pk: int
    description: str
    record_id: int | None
    record_url: str
    record_reference: str
    owner_name: str
    due_date: date
    original_due_date: date | None
    told: bool
    done_at: datetime | None
    overdue: bool


def action_row(values: dict, today: date, record_url) -> ActionRow:
    done_at, record = values["done_at"], values["record_id"]
    return ActionRow(
        pk=values["id"],
        description=values["description"],
        record_id=record,
        record_url=record_url(record) if record else "",
        record_reference=ServiceRecord.reference_of(record),
        owner_name=person_name(
            values["owner__first_name"], values["owner__last_name"], values["owner__username"]
        ),
        due_date=values["due_date"],
        original_due_date=values["original_due_date"],
        told=values["told_at"] is not None,
        done_at=done_at,
        overdue=done_at is None and values["due_date"] < today,
    )
