import datetime

import pytest
from django.core.exceptions import ValidationError

from customers import services
from customers.contactpoints import normalise_email, normalise_phone
from customers.models import (
    Address,
    Contact,
    ContactPoint,
    ConversionCause,
    Customer,
    CustomerKind,
    Interaction,
    Lifecycle,
    ManagementTier,
)
from servicedesk.core.exceptions import ConflictError, DomainError
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    InteractionFactory,
    PhoneFactory,
    ProductFactory,
    ProductOwnedFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("13800138000", "+8613800138000"),
        ("138 0013 8000", "+8613800138000"),
        ("+86 138-0013-8000", "+8613800138000"),
        ("010-12345678", "+861012345678"),
        ("0755 8888 6666", "+8675588886666"),
        ("+1 650 253 0000", "+16502530000"),
    ],
)
def test_normalise_phone_accepts_chinese_and_international(raw, e164):
    assert normalise_phone(raw) == e164


@pytest.mark.parametrize("raw", ["12345", "abc", "", "1380013800012345"])
def test_normalise_phone_rejects_malformed(raw):
    with pytest.raises(ValidationError):
        normalise_phone(raw)


def test_normalise_email_lowercases_and_rejects_malformed():
    assert normalise_email(" Li.Na@Example.COM ") == "li.na@example.com"
    with pytest.raises(ValidationError):
        normalise_email("li.na@")


def test_customer_create_with_contact_phones_and_emails():
    # when
    customer = services.customer_create(
        name="张伟 (Zhang Wei)",
        management_tier=ManagementTier.KEY,
        phones="138 0013 8000, 010-12345678",
        emails=["zhang@example.com"],
        tags=["VIP"],
    )
    # then
    contact = customer.contacts.get()
    assert contact.is_primary and contact.name == customer.name
    points = list(contact.points.order_by("kind", "-is_primary", "pk"))
    assert [(p.kind, p.value, p.is_primary) for p in points] == [
        ("email", "zhang@example.com", True),
        ("phone", "+8613800138000", True),
        ("phone", "+861012345678", False),
    ]
    assert points[1].digits_reversed == "0008310083168"
    assert [t.name for t in customer.tags.all()] == ["VIP"]
    assert customer.history.last().history_change_reason == "created"


def test_customer_create_reports_every_bad_field():
    with pytest.raises(ValidationError) as exc:
        services.customer_create(
            name="", phones=["12345"], emails=["nope@"], management_tier="platinum"
        )
    errors = exc.value.message_dict
    assert set(errors) >= {"name", "phones", "emails", "management_tier"}
    assert "12345" in errors["phones"][0]
    assert Customer.objects.count() == 0


def test_customer_create_actual_gets_conversion_date():
    customer = services.customer_create(name="A", lifecycle=Lifecycle.ACTUAL)
    assert customer.converted_at is not None
    assert customer.conversion_cause == ConversionCause.MANUAL


def test_customer_create_warns_about_duplicate_phone_in_other_format():
    existing = services.customer_create(name="First", phones=["13800138000"])
    with pytest.raises(services.DuplicateCustomerError) as exc:
        services.customer_create(name="Second", phones=["+86 138 0013 8000"])
    assert exc.value.matches == [existing]
    assert exc.value.field == "phones"
    services.customer_create(name="Second", phones=["13800138000"], allow_duplicate=True)
    assert Customer.objects.count() == 2


def test_customer_find_duplicates_by_email_ignores_archived():
    first = services.customer_create(name="First", emails=["a@example.com"])
    assert services.customer_find_duplicates(emails=["A@example.com"]) == [first]
    services.customer_archive(customer_id=first.pk)
    assert services.customer_find_duplicates(emails=["a@example.com"]) == []


def test_customer_update_bumps_version_and_detects_conflict():
    customer = services.customer_create(name="Old")
    updated = services.customer_update(
        customer_id=customer.pk, version=1, changes={"name": "New", "region": "上海"}
    )
    assert updated.version == 2
    # A second person still holding version 1 is refused, and told what changed.
    with pytest.raises(ConflictError) as exc:
        services.customer_update(customer_id=customer.pk, version=1, changes={"name": "Mine"})
    assert exc.value.current == 2
    assert exc.value.changes["name"] == {"was": "Old", "now": "New"}
    assert Customer.objects.get().name == "New"


