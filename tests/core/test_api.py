import pytest
from django.urls import reverse
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from servicedesk.core import services
from servicedesk.core.models import ApiToken, hash_token
from servicedesk.core.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ME = "/api/v1/me/"


def test_me_without_credentials_is_401_json(api_client):
    response = api_client.get(ME)
    assert response.status_code in (401, 403)
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]["code"] == "not_authenticated"


def test_me_with_session_returns_user_and_role(agent, department):
    client = APIClient()
    client.force_login(agent)
    body = client.get(ME).json()
    assert body["username"] == "agent"
    assert body["role"] == Role.AGENT
    assert body["auth"] == "session"
    assert [d["code"] for d in body["departments"]] == [department.code]


def test_me_with_token_carries_owner_role(manager, token_for):
    body = token_for(manager).get(ME).json()
    assert body["role"] == Role.MANAGER
    assert body["auth"] == "token"


def test_token_is_stored_hashed_and_prefix_only(agent):
    token, key = services.api_token_create(user=agent, name="ERP")
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.key_hash == hash_token(key)
    assert key not in (stored.key_hash, stored.prefix, stored.name)
    assert key.startswith(stored.prefix)


def test_revoked_token_gets_401(agent):
    token, key = services.api_token_create(user=agent, name="ERP")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get(ME).status_code == 200
    services.api_token_revoke(token=token)
    response = client.get(ME)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_bearer_keyword_and_garbage_token(agent):
    _token, key = services.api_token_create(user=agent, name="ERP")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get(ME).status_code == 200
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-key")
    assert client.get(ME).status_code == 401
    client.credentials(HTTP_AUTHORIZATION="Token a b")
    assert client.get(ME).status_code == 401


def test_user_without_role_is_forbidden(db, token_for):
    user = UserFactory(username="norole", role="")
    response = token_for(user).get(ME)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_malformed_json_body_is_400_in_error_shape(administrator):
    client = APIClient()
    client.force_login(administrator)
    response = client.post(
        "/api/v1/system/pings/", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == 400
    assert error["code"] == "parse_error"
    assert "JSON" in error["message"]


@pytest.mark.parametrize("method", ["get", "post", "delete"])
def test_unknown_api_path_is_404_json(api_client, method):
    response = getattr(api_client, method)("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_role_gate_on_admin_only_endpoint(agent_api):
    response = agent_api.post("/api/v1/system/pings/")
    assert response.status_code == 403
    assert response.json()["error"]["status"] == 403


def test_schema_is_valid_openapi_3(api_client):
    response = api_client.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)
    assert "/api/v1/me/" in schema["paths"]
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def test_docs_page_uses_only_local_assets(api_client):
    response = api_client.get(reverse("api-docs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn." not in html and "https://" not in html.split("</head>")[0]


def test_department_list_paginates_with_a_maximum_page_size(
    agent_api, django_assert_max_num_queries
):
    from tests.factories import DepartmentFactory

    DepartmentFactory.create_batch(130)
    with django_assert_max_num_queries(6):
        body = agent_api.get("/api/v1/departments/?page_size=500").json()
    assert len(body["results"]) == 100
    assert body["next"]


def test_department_list_filters_and_searches(agent_api, department):
    from tests.factories import DepartmentFactory

    DepartmentFactory(code="finance", name_en="Finance", name_zh="财务部")
    DepartmentFactory(code="old", name_en="Old", is_active=False)
    codes = [d["code"] for d in agent_api.get("/api/v1/departments/?search=财务").json()["results"]]
    assert codes == ["finance"]
    active = agent_api.get("/api/v1/departments/?is_active=false").json()["results"]
    assert [d["code"] for d in active] == ["old"]


def _schema_writes(client):
    schema = client.get("/api/schema/?format=json").json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if "requestBody" in operation:
                yield method, path, list(operation["requestBody"]["content"])


def test_schema_declares_json_bodies_only_except_the_upload(api_client):
    # Before: every write declared JSON, form and multipart bodies, and the generated client's
    # write functions did not import.
    writes = list(_schema_writes(api_client))
    assert len(writes) >= 12
    for method, path, media_types in writes:
        if path.endswith("/attachments/"):
            assert media_types == ["multipart/form-data"], (method, path)
        else:
            assert media_types == ["application/json"], (method, path, media_types)


@pytest.mark.parametrize("fmt", ["multipart", "form"])
def test_form_bodies_are_refused_with_415(agent_api, fmt):
    if fmt == "multipart":
        response = agent_api.post("/api/v1/customers/", {"name": "Form"}, format="multipart")
    else:
        response = agent_api.post(
            "/api/v1/customers/", "name=Form", content_type="application/x-www-form-urlencoded"
        )
    assert response.status_code == 415
    error = response.json()["error"]
    assert error["code"] == "unsupported_media_type" and error["status"] == 415


def test_the_upload_reads_multipart_only(agent_api, department):
    from tests.tickets.factories import CategoryFactory, RecordFactory

    record = RecordFactory(category=CategoryFactory(lead_department=department))
    response = agent_api.post(
        f"/api/v1/service-records/{record.pk}/attachments/", {"file": "x"}, format="json"
    )
    assert response.status_code == 415


def test_every_operation_declares_its_errors_in_the_error_shape(api_client):
    schema = api_client.get("/api/schema/?format=json").json()
    error_ref = "#/components/schemas/ApiError"
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert {"401", "403"} <= set(responses), (method, path)
            if "{id}" in path:
                assert "404" in responses, (method, path)
            if "requestBody" in operation:
                assert {"400", "415"} <= set(responses), (method, path)
            for code, response in responses.items():
                if code >= "400":
                    content = response["content"]["application/json"]["schema"]
                    assert content == {"$ref": error_ref}, (method, path, code)
