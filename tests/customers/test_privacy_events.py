"""Issue 13, item 6's remainder: exports, imports, merges and erasures in the security log, each
written after (or with) the business write it reports, with ids and no personal values."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from customers import privacy, services
from customers.models import Customer, ImportJob
from servicedesk.core.exceptions import DomainError
from servicedesk.securitylog.models import EventKind, SecurityEvent
from tests.surveys.factories import rating_template

pytestmark = pytest.mark.django_db

HEADER = "name,management_tier,phones,emails,tags,owner\n"


def only_event(kind) -> SecurityEvent:
    [event] = SecurityEvent.objects.filter(kind=kind)
    return event


def test_customer_csv_export_is_logged_with_the_filter_names_only(client, agent):
    services.customer_create(name="张伟", phones=["13800138000"])
    client.force_login(agent)
    response = client.get(reverse("customers:export"), {"q": "13800138000", "tier": ""})
    b"".join(response.streaming_content)
    assert response.status_code == 200
    event = only_event(EventKind.EXPORT)
    assert event.user == agent and event.address == "127.0.0.1"
    # The search term may be a phone or a name: its name is logged, never its value.
    assert event.detail == {"what": "customers_csv", "filters": ["q"]}


def test_dashboard_export_is_logged(client, manager):
    client.force_login(manager)
    today = timezone.localdate()
    query = {"since": (today - timedelta(days=7)).isoformat(), "until": today.isoformat()}
    response = client.get(reverse("dashboard:export", args=["figures"]), query)
    assert response.status_code == 200
    event = only_event(EventKind.EXPORT)
    assert event.user == manager and event.detail["what"] == "dashboard_figures"
    assert event.detail["until"] == today.isoformat()
    assert event.detail["since"] == query["since"]


def test_a_refused_dashboard_export_is_not_logged(client, manager):
    client.force_login(manager)
    response = client.get(reverse("dashboard:export", args=["figures"]), {"since": "2025-13-40"})
    assert response.status_code == 400
    assert not SecurityEvent.objects.filter(kind=EventKind.EXPORT).exists()


def test_survey_results_export_is_logged(client, manager):
    template = rating_template()
    client.force_login(manager)
    today = timezone.localdate()
    query = {"from": (today - timedelta(days=30)).isoformat(), "to": today.isoformat()}
    response = client.get(reverse("surveys:results_csv", args=[template.pk]), query)
    assert response.status_code == 200
    event = only_event(EventKind.EXPORT)
    assert event.user == manager
    assert event.detail["what"] == "survey_results" and event.detail["template"] == template.pk


def test_import_confirmation_is_logged_once(client, agent):
    client.force_login(agent)
    upload = SimpleUploadedFile("c.csv", (HEADER + "张伟,key,13800138000,,,\n").encode())
    client.post(reverse("customers:import"), {"file": upload, "encoding": "utf-8"})
    job = ImportJob.objects.get()
    assert not SecurityEvent.objects.filter(kind=EventKind.IMPORT).exists()  # preview only
    url = reverse("customers:import_preview", args=[job.pk])
    client.post(url, {"action": "confirm"})
    client.post(url, {"action": "confirm"})  # a double click: the first confirmation counts
    event = only_event(EventKind.IMPORT)
    assert event.user == agent and event.detail == {"job": job.pk, "rows": 1}
    assert Customer.objects.filter(name="张伟").exists()


def test_merge_is_logged_with_both_ids_and_no_names(client, manager):
    survivor = services.customer_create(name="Li Wei")
    duplicate = services.customer_create(name="Li Wei (dup)")
    client.force_login(manager)
    response = client.post(
        reverse("customers:merge", args=[survivor.pk]), {"duplicate": duplicate.pk, "confirm": "on"}
    )
    assert response.status_code == 302
    event = only_event(EventKind.MERGE)
    assert event.user == manager and event.address == "127.0.0.1"
    assert event.detail == {"survivor": survivor.pk, "duplicate": duplicate.pk}


def test_a_refused_merge_is_not_logged(manager):
    survivor = services.customer_create(name="Li Wei")
    with pytest.raises(DomainError):
        services.customer_merge(survivor_id=survivor.pk, duplicate_id=survivor.pk, by=manager)
    assert not SecurityEvent.objects.filter(kind=EventKind.MERGE).exists()


def test_personal_data_export_and_erasure_are_logged(client, administrator):
    customer = services.customer_create(name="Li Wei", phones=["13800138000"])
    client.force_login(administrator)
    client.get(reverse("customers:privacy_export", args=[customer.pk]))
    client.post(reverse("customers:erase", args=[customer.pk]), {"confirm": "Li Wei"})
    export, erasure = (
        only_event(EventKind.EXPORT),
        only_event(EventKind.ERASURE),
    )
    assert export.detail == {"what": "customer_personal_data", "customer": customer.pk}
    assert erasure.detail == {"customer": customer.pk} and erasure.user == administrator
    assert "Li Wei" not in str(export.detail) + str(erasure.detail)
    with pytest.raises(privacy.ErasureRefused):
        privacy.customer_erase(customer_id=customer.pk, confirm="x", by=administrator)
    assert SecurityEvent.objects.filter(kind=EventKind.ERASURE).count() == 1
