import pytest
from django.test import override_settings
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from customers import services
from customers.models import Customer, Interaction
from tests.factories import ContactFactory, CustomerFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/customers/"


def test_list_searches_and_filters(agent_api):
    services.customer_create(name="Zhang Wei", phones=["13800138000"], management_tier="key")
    services.customer_create(name="Li Na", phones=["13900139000"])
    body = agent_api.get(URL, {"q": "8000"}).json()
    assert [c["name"] for c in body["results"]] == ["Zhang Wei"]
    assert body["results"][0]["primary_points"][0]["value"] == "+8613800138000"
    body = agent_api.get(URL, {"management_tier": "key"}).json()
    assert len(body["results"]) == 1


def test_list_unknown_classification_value_is_400(agent_api):
    response = agent_api.get(URL, {"lifecycle": "maybe"})
    assert response.status_code == 400
    assert "lifecycle" in response.json()["error"]["fields"]


def test_create_returns_201_with_normalised_phone(agent_api):
    response = agent_api.post(
        URL,
        {"name": "张伟", "phones": ["138 0013 8000"], "emails": ["Z@Example.com"], "tags": ["VIP"]},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["version"] == 1 and body["tags"] == ["VIP"]
    assert {p["value"] for p in body["primary_points"]} == {"+8613800138000", "z@example.com"}


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "A", "phones": ["12345"]}, "phones"),
        ({"name": "A", "emails": ["not-an-email"]}, "emails"),
        ({"name": "A", "marketing_type": "greedy"}, "marketing_type"),
        ({"name": ""}, "name"),
        ({"name": "A", "phones": "13800138000"}, "phones"),  # not a list
    ],
)
def test_create_bad_input_is_400_with_field_messages(agent_api, payload, field):
    response = agent_api.post(URL, payload)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"]
    assert not Customer.objects.exists()


def test_create_duplicate_phone_is_400_unless_allowed(agent_api):
    services.customer_create(name="First", phones=["13800138000"])
    response = agent_api.post(URL, {"name": "Second", "phones": ["+8613800138000"]})
    assert response.status_code == 400
    assert "First" in response.json()["error"]["fields"]["phones"][0]
    response = agent_api.post(
        URL, {"name": "Second", "phones": ["13800138000"], "allow_duplicate": True}
    )
    assert response.status_code == 201


def test_patch_with_version_and_stale_version_is_409(agent_api):
    customer = services.customer_create(name="Old")
    response = agent_api.patch(f"{URL}{customer.pk}/", {"name": "New", "version": 1})
    assert response.status_code == 200 and response.json()["version"] == 2
    response = agent_api.patch(f"{URL}{customer.pk}/", {"region": "北京", "version": 1})
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["current"] == 2 and error["changes"]["name"] == {"was": "Old", "now": "New"}


def test_patch_without_version_is_400(agent_api):
    customer = CustomerFactory()
    response = agent_api.patch(f"{URL}{customer.pk}/", {"name": "New"})
    assert response.status_code == 400
    assert "version" in response.json()["error"]["fields"]


def test_delete_archives_and_agents_no_longer_see_it(agent_api, manager, api_client):
    customer = CustomerFactory()
    assert agent_api.delete(f"{URL}{customer.pk}/").status_code == 204
    assert Customer.objects.get().is_archived
    assert agent_api.get(f"{URL}{customer.pk}/").status_code == 404
    assert agent_api.get(URL, {"archived": "true"}).json()["results"] == []
    api_client.force_login(manager)
    assert api_client.get(f"{URL}{customer.pk}/").status_code == 200
    assert len(api_client.get(URL, {"archived": "true"}).json()["results"]) == 1


def test_integration_token_acts_with_role(token_for, agent):
    client = token_for(agent)
    assert client.post(URL, {"name": "From ERP"}).status_code == 201
    nobody = token_for(UserFactory(role=""))
    assert nobody.get(URL).status_code == 403


