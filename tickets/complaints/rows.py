"""The complaint list's rows, read as plain values rather than model instances.

Through select_related each row built a complaint, its record, customer and assignee, and the
template then called get_FOO_display three times a row; that was most of the page's time
(bench/where_time_goes.py complaint_list). The rows read only the columns the list shows, with
the labels and the step's lateness worked out here (tests/tickets/test_complaint_pages.py holds
them equal to the model's).
"""

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from django.utils.text import Truncator

from servicedesk.core.choices import label
from servicedesk.core.users import person_name

from ..models import ServiceRecord
from .models import Complaint, Outcome, Severity, Step, step_due

ROW_FIELDS = (
    "id",
    "severity",
    "step",
    "step_since",
    "outcome",
    "open_actions",
    "record_id",
    "record__subject",
    "record__customer__name",
    "record__assignee__first_name",
    "record__assignee__last_name",
    "record__assignee__username",
)

SUBJECT_CHARS = 60  # as the template's |truncatechars:60 did

# The severity badge's class: the worse, the louder.
SEVERITY_BADGE = {Severity.SEVERE: " danger", Severity.SERIOUS: " warn"}


def subject_text(subject: str) -> str:
    """|truncatechars:60. Most subjects are shorter and already NFC, which Truncator returns as
    they are; it is asked only for the others (it costs ~16 µs a row)."""
    if len(subject) <= SUBJECT_CHARS and unicodedata.is_normalized("NFC", subject):
        return subject
    return Truncator(subject).chars(SUBJECT_CHARS)


def step_late(step: str, step_since: datetime, now: datetime) -> bool:
    """Complaint.step_late from the row's columns: past the current step's own time target."""
    due = step_due(step, step_since)
    return due is not None and now > due


@dataclass(slots=True)
class ComplaintRow:
    pk: int
    url: str
    reference: str
    subject: str
    customer_name: str
    severity: str
    severity_badge: str
    step: str
    closed: bool
    satisfied: bool
    outcome: str
    late: bool
    step_since: datetime
    open_actions: int
    assignee_name: str


def complaint_row(values: dict, now: datetime, url) -> ComplaintRow:
    """One row; `url` is servicedesk.core.jinja_env.id_url's, made once a page."""
    step, outcome = values["step"], values["outcome"]
    return ComplaintRow(
        pk=values["id"],
        url=url(values["id"]),
        reference=ServiceRecord.reference_of(values["record_id"]),
        subject=subject_text(values["record__subject"]),
        customer_name=values["record__customer__name"],
        severity=label(Complaint, "severity", values["severity"]),
        severity_badge=SEVERITY_BADGE.get(values["severity"], ""),
        step=label(Complaint, "step", step),
        closed=step == Step.CLOSED,
        satisfied=outcome == Outcome.SATISFIED,
        outcome=label(Complaint, "outcome", outcome),
        late=step_late(step, values["step_since"], now),
        step_since=values["step_since"],
        open_actions=values["open_actions"],
        assignee_name=person_name(
            values["record__assignee__first_name"],
            values["record__assignee__last_name"],
            values["record__assignee__username"],
        ),
    )
