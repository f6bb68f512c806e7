"""Answers match the schema: nullable fields are declared nullable, enums answer declared values
only, and every timestamp carries its offset. Generated clients parse what the server sends.
"""

import datetime
import re

import pytest
from schemathesis.core.failures import FailureGroup

from customers.models import Customer
from servicedesk.core import services as core_services
from tickets.models import ServiceRecord

from .schema_checks import CHECKS, in_test_transaction

pytestmark = pytest.mark.django_db

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")
WITH_OFFSET = re.compile(r"(Z|[+-]\d\d:\d\d)$")


def _timestamps(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _timestamps(item)
    elif isinstance(value, list):
        for item in value:
            yield from _timestamps(item)
    elif isinstance(value, str) and TIMESTAMP.match(value):
        yield value


@pytest.fixture
def call(api_schema, administrator):
    _token, key = core_services.api_token_create(user=administrator, name="conformance")
    headers = {"Authorization": f"Token {key}"}

    def call(method, path, *, path_parameters=None, query=None, body=None, status=None):
        extra = {} if body is None else {"body": body, "media_type": "application/json"}
        case = api_schema[path][method].Case(
            path_parameters=path_parameters or {}, query=query or {}, **extra
        )
        with in_test_transaction():
            response = case.call(headers=headers)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            pytest.fail(f"{method} {path} {path_parameters} → {response.status_code}: {group}")
        if status is not None:
            assert response.status_code == status, response.content[:300]
        data = response.json() if response.content[:1] in (b"{", b"[") else None
        for stamp in _timestamps(data):
            assert WITH_OFFSET.search(stamp), f"{path}: {stamp} has no offset"
        return data

    return call


def test_every_read_of_the_seeded_desk_matches_the_schema(call, api_schema, desk):
    # Before: the customer list answered conversion_cause "" (not in ConversionCauseEnum) and
    # organisation_name / owner_username null where the schema said string.
    reads = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() != "GET":
            continue
        path = operation.path
        collection = path.removeprefix("/api/v1/").split("/")[0]
        collection = "system/pings" if collection == "system" else collection
        if "{id}" not in path:
            call("GET", path, status=200)
            reads += 1
            continue
        for pk in desk.ids[collection]:
            params = {"id": pk}
            if "{attachment_id}" in path:
                params["attachment_id"] = desk.attachment_ids[0]
            call("GET", path, path_parameters=params)
            reads += 1
    assert reads >= 40


def test_blank_conversion_cause_is_null_and_declared_nullable(call, api_schema, desk):
    customers = call("GET", "/api/v1/customers/", query={"page_size": 100})["results"]
    causes = {c["name"]: c["conversion_cause"] for c in customers}
    assert causes["Converted"] == "sale"
    assert causes["Customer 0"] is None
    assert Customer.objects.get(name="Customer 0").conversion_cause == ""
    schema = api_schema.raw_schema["components"]["schemas"]["CustomerOutput"]["properties"]
    for name in ("conversion_cause", "organisation_name", "owner_username", "organisation"):
        assert schema[name].get("nullable") is True, name


def test_a_conflict_body_matches_the_schema_with_offsets(call, desk, agent):
    # given a record someone changed after version 1
    from tickets import services

    pk = desk.ids["service-records"][2]
    services.record_update(
        by=agent,
        record_id=pk,
        version=None,
        changes={"priority": "urgent", "agreed_date": datetime.date(2030, 1, 2)},
    )
    assert ServiceRecord.objects.get(pk=pk).version == 2

    # when a client patches with version 1, then the 409 lists the changes, timestamps with offset
    error = call(
        "PATCH",
        "/api/v1/service-records/{id}/",
        path_parameters={"id": pk},
        body={"subject": "Mine", "version": 1},
        status=409,
    )["error"]
    assert error["code"] == "conflict" and error["current"] == 2
    assert error["changes"]["priority"] == {"was": "normal", "now": "urgent"}
    assert error["changes"]["agreed_date"] == {"was": None, "now": "2030-01-02"}
    assert "resolution_due" in error["changes"]  # moved by the agreed date: an ISO timestamp
    for side in error["changes"]["resolution_due"].values():
        assert side is None or WITH_OFFSET.search(side)


def test_writes_answer_what_the_schema_says(call, desk):
    customer = call(
        "POST",
        "/api/v1/customers/",
        body={"name": "Wang Li", "phones": ["13900139000"]},
        status=201,
    )
    assert customer["conversion_cause"] is None and customer["organisation_name"] is None
    record = call(
        "POST",
        "/api/v1/service-records/",
        body={
            "customer": customer["id"],
            "stage": "after_sale",
            "category": desk.ids["categories"][0],
            "subject": "Door",
        },
        status=201,
    )
    assert record["assignee"] is None and record["contact"] is None
    opened = call(
        "POST",
        "/api/v1/service-records/{id}/transition/",
        path_parameters={"id": record["id"]},
        body={"status": "open", "version": record["version"]},
        status=200,
    )
    assert opened["first_responded_at"] is not None
    refused = call(
        "POST",
        "/api/v1/service-records/{id}/transition/",
        path_parameters={"id": record["id"]},
        body={"status": "new"},
        status=400,
    )
    assert "status" in refused["error"]["fields"]
    history = call(
        "GET", "/api/v1/service-records/{id}/history/", path_parameters={"id": record["id"]}
    )
    assert [e["kind"] for e in history] == ["changed", "created"]
