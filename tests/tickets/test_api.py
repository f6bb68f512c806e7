import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from drf_spectacular.validation import validate_schema

from tests.factories import CustomerFactory, DepartmentFactory
from tests.tickets.factories import CategoryFactory, RecordFactory
from tickets.models import ServiceRecord

pytestmark = pytest.mark.django_db
URL = "/api/v1/service-records/"


def payload(customer, category, **extra):
    return {
        "customer": customer.pk,
        "stage": category.stage,
        "category": category.pk,
        "subject": "Install the wardrobe",
        **extra,
    }


def test_create_and_read_a_record(agent_api, customer, category):
    response = agent_api.post(URL, payload(customer, category), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["lead_department"]["code"] == "customer-service"
    assert body["nature"] == "technical" and body["version"] == 1
    got = agent_api.get(f"{URL}{body['id']}/")
    assert got["ETag"] == '"1"'


def test_unknown_category_for_the_stage_is_a_400_with_field(agent_api, customer, category):
    response = agent_api.post(URL, payload(customer, category, stage="pre_sale"), format="json")
    assert response.status_code == 400
    assert "category" in response.json()["error"]["fields"]
    assert not ServiceRecord.objects.exists()


def test_paid_without_amount_is_a_400_with_field(agent_api, customer, category):
    response = agent_api.post(URL, payload(customer, category, fee="paid"), format="json")
    assert response.status_code == 400
    assert "fee_amount" in response.json()["error"]["fields"]
    assert not ServiceRecord.objects.exists()


def test_missing_fields_are_listed(agent_api):
    response = agent_api.post(URL, {}, format="json")
    assert response.status_code == 400
    assert {"customer", "stage", "category", "subject"} <= set(response.json()["error"]["fields"])


def test_stale_version_is_a_409_showing_what_changed(agent_api, customer, category):
    record_id = agent_api.post(URL, payload(customer, category), format="json").json()["id"]
    first = agent_api.patch(f"{URL}{record_id}/", {"subject": "A", "version": 1}, format="json")
    assert first.status_code == 200 and first.json()["version"] == 2
    second = agent_api.patch(
        f"{URL}{record_id}/", {"priority": "high"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert second.status_code == 409
    error = second.json()["error"]
    assert error["current"] == 2
    assert error["changes"]["subject"]["now"] == "A"
    assert ServiceRecord.objects.get(pk=record_id).priority == "normal"


def test_update_without_version_is_a_400(agent_api, customer, category):
    record = RecordFactory(category=category, customer=customer)
    response = agent_api.patch(f"{URL}{record.pk}/", {"subject": "x"}, format="json")
    assert response.status_code == 400
    assert "version" in response.json()["error"]["fields"]


def test_illegal_transition_is_a_400_on_status(agent_api, customer, category):
    record = RecordFactory(category=category, customer=customer)
    response = agent_api.post(f"{URL}{record.pk}/transition/", {"status": "closed"}, format="json")
    assert response.status_code == 400
    assert "status" in response.json()["error"]["fields"]
    ok = agent_api.post(f"{URL}{record.pk}/transition/", {"status": "open"}, format="json")
    assert ok.status_code == 200 and ok.json()["status"] == "open"


def test_messages_and_attachments(agent_api, customer, category):
    record = RecordFactory(category=category, customer=customer)
    base = f"{URL}{record.pk}"
    assert (
        agent_api.post(
            f"{base}/messages/", {"kind": "note", "body": "called"}, format="json"
        ).status_code
        == 201
    )
    assert [m["kind"] for m in agent_api.get(f"{base}/messages/").json()] == ["note"]
    upload = SimpleUploadedFile("scan.pdf", b"%PDF-1.4 test", content_type="application/pdf")
    created = agent_api.post(f"{base}/attachments/", {"file": upload}, format="multipart")
    assert created.status_code == 201, created.json()
    download = agent_api.get(created.json()["download_url"])
    assert download["Content-Disposition"].startswith("attachment")
    svg = SimpleUploadedFile("x.png", b"<svg onload=alert(1)>", content_type="image/png")
    refused = agent_api.post(f"{base}/attachments/", {"file": svg}, format="multipart")
    assert refused.status_code == 400 and "file" in refused.json()["error"]["fields"]


def test_list_filters_and_visibility(agent_api, customer, category):
    RecordFactory(category=category, customer=customer, priority="high")
    RecordFactory(category=category, customer=CustomerFactory(management_tier="key"))
    other = CategoryFactory(lead_department=DepartmentFactory(code="finance"))
    RecordFactory(category=other)  # not the agent's department
    assert agent_api.get(URL).json()["count"] == 2
    assert agent_api.get(f"{URL}?priority=high").json()["count"] == 1
    assert agent_api.get(f"{URL}?customer_tier=key").json()["count"] == 1
    assert agent_api.get(f"{URL}?breached=true").json()["count"] == 0


def test_other_departments_record_is_404(agent_api):
    record = RecordFactory(category=CategoryFactory(lead_department=DepartmentFactory()))
    assert agent_api.get(f"{URL}{record.pk}/").status_code == 404


def test_categories_endpoint(agent_api, category):
    body = agent_api.get("/api/v1/categories/?stage=after_sale").json()
    assert [c["code"] for c in body["results"]] == ["installation"]


def test_list_query_count_is_fixed(agent_api, category, django_assert_max_num_queries):
    RecordFactory.create_batch(30, category=category)
    with django_assert_max_num_queries(8):
        assert agent_api.get(URL).json()["count"] == 30


def test_openapi_schema_is_valid_and_lists_the_endpoints(agent_api):
    response = agent_api.get("/api/schema/?format=json")
    schema = response.json()
    validate_schema(schema)
    for path in (
        "/api/v1/service-records/",
        "/api/v1/service-records/{id}/transition/",
        "/api/v1/service-records/{id}/messages/",
        "/api/v1/service-records/{id}/attachments/",
        "/api/v1/categories/",
        "/api/v1/departments/",
    ):
        assert path in schema["paths"], path