def test_customer_update_rejects_unknown_classification_value():
    customer = services.customer_create(name="X")
    with pytest.raises(ValidationError) as exc:
        services.customer_update(
            customer_id=customer.pk, version=1, changes={"marketing_type": "greedy"}
        )
    assert "marketing_type" in exc.value.message_dict
    assert Customer.objects.get().version == 1


def test_customer_update_back_to_potential_clears_conversion():
    customer = services.customer_create(name="X", lifecycle=Lifecycle.ACTUAL)
    customer = services.customer_update(
        customer_id=customer.pk, version=1, changes={"lifecycle": Lifecycle.POTENTIAL}
    )
    assert customer.converted_at is None


def test_customer_update_rejects_non_organisation_as_organisation():
    person = CustomerFactory()
    customer = CustomerFactory()
    with pytest.raises(ValidationError) as exc:
        services.customer_update(
            customer_id=customer.pk, version=1, changes={"organisation": person}
        )
    assert "organisation" in exc.value.message_dict


def test_customer_archive_is_soft_and_idempotent():
    customer = CustomerFactory()
    services.customer_archive(customer_id=customer.pk)
    again = services.customer_archive(customer_id=customer.pk)
    assert again.is_archived and again.archived_at and again.version == 2


def test_contact_add_makes_first_primary_and_moves_primary_on_request():
    customer = CustomerFactory()
    first = services.contact_add(customer=customer, name="A", phones=["13800138001"])
    second = services.contact_add(customer=customer, name="B")
    assert first.is_primary and not second.is_primary
    third = services.contact_add(customer=customer, name="C", is_primary=True)
    first.refresh_from_db()
    assert third.is_primary and not first.is_primary


def test_contact_add_rejects_bad_phone_and_writes_nothing():
    customer = CustomerFactory()
    with pytest.raises(ValidationError) as exc:
        services.contact_add(customer=customer, name="A", phones=["000"])
    assert "phones" in exc.value.message_dict
    assert not Contact.objects.exists()


def test_contact_update_keeps_the_only_primary():
    contact = ContactFactory(is_primary=True)
    contact = services.contact_update(contact=contact, name="Renamed", is_primary=False)
    assert contact.is_primary and contact.name == "Renamed"


def test_contact_point_add_primary_rules_and_duplicates():
    contact = ContactFactory()
    p1 = services.contact_point_add(contact=contact, kind="phone", value="13800138002")
    p2 = services.contact_point_add(
        contact=contact, kind="phone", value="13800138003", is_primary=True
    )
    p1.refresh_from_db()
    assert p2.is_primary and not p1.is_primary
    with pytest.raises(DomainError):
        services.contact_point_add(contact=contact, kind="phone", value="+8613800138002")
    with pytest.raises(ValidationError) as exc:
        services.contact_point_add(contact=contact, kind="email", value="bad")
    assert "value" in exc.value.message_dict


def test_contact_point_update_renormalises():
    point = PhoneFactory()
    point = services.contact_point_update(point=point, value="021-62345678")
    assert point.value == "+862162345678"
    assert point.digits_reversed == "876543261268"


def test_interaction_log_validates_kind(agent):
    customer = CustomerFactory()
    interaction = services.interaction_log(
        customer=customer, kind="visit", summary="上门拜访", staff=agent
    )
    assert interaction.occurred_at and interaction.staff == agent
    with pytest.raises(ValidationError) as exc:
        services.interaction_log(customer=customer, kind="fax", summary="x")
    assert "kind" in exc.value.message_dict


def test_product_owned_add_defaults_warranty_from_product():
    product = ProductFactory(warranty_months=24)
    owned = services.product_owned_add(
        customer=CustomerFactory(),
        product=product,
        serial="SN1",
        purchase_date=datetime.date(2024, 2, 29),
    )
    assert owned.warranty_end == datetime.date(2026, 2, 28)


def test_product_owned_add_rejects_duplicate_serial_and_early_warranty_end():
    product = ProductFactory()
    services.product_owned_add(customer=CustomerFactory(), product=product, serial="SN1")
    with pytest.raises(ValidationError) as exc:
        services.product_owned_add(customer=CustomerFactory(), product=product, serial="SN1")
    assert "serial" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.product_owned_add(
            customer=CustomerFactory(),
            product=product,
            purchase_date=datetime.date(2025, 1, 2),
            warranty_end=datetime.date(2025, 1, 1),
        )
    assert "warranty_end" in exc.value.message_dict


