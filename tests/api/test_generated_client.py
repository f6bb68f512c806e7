"""A Python client generated from /api/schema/ by openapi-python-client imports and works.

The generated write functions used not to import: every write declared JSON, form and multipart
bodies. This test generates the client from the schema the server serves, imports it, and runs a
customer → record → read → transition round trip against a live server with a personal token.
"""

import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from servicedesk.core import services as core_services
from tests.tickets.factories import CategoryFactory
from tickets.models import Stage

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
GENERATOR = shutil.which("openapi-python-client") or next(
    (p for p in [Path(sys.executable).with_name("openapi-python-client")] if p.exists()), None
)
PACKAGE = "desk_api_client"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        GENERATOR is None and not IN_CI,
        reason="openapi-python-client is not installed: pip install -e '.[dev]'",
    ),
]


@pytest.fixture
def generated_client(live_server, tmp_path):
    """Generate the client package from the live server's schema and import it."""
    if GENERATOR is None:  # only reached under CI, where a missing tool must fail, not skip
        pytest.fail("CI=true but openapi-python-client is missing: pip install -e '.[dev]'")
    schema = tmp_path / "schema.json"
    schema.write_bytes(httpx.get(f"{live_server.url}/api/schema/?format=json").content)
    config = tmp_path / "config.yaml"
    # No post hooks: the generator would otherwise run ruff over the output.
    config.write_text(f"package_name_override: {PACKAGE}\npost_hooks: []\n")
    subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(schema),
            "--output-path",
            str(tmp_path / PACKAGE),
            "--meta",
            "none",
            "--config",
            str(config),
            "--fail-on-warning",  # a response or body the generator cannot model is a failure
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def _api(package, name):
    return importlib.import_module(f"{package.__name__}.api.v1.{name}")


def test_generated_client_round_trip(generated_client, live_server, agent, department):
    # given an agent's personal token and a category their department leads
    category = CategoryFactory(code="repair", stage=Stage.AFTER_SALE, lead_department=department)
    _token, key = core_services.api_token_create(user=agent, name="generated client")
    models = importlib.import_module(f"{PACKAGE}.models")
    client = generated_client.AuthenticatedClient(
        base_url=live_server.url, token=key, prefix="Token", raise_on_unexpected_status=True
    )

    with client as c:
        # when they create a customer, then a record for them
        customer = _api(generated_client, "v1_customers_create").sync(
            client=c,
            body=models.CustomerCreateInputRequest(name="Zhang Wei", phones=["13800138000"]),
        )
        assert isinstance(customer, models.CustomerOutput), customer
        assert customer.conversion_cause is None
        record = _api(generated_client, "v1_service_records_create").sync(
            client=c,
            body=models.RecordCreateInputRequest(
                customer=customer.id,
                stage=models.StageEnum.AFTER_SALE,
                category=category.pk,
                subject="Wardrobe door misaligned",
            ),
        )
        assert isinstance(record, models.RecordOutput), record

        # then they read it, and open it with the version they read
        read = _api(generated_client, "v1_service_records_retrieve").sync(client=c, id=record.id)
        assert read.status == models.StatusEnum.NEW and read.customer.id == customer.id
        opened = _api(generated_client, "v1_service_records_transition_create").sync(
            client=c,
            id=record.id,
            body=models.TransitionInputRequest(status=models.StatusEnum.OPEN, version=read.version),
        )
        assert isinstance(opened, models.RecordOutput), opened
        assert opened.status == models.StatusEnum.OPEN and opened.version == read.version + 1

        # and the history says who did what, newest first
        history = _api(generated_client, "v1_service_records_history_list").sync(
            client=c, id=record.id
        )
        assert [e.kind for e in history] == [
            models.HistoryKindEnum.CHANGED,
            models.HistoryKindEnum.CREATED,
        ]
        status = next(ch for ch in history[0].changes if ch.field == "status")
        assert (status.old, status.new, status.new_display) == ("new", "open", "Open")

        # and a refused input comes back as the error model, naming the field
        refused = _api(generated_client, "v1_service_records_transition_create").sync_detailed(
            client=c,
            id=record.id,
            body=models.TransitionInputRequest(status=models.StatusEnum.CLOSED),
        )
        assert refused.status_code == 400
        assert "status" in refused.parsed.error.fields.additional_properties
