"""Every API input refuses fields it does not take (400 naming them), instead of ignoring them.

The operations come from the schema, so a new write operation is covered without editing here.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from customers.models import ContactPoint, Customer
from servicedesk.core.api.serializers import InputSerializer, StrictInputMixin
from tickets.models import ServiceRecord

pytestmark = pytest.mark.django_db


def _writes(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method in ("post", "put", "patch") and "requestBody" in operation:
                yield method, path, operation


def _url(path, desk):
    collection = path.removeprefix("/api/v1/").split("/")[0]
    url = path.replace("{id}", str(desk.ids[collection][0]))
    return url.replace("{action_id}", str(desk.action_ids[0]))


def test_every_write_refuses_an_unknown_field_naming_it(admin_api, schema, desk):
    writes = list(_writes(schema))
    assert len(writes) >= 12
    for method, path, operation in writes:
        url = _url(path, desk)
        if "multipart/form-data" in operation["requestBody"]["content"]:
            upload = SimpleUploadedFile("a.txt", b"hello", content_type="text/plain")
            response = admin_api.generic(
                method.upper(), url, **_multipart({"file": upload, "colour": "red"})
            )
        else:
            response = getattr(admin_api, method)(url, {"colour": "red"}, format="json")
        assert response.status_code == 400, (method, path, response.content)
        assert response.json()["error"]["fields"]["colour"] == ["Unknown field."], (method, path)


def _multipart(data):
    from django.test.client import MULTIPART_CONTENT, encode_multipart

    boundary = "BoUnDaRy"
    return {
        "data": encode_multipart(boundary, data),
        "content_type": f"{MULTIPART_CONTENT[: MULTIPART_CONTENT.index('=') + 1]}{boundary}",
    }


def test_every_request_body_in_the_schema_forbids_additional_properties(schema):
    components = schema["components"]["schemas"]
    for method, path, operation in _writes(schema):
        for media in operation["requestBody"]["content"].values():
            name = media["schema"]["$ref"].rsplit("/", 1)[-1]
            assert components[name].get("additionalProperties") is False, (method, path, name)


def test_every_input_serializer_is_strict():
    from customers.api import serializers as customer_inputs
    from servicedesk.core.api import serializers as core_inputs
    from surveys.api import serializers as survey_inputs
    from tickets.api import serializers as record_inputs

    inputs = [
        obj
        for module in (core_inputs, customer_inputs, record_inputs, survey_inputs)
        for name, obj in vars(module).items()
        if isinstance(obj, type) and name.endswith("InputSerializer") and not name.startswith("_")
    ]
    assert len(inputs) >= 10
    assert all(issubclass(cls, StrictInputMixin) for cls in inputs), inputs
    assert issubclass(InputSerializer, StrictInputMixin)


def test_customer_create_with_primary_points_instead_of_phones_is_refused(agent_api):
    # Before: 201 and a customer with no phone.
    response = agent_api.post(
        "/api/v1/customers/",
        {"name": "Zhang Wei", "primary_points": [{"kind": "phone", "value": "13800138000"}]},
        format="json",
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert list(fields) == ["primary_points"]
    assert "phones" in fields["primary_points"][0]
    assert not Customer.objects.exists() and not ContactPoint.objects.exists()


def test_unknown_and_read_only_fields_are_named_beside_other_errors(agent_api):
    response = agent_api.post(
        "/api/v1/customers/", {"name": "", "version": 3, "colour": "red"}, format="json"
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert fields["colour"] == ["Unknown field."]
    assert fields["version"] == ["This field is read-only."]  # shown by GET, not set by create
    assert "name" in fields


def test_record_patch_with_status_says_to_use_the_transition(token_for, agent, desk):
    # Before: 200 and the record still new.
    record = ServiceRecord.objects.get(pk=desk.ids["service-records"][2])
    response = token_for(agent).patch(
        f"/api/v1/service-records/{record.pk}/",
        {"status": "closed", "version": record.version},
        format="json",
    )
    assert response.status_code == 400
    message = response.json()["error"]["fields"]["status"][0]
    assert "transition" in message
    record.refresh_from_db()
    assert record.status == "new" and record.version == 1


def test_record_create_with_output_fields_is_refused(token_for, agent, desk):
    response = token_for(agent).post(
        "/api/v1/service-records/",
        {
            "customer": desk.ids["customer"][0],
            "stage": "after_sale",
            "category": desk.ids["categories"][0],
            "subject": "Door",
            "reference": "SR-000001",
            "status": "closed",
        },
        format="json",
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert fields["reference"] == ["This field is read-only."]
    assert "transition" in fields["status"][0]


def test_ping_takes_no_fields(token_for, administrator):
    client = token_for(administrator)
    assert client.post("/api/v1/system/pings/", {"worker": "me"}, format="json").status_code == 400
    assert client.post("/api/v1/system/pings/").status_code == 201