def test_product_owned_add_refuses_a_purchase_in_the_future():
    # Before: 9999-12-01 plus the warranty overflowed the year and answered 500.
    with pytest.raises(ValidationError) as exc:
        services.product_owned_add(
            customer=CustomerFactory(),
            product=ProductFactory(warranty_months=24),
            purchase_date=datetime.date(9999, 12, 1),
        )
    assert "purchase_date" in exc.value.message_dict


def test_customer_merge_moves_everything_and_archives_duplicate(manager):
    # given
    survivor = services.customer_create(name="Survivor", phones=["13800138010"])
    duplicate = services.customer_create(
        name="Dup",
        phones=["13800138011"],
        lifecycle=Lifecycle.ACTUAL,
        region="北京",
        tags=[TagFactory(name="VIP")],
    )
    org_member = CustomerFactory(organisation=None)
    Customer.objects.filter(pk=org_member.pk).update(organisation=duplicate)
    InteractionFactory.create_batch(3, customer=duplicate)
    ProductOwnedFactory(customer=duplicate)
    Address.objects.create(customer=duplicate, line="1 Road", is_primary=True)
    Address.objects.create(customer=survivor, line="2 Road", is_primary=True)
    # when
    services.customer_merge(survivor_id=survivor.pk, duplicate_id=duplicate.pk, by=manager)
    # then
    survivor.refresh_from_db()
    duplicate.refresh_from_db()
    assert Interaction.objects.filter(customer=survivor).count() == 3
    assert survivor.products_owned.count() == 1
    assert survivor.contacts.count() == 2
    assert survivor.contacts.filter(is_primary=True).count() == 1
    assert survivor.addresses.filter(is_primary=True).get().line == "2 Road"
    assert ContactPoint.objects.filter(customer=survivor).count() == 2
    assert Customer.objects.get(pk=org_member.pk).organisation_id == survivor.pk
    assert [t.name for t in survivor.tags.all()] == ["VIP"]
    assert survivor.region == "北京" and survivor.lifecycle == Lifecycle.ACTUAL
    assert duplicate.is_archived and duplicate.merged_into_id == survivor.pk
    assert not duplicate.contacts.exists()
    last = survivor.history.first()
    assert "merged" in last.history_change_reason and last.history_user == manager


def test_customer_merge_refuses_same_or_archived():
    a, b = CustomerFactory(), CustomerFactory()
    with pytest.raises(DomainError):
        services.customer_merge(survivor_id=a.pk, duplicate_id=a.pk)
    services.customer_archive(customer_id=b.pk)
    with pytest.raises(DomainError):
        services.customer_merge(survivor_id=a.pk, duplicate_id=b.pk)


def test_customer_merge_does_not_make_survivor_its_own_member():
    org = CustomerFactory(kind=CustomerKind.ORGANISATION)
    dup_org = CustomerFactory(kind=CustomerKind.ORGANISATION)
    Customer.objects.filter(pk=org.pk).update(organisation=dup_org)
    services.customer_merge(survivor_id=org.pk, duplicate_id=dup_org.pk)
    assert Customer.objects.get(pk=org.pk).organisation_id == dup_org.pk


def test_customer_record_conversion_is_idempotent():
    customer = CustomerFactory()
    customer, converted = services.customer_record_conversion(
        customer_id=customer.pk, cause="sale", note="order 1"
    )
    first = customer.converted_at
    customer, again = services.customer_record_conversion(customer_id=customer.pk, cause="service")
    assert converted and not again
    assert customer.converted_at == first and customer.conversion_cause == "sale"


def test_merging_a_customer_with_a_long_name_keeps_the_history_and_fails_nothing(manager):
    # The merge's change reason names the duplicate: past the history's 100 characters it is cut
    # short there, not refused by the database.
    survivor = services.customer_create(name="明远家具")
    duplicate = services.customer_create(name="明远家具有限公司华东区域销售与售后服务中心" * 5)
    services.customer_merge(survivor_id=survivor.pk, duplicate_id=duplicate.pk, by=manager)
    reason = survivor.history.latest().history_change_reason
    assert len(reason) == 100 and reason.endswith("…")
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == survivor.pk
