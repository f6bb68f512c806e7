"""Customer search stays index-backed on PostgreSQL (the indexes are named in selectors.py)."""

import pytest
from django.db import connection

from customers.models import Customer
from tests.factories import CustomerFactory, PhoneFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif("not __import__('django').db.connection.vendor == 'postgresql'"),
]


def _plan(qs) -> str:
    with connection.cursor() as cursor:
        # Tiny tables make a sequential scan cheapest; forbid it to see whether an index serves.
        cursor.execute("SET LOCAL enable_seqscan = off")
        return qs.explain()


def test_phone_last_digits_search_uses_reversed_digits_index():
    PhoneFactory.create_batch(20)
    from customers.selectors import customer_search, phone_customer_ids

    plan = _plan(phone_customer_ids("4321"))
    assert "contactpoint_digits_rev_idx" in plan, plan
    # The list then reads the customers found by their primary keys, not every one in name order.
    mine = PhoneFactory(value="+8613800004321").contact.customer
    found = customer_search(Customer.objects.all(), "4321", phones_first=True)
    assert mine in found
    assert "customers_customer_pkey" in _plan(found.order_by("name", "pk")), _plan(found)


def test_name_search_uses_trigram_index():
    CustomerFactory.create_batch(20)
    from customers.selectors import customer_search

    plan = _plan(customer_search(Customer.objects.all(), "明远"))
    assert "customer_name_trgm_idx" in plan, plan


def test_customer_list_first_page_walks_the_name_index():
    CustomerFactory.create_batch(20)
    from customers.selectors import customer_list

    plan = _plan(customer_list()[:26])
    assert "customer_active_name_idx" in plan and "Seq Scan on customers_customer" not in plan, plan
