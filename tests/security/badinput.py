"""The run behind tests/security/test_bad_input.py: hostile values sent to every API write
(badinput_api.py) and every staff form, then every page and export read back (badinput_pages.py).
This module holds what both halves share: the hand knowledge, the findings, sending and counting.

Where the values go is generated: API operations and their properties from the served OpenAPI
schema, page forms from the HTML the staff pages serve (as administrator, manager and agent, on
the access matrix's world), so a new field or form is covered without editing here. The only hand
knowledge is which world object an id property names (ID_PROPERTIES) and the few bodies the schema
cannot describe (BODY_HINTS); a property missing from them fails the run, saying so.
"""

import re
from collections import Counter
from dataclasses import dataclass, field

from django.apps import apps
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

# Body properties holding ids: the world kind (or "user") whose id they take.
ID_PROPERTIES = {
    "customer": "customer",
    "contact": "contact",
    "category": "category",
    "new_issue_category": "category",
    "categories": "category",
    "department": "department",
    "responsible_department": "department",
    "collaborating_departments": "department",
    "record": "record",
    "about_record": "record",
    "source_record": "record",
    "visit": "visit",
    "complaint": "complaint",
    "template": "survey_template",
    "form": "check_form",
    "assignee": "user",
    "owner": "user",
    "organisation": "customer",
    "product": "product",
    "item": "check_item",
}


_FRESH = {}


def _hint_steps(world, target):
    # The world's complaints wait at step 5 with actions planned; a complaint of its own at the
    # first step takes the step with free text ("respect": the words said to the customer).
    from tests.tickets.factories import RecordFactory
    from tickets.complaints.models import Complaint

    if "complaint" not in _FRESH or _FRESH["complaint"][0] is not world:
        record = RecordFactory(category=world.shared["category"], subject="Fresh complaint")
        complaint = Complaint.objects.create(
            record=record, channel="phone", severity="general", step="respect"
        )
        _FRESH["complaint"] = (world, complaint)
    return {"_target": _FRESH["complaint"][1], "step": "respect", "data": {"words": "Sorry"}}


def _hint_review(world, target):
    from django.utils import timezone

    from tests.tickets.factories import RecordFactory

    form = world.shared["check_form"]
    resolved = RecordFactory(
        category=world.shared["category"],
        assignee=world.users["agent"],
        status="resolved",
        resolved_at=timezone.now(),
    )
    return {
        "record": resolved.pk,
        "scores": [{"item": i.pk, "points": 1} for i in form.items.all()],
    }


def _hint_invitation(world, target):
    from tests.factories import CustomerFactory

    return {"customer": CustomerFactory(name="Never asked").pk, "channel": "phone"}


# Bodies the schema cannot describe (free-form `data`, lists of nested objects that must name
# real rows): merged into the generated base body.
BODY_HINTS = {
    ("post", "/api/v1/complaints/{id}/steps/"): _hint_steps,
    ("post", "/api/v1/reviews/"): _hint_review,
    ("post", "/api/v1/survey-invitations/"): _hint_invitation,
}

# Tables a refused request may still write: who signed in or used a token from where, sessions,
# the rate limiter's counters.
AUDIT_TABLES = ("securitylog_", "django_session", "core_apitoken", "desk_cache")
WRITE = re.compile(r'^\s*(INSERT INTO|UPDATE|DELETE FROM)\s+"?([\w.]+)"?', re.IGNORECASE)

# Page forms whose action is not data entry (language, sign-out) or belongs to the sign-in and
# password flows, which have their own tests (tests/securitylog/).
SKIP_ACTIONS = {
    "set_language",
    "logout",
    "admin:logout",
    "login",
    "password_change",
    "password_reset",
    "two_factor",
    # Uploads: tests/tickets/test_attachments.py and the import tests own them.
    "tickets:attachment_add",
    "customers:import",
    # Erasure and merging are confirmed by typing / picking with a search: their own tests
    # (tests/customers/) send them; hostile text in their confirmations is not stored.
    "customers:erase",
    "customers:merge",
}
# Page routes not crawled: the admin site (Django's), and routes the world cannot fill.
SKIP_PAGES = {"password_reset_confirm", "survey_thanks", "favicon", "api-docs", "api-schema"}
ROLES = ("administrator", "manager", "agent")
# Forms the world cannot submit validly, with why: their fields are not reached (listed in the
# figures' detail). Each is a step that needs an earlier one done first.
UNREACHABLE_FORMS = {
    "tickets:rootcause:workshop_choose": "chooses among the workshop's solutions; it has none",
    "tickets:complaint_step": "the world's complaints wait at step 5 with actions planned",
}
# What a form's buttons send that its fields do not show (the submit button pressed).
FORM_HINTS = {"tickets:complaint_action": {"do": ["told"]}}


@dataclass
class Finding:
    where: str
    value: str
    status: int
    problem: str

    def __str__(self):
        return f"{self.where} ← {self.value}: {self.status} {self.problem}"


@dataclass
class Outcome:
    curated: int = 0  # invalid values sent
    refused_well: int = 0  # …answered 4xx naming the field, nothing saved
    wrong: list = field(default_factory=list)  # Findings for invalid values
    server_errors: list = field(default_factory=list)
    unescaped: list = field(default_factory=list)
    unneutralised: list = field(default_factory=list)
    setup: list = field(default_factory=list)  # bases that would not go through
    operations: int = 0
    api_fields: int = 0
    forms: int = 0
    form_fields: int = 0
    kinds: Counter = field(default_factory=Counter)  # hostile kind → values sent
    stored_tags: dict = field(default_factory=dict)  # tag → "where.field"
    seen_tags: set = field(default_factory=set)
    pages_read: int = 0
    exports_read: int = 0
    text_fields: set = field(default_factory=set)
    requests: int = 0
    phases: dict = field(default_factory=dict)  # phase → seconds
    unreached: dict = field(default_factory=dict)  # form → why its fields are not sent

    def note_500(self, where, value, response):
        self.server_errors.append(Finding(where, value, response.status_code, _snippet(response)))

    def note_refusal(self, where, value, response, problems: list[str], tables) -> None:
        """An invalid value's answer: refused well, or a Finding with what was wrong."""
        if tables:
            problems.append(f"saved: {sorted(set(tables))}")
        if problems:
            self.wrong.append(
                Finding(where, _short(value), response.status_code, "; ".join(problems))
            )
        else:
            self.refused_well += 1


def _snippet(response) -> str:
    return response.content[:200].decode(errors="replace")


def _short(value) -> str:
    text = repr(value)
    return text if len(text) < 60 else text[:40] + f"…({len(text)} chars)"


def writes(captured) -> list[str]:
    tables = []
    for query in captured.captured_queries:
        match = WRITE.match(query["sql"] or "")
        if match and not match.group(2).lower().startswith(AUDIT_TABLES):
            tables.append(f"{match.group(1).split()[0]} {match.group(2)}")
    return tables


def send(outcome: Outcome, do, *, keep: bool | str):
    """One request in a savepoint: kept (keep=True) unless it failed with a 5xx; with
    keep="unless-written" (invalid values) kept only if it wrote nothing, so one wrongly accepted
    value does not change what the next one meets. Returns the response and the app tables it
    wrote."""
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        response = do()
        outcome.requests += 1
        written = writes(captured)
        if response.status_code >= 500 or not keep or (keep == "unless-written" and written):
            transaction.set_rollback(True)
    return response, written


def row_counts() -> dict:
    return {
        m._meta.db_table: m._default_manager.count()
        for m in apps.get_models()
        if m._meta.managed and not m._meta.db_table.startswith(AUDIT_TABLES)
    }
