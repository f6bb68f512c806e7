"""/api/v1/kpis/ against its OpenAPI schema: seeded reads conform, and fuzzed queries (positive
and negative) never answer a 5xx or anything the schema does not declare (tests/api walks it
with every other route too)."""

import hypothesis
import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup

from servicedesk.core import services as core_services
from tests.api.schema_checks import CHECKS, in_test_transaction

PATH = "/api/v1/kpis/"


@pytest.fixture
def kpi_operation(generated):
    with in_test_transaction():
        schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
    return schema[PATH]["GET"]


@pytest.mark.parametrize("role", ["administrator", "manager", "agent"])
def test_kpis_conform_to_the_schema_for_every_role(generated, kpi_operation, role):
    g = generated
    user = {"administrator": g.administrator, "manager": g.manager, "agent": g.agents[1].user}[role]
    _token, key = core_services.api_token_create(user=user, name="kpis")
    headers = {"Authorization": f"Token {key}"}
    queries = [
        {},
        {"since": "2025-04-01", "until": "2025-06-30", "stage": "after_sale"},
        {"department": g.departments[1].pk},
        {"until": "2025-01-01", "since": "2025-02-01"},
    ]
    statuses = []
    for query in queries:
        case = kpi_operation.Case(query=query)
        with in_test_transaction():
            response = case.call(headers=headers)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            pytest.fail(f"{query} → {response.status_code}: {group}")
        statuses.append(response.status_code)
    assert statuses == [200, 200, 200, 400]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_fuzzed_kpi_queries_never_fail_the_schema(generated, kpi_operation, mode):
    _token, key = core_services.api_token_create(user=generated.agents[0].user, name="fuzz")
    headers = {"Authorization": f"Token {key}"}
    seen = []

    @hypothesis.settings(
        max_examples=25, deadline=None, derandomize=True, database=None,
        phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    @hypothesis.given(case=kpi_operation.as_strategy(generation_mode=mode))
    def run(case):
        with in_test_transaction():
            response = case.call(headers=headers)
        seen.append(response.status_code)
        case.validate_response(response, checks=CHECKS, headers=headers)

    run()
    assert seen
    assert all(status < 500 for status in seen)
