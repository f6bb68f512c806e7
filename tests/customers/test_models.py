import pytest
from django.db import IntegrityError, transaction

from customers.models import Contact, Customer, Lifecycle
from tests.factories import ContactFactory, CustomerFactory, ProductFactory, ProductOwnedFactory

pytestmark = pytest.mark.django_db


def test_customer_actual_requires_conversion_date():
    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerFactory(lifecycle=Lifecycle.ACTUAL, converted_at=None)


def test_customer_unknown_classification_rejected_by_database():
    customer = CustomerFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.filter(pk=customer.pk).update(management_tier="platinum")


def test_contact_only_one_primary_per_customer():
    contact = ContactFactory(is_primary=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(customer=contact.customer, name="Second", is_primary=True)


def test_product_serial_unique_per_product_but_blank_allowed():
    product = ProductFactory()
    ProductOwnedFactory(product=product, serial="")
    ProductOwnedFactory(product=product, serial="")
    ProductOwnedFactory(product=product, serial="A1")
    with pytest.raises(IntegrityError), transaction.atomic():
        ProductOwnedFactory(product=product, serial="A1")


def test_customer_history_is_recorded():
    customer = CustomerFactory(name="Before")
    customer.name = "After"
    customer.save()
    assert customer.history.count() == 2
