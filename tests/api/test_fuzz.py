"""Schema-driven fuzzing: every operation of /api/schema/, as an administrator and as an agent.

Schemathesis generates requests from the schema and sends them to the Django WSGI app in-process,
inside the test's transaction. A run passes with no server error and no answer that breaks the
schema (undeclared status, wrong content type, a body or header the schema does not describe).

Bounded and repeatable: a fixed number of examples per operation, derandomized (the same requests
every run), no shrinking and no deadline. Two requests in three use ids of the seeded desk
(`desk` in conftest) for paths and for ids in bodies, so requests reach the services instead of
stopping at "not found"; destructive operations (archiving customers, transitions) therefore
change the data later examples see, identically on every run.
"""

import itertools
import os
import time
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass, field

import hypothesis
import pytest
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup

from customers.models import Customer
from followups.models import CallbackRule, CallbackVisit
from servicedesk.core import services as core_services
from surveys.models import SurveyTemplate
from tickets.models import Complaint, ServiceRecord

from .schema_checks import CHECKS, in_test_transaction

pytestmark = pytest.mark.django_db

# Examples per operation and role: schema-valid requests, then requests that break the schema
# (wrong types, missing or extra fields), which must be refused with a 4xx, never a 5xx. About
# 2,300 requests in all; FUZZ_EXAMPLES=500 digs deeper locally.
EXAMPLES = {
    GenerationMode.POSITIVE: int(os.environ.get("FUZZ_EXAMPLES", "25")),
    GenerationMode.NEGATIVE: max(int(os.environ.get("FUZZ_EXAMPLES", "25")) // 2, 1),
}
# Body keys holding ids, and which seeded collection to take them from.
BODY_IDS = {
    "customer": "customer",
    "organisation": "organisation",
    "contact": "contacts",
    "category": "categories",
    "product": "product",
    "collaborating_departments": "departments",
    "department": "departments",
    "categories": "categories",
    "new_issue_category": "categories",
    "source_record": "service-records",
    "about_record": "service-records",
    "responsible_department": "departments",
    "template": "template",
    "record": "service-records",
    "visit": "callbacks",
    "complaint": "complaints",
    "form": "check-forms",
}
VERSIONED = {
    "service-records": ServiceRecord,
    "customers": Customer,
    "callbacks": CallbackVisit,
    "callback-rules": CallbackRule,
    "complaints": Complaint,
    "survey-templates": SurveyTemplate,
}


@dataclass
class Report:
    operations: int = 0
    examples: int = 0
    statuses: Counter = field(default_factory=Counter)
    failures: dict = field(default_factory=dict)  # (operation, check, status) → request

    def text(self) -> str:
        lines = [f"{len(self.failures)} distinct failures:"]
        for (operation, title, status), request in sorted(self.failures.items()):
            lines.append(f"- {operation} → {status}: {title}\n    {request}")
        return "\n".join(lines)


def _collection(path: str) -> str:
    parts = path.removeprefix("/api/v1/").split("/")
    return "system/pings" if parts[0] == "system" else parts[0]


def _use_seeds(case, n: int, desk, users) -> None:
    """Point two examples in three at seeded rows (deterministically, by example number)."""
    if n % 3 == 2:
        return
    collection = _collection(case.operation.path)
    ids = desk.ids.get(collection)
    if "id" in (case.path_parameters or {}) and ids:
        case.path_parameters["id"] = ids[n % len(ids)]
    if "attachment_id" in (case.path_parameters or {}):
        case.path_parameters["attachment_id"] = desk.attachment_ids[0]
    if "action_id" in (case.path_parameters or {}):
        case.path_parameters["action_id"] = desk.action_ids[0]
    body = case.body
    if not isinstance(body, dict):
        return
    for key, source in BODY_IDS.items():
        if key in body and desk.ids.get(source):
            chosen = desk.ids[source][n % len(desk.ids[source])]
            body[key] = [chosen] if isinstance(body[key], list) else chosen
    for key in ("assignee", "owner"):
        if key in body:
            body[key] = users[n % len(users)]
    if "category" in body and "stage" in body and body["category"] in desk.stages:
        body["stage"] = desk.stages[body["category"]]
    model = VERSIONED.get(collection)
    if "version" in body and model is not None and n % 2 == 0:
        pk = (case.path_parameters or {}).get("id")
        current = model.objects.filter(pk=pk).values_list("version", flat=True).first()
        if current is not None:
            body["version"] = current


def fuzz(schema, *, token: str, desk, report: Report) -> None:
    headers = {"Authorization": f"Token {token}"}
    for result in schema.get_all_operations():
        report.operations += 1
        for mode in EXAMPLES:
            runner = _runner(result.ok(), mode, headers=headers, desk=desk, report=report)
            # Negative mode: an operation that takes nothing which can be made invalid.
            with suppress(hypothesis.errors.Unsatisfiable):
                runner()


def _runner(operation, mode, *, headers, desk, report: Report):
    numbers = itertools.count()

    @hypothesis.settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        if mode == GenerationMode.POSITIVE:
            # Not in negative mode: a seeded id could replace the very value made invalid.
            _use_seeds(case, next(numbers), desk, desk.users)
        response = case.call(headers=headers)
        report.examples += 1
        report.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            for failure in group.exceptions:
                key = (f"{operation.label} [{mode.value}]", failure.title, response.status_code)
                report.failures.setdefault(key, _describe(case, response))

    return run


def _describe(case, response) -> str:
    body = response.content[:300] if response.content else b""
    return (
        f"{case.method} {case.formatted_path} query={case.query} body={case.body!r} "
        f"→ {response.status_code} {response.headers.get('content-type')} {body!r}"
    )


@pytest.mark.parametrize("role", ["administrator", "agent"])
def test_fuzz_every_operation_without_server_errors_or_schema_violations(
    request, role, desk, api_schema
):
    # given a seeded desk and a personal token of the role
    user = request.getfixturevalue(role)
    _token, key = core_services.api_token_create(user=user, name="fuzz")
    report = Report()

    # when every operation is fuzzed
    started = time.monotonic()
    with in_test_transaction():
        fuzz(api_schema, token=key, desk=desk, report=report)
    elapsed = time.monotonic() - started

    # then no request got a 5xx and every answer matched the schema
    print(
        f"\n[{role}] {report.operations} operations, {report.examples} examples in "
        f"{elapsed:.1f}s; statuses {dict(sorted(report.statuses.items()))}"
    )
    assert report.operations >= 30
    assert report.examples >= report.operations * 5
    assert not report.failures, report.text()