def test_contacts_interactions_products_endpoints(agent_api, agent):
    customer = CustomerFactory()
    other = ContactFactory()
    response = agent_api.post(
        "/api/v1/contacts/", {"customer": customer.pk, "name": "A", "phones": ["13800138000"]}
    )
    assert response.status_code == 201 and response.json()["is_primary"] is True
    bad = agent_api.post(
        "/api/v1/contacts/", {"customer": customer.pk, "name": "B", "phones": ["1"]}
    )
    assert bad.status_code == 400 and "phones" in bad.json()["error"]["fields"]
    listed = agent_api.get("/api/v1/contacts/", {"customer": customer.pk}).json()
    assert [c["name"] for c in listed["results"]] == ["A"]
    assert other.customer_id != customer.pk

    response = agent_api.post(
        "/api/v1/interactions/", {"customer": customer.pk, "kind": "call", "summary": "回访"}
    )
    assert response.status_code == 201 and response.json()["staff_username"] == agent.username
    assert (
        agent_api.post(
            "/api/v1/interactions/", {"customer": customer.pk, "kind": "fax", "summary": "x"}
        ).status_code
        == 400
    )
    assert Interaction.objects.count() == 1

    product = ProductFactory(warranty_months=12)
    response = agent_api.post(
        "/api/v1/products-owned/",
        {
            "customer": customer.pk,
            "product": product.pk,
            "serial": "S1",
            "purchase_date": "2025-03-01",
        },
    )
    assert response.status_code == 201 and response.json()["warranty_end"] == "2026-03-01"
    again = agent_api.post(
        "/api/v1/products-owned/", {"customer": customer.pk, "product": product.pk, "serial": "S1"}
    )
    assert again.status_code == 400 and "serial" in again.json()["error"]["fields"]


def test_list_query_count_is_fixed(agent_api, big_archive, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = agent_api.get(URL, {"page_size": 100})
    assert len(response.json()["results"]) == 56


@override_settings(LANGUAGE_CODE="en")
def test_openapi_schema_is_valid_and_lists_customer_endpoints():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    validate_schema(schema)
    for path in (
        "/api/v1/customers/",
        "/api/v1/customers/{id}/",
        "/api/v1/contacts/",
        "/api/v1/interactions/",
        "/api/v1/products-owned/",
    ):
        assert path in schema["paths"]
    assert "q" in [p["name"] for p in schema["paths"]["/api/v1/customers/"]["get"]["parameters"]]


def test_list_answers_null_not_blank_for_an_unset_conversion_cause(agent_api):
    # Before: "conversion_cause": "" — generated clients failed with
    # "'' is not a valid ConversionCauseEnum".
    CustomerFactory(name="Potential")
    converted = services.customer_create(name="Actual", lifecycle="actual")
    body = {c["name"]: c for c in agent_api.get(URL).json()["results"]}
    assert body["Potential"]["conversion_cause"] is None
    assert (
        body["Actual"]["conversion_cause"] == Customer.objects.get(pk=converted.pk).conversion_cause
    )
    assert body["Potential"]["organisation_name"] is None
    assert body["Potential"]["owner_username"] is None


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
@pytest.mark.parametrize("bad", ["abc", "1.0", "-3", "12abc"])
def test_non_numeric_customer_id_is_a_json_404(agent_api, method, bad):
    response = getattr(agent_api, method)(f"{URL}{bad}/", {"version": 1}, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_unknown_field_on_a_customer_patch_is_refused_and_nothing_saved(agent_api):
    customer = services.customer_create(name="Old")
    response = agent_api.patch(
        f"{URL}{customer.pk}/", {"name": "New", "nickname": "N", "version": 1}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"nickname": ["Unknown field."]}
    customer.refresh_from_db()
    assert (customer.name, customer.version) == ("Old", 1)


@pytest.mark.parametrize(
    ("hours", "field"),
    [
        ({"contact_from": "20:00", "contact_until": "18:00"}, "contact_until"),
        ({"contact_until": "18:00"}, "contact_from"),  # the stored "from" is empty
        ({"contact_from": "25:00"}, "contact_from"),
    ],
)
def test_contact_hours_out_of_order_are_a_400_and_nothing_is_saved(agent_api, hours, field):
    customer = services.customer_create(name="Evening caller")
    response = agent_api.patch(f"{URL}{customer.pk}/", {**hours, "version": 1}, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    customer.refresh_from_db()
    assert (customer.contact_from, customer.contact_until, customer.version) == (None, None, 1)


def test_contact_hours_are_set_and_cleared_together(agent_api):
    customer = services.customer_create(name="Evening caller")
    url = f"{URL}{customer.pk}/"
    body = {"contact_from": "18:00", "contact_until": "20:00", "version": 1}
    response = agent_api.patch(url, body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["contact_from"] == "18:00:00"
    body = {"contact_from": None, "contact_until": None, "version": 2}
    assert agent_api.patch(url, body, format="json").json()["contact_until"] is None
