"""A malformed request is a 4xx in the one error shape, never a 500.

Paths, operations and bodies come from the schema, so new endpoints are covered as they appear.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.viewsets import ViewSetMixin

from servicedesk.core.api.serializers import ID_PATTERN

pytestmark = pytest.mark.django_db

BAD_IDS = ["abc", "1.5", "-1", "0x1F", "1e3", "٣", "99999999999999999999999999", "%00"]


def _operations(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield method, path, operation


def _error(response, status):
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["status"] == status and error["code"] and error["message"]
    return error


def test_non_numeric_ids_are_a_json_404_on_every_operation(admin_api, schema, desk):
    # Before: GET /api/v1/service-records/abc/ (and every other {id} operation) was a 500.
    checked = 0
    for method, path, _operation in _operations(schema):
        if "{id}" not in path:
            continue
        for bad in BAD_IDS:
            url = path.replace("{id}", bad).replace("{attachment_id}", "1")
            url = url.replace("{action_id}", "1")
            response = getattr(admin_api, method)(url, {}, format="json")
            _error(response, 404)
            checked += 1
    assert checked >= 20 * len(BAD_IDS)


def test_non_numeric_attachment_id_is_a_json_404(admin_api, desk):
    record = desk.ids["service-records"][0]
    for bad in BAD_IDS:
        url = f"/api/v1/service-records/{record}/attachments/{bad}/download/"
        _error(admin_api.get(url), 404)


def test_every_viewset_route_takes_digits_only():
    """Every viewset sets lookup_value_regex, so no router route takes a non-numeric id."""

    def walk(patterns):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns)
            elif isinstance(p, URLPattern):
                yield p

    viewsets = {
        p.callback.cls
        for p in walk(get_resolver().url_patterns)
        if getattr(p.callback, "cls", None) and issubclass(p.callback.cls, ViewSetMixin)
    }
    assert len(viewsets) >= 8
    loose = [v.__name__ for v in viewsets if getattr(v, "lookup_value_regex", None) != ID_PATTERN]
    assert not loose


@pytest.mark.parametrize(
    "query",
    [
        "customer=abc",
        "category=abc",
        "category=99999999999999999999999",
        "department=abc",
        "assignee=abc",
        "created_after=yesterday",
        "created_before=2026-13-45",
        "status=bogus",
        "priority=asap",
        "stage=during",
        "customer_tier=gold",
        "breached=perhaps&due_soon=2",
        "q=%00",
        "search=%00",
    ],
)
def test_malformed_record_filters_are_4xx(admin_api, desk, query):
    response = admin_api.get(f"/api/v1/service-records/?{query}")
    assert response.status_code < 500
    if response.status_code != 200:
        _error(response, 400)


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/api/v1/customers/", "owner=abc"),
        ("/api/v1/customers/", "tag=abc"),
        ("/api/v1/customers/", "sort=random"),
        ("/api/v1/customers/", "lifecycle=maybe"),
        ("/api/v1/customers/", "q=%00"),
        ("/api/v1/contacts/", "customer=abc"),
        ("/api/v1/interactions/", "customer=1.5e400"),
        ("/api/v1/products-owned/", "customer=-1"),
        ("/api/v1/departments/", "is_active=perhaps"),
        ("/api/v1/categories/", "stage=during"),
    ],
)
def test_malformed_list_filters_are_4xx(admin_api, desk, path, query):
    response = admin_api.get(f"{path}?{query}")
    assert response.status_code < 500, response.content
    if response.status_code != 200:
        _error(response, 400)


@pytest.mark.parametrize("query", ["cursor=abc", "cursor=bz0tMQ=="])
def test_a_cursor_that_does_not_exist_is_a_json_404(admin_api, desk, query):
    _error(admin_api.get(f"/api/v1/service-records/?{query}"), 404)


@pytest.mark.parametrize("body", ["[]", '["name"]', '"text"', "42", "null", "true"])
def test_a_body_that_is_not_a_json_object_is_a_400_on_every_write(admin_api, schema, desk, body):
    for method, path, operation in _operations(schema):
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" not in content:
            continue
        collection = path.removeprefix("/api/v1/").split("/")[0]
        url = path.replace("{id}", str(desk.ids[collection][0]))
        url = url.replace("{action_id}", str(desk.action_ids[0]))
        response = admin_api.generic(method.upper(), url, body, content_type="application/json")
        error = _error(response, 400)
        assert "non_field_errors" in error["fields"], (method, path, error)


def test_invalid_json_is_a_400_parse_error_on_every_write(admin_api, schema, desk):
    for method, path, operation in _operations(schema):
        if "application/json" not in operation.get("requestBody", {}).get("content", {}):
            continue
        collection = path.removeprefix("/api/v1/").split("/")[0]
        url = path.replace("{id}", str(desk.ids[collection][0]))
        url = url.replace("{action_id}", str(desk.action_ids[0]))
        response = admin_api.generic(
            method.upper(), url, "{not json", content_type="application/json"
        )
        assert _error(response, 400)["code"] == "parse_error", (method, path)
