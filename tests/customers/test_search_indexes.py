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

    # Three characters and more have trigrams; fewer are the character index's (below).
    plan = _plan(customer_search(Customer.objects.all(), "明远家"))
    assert "customer_name_trgm_idx" in plan, plan


def test_customer_list_first_page_walks_the_name_index():
    CustomerFactory.create_batch(20)
    from customers.selectors import customer_list

    plan = _plan(customer_list()[:26])
    assert "customer_active_name_idx" in plan and "Seq Scan on customers_customer" not in plan, plan


def test_surname_search_uses_the_character_indexes():
    """One or two characters have no trigram: the character indexes of migration 0006 serve the
    name and the organisation sub-search, ORed as two index scans rather than a filter."""
    org = CustomerFactory(name="沈阳明远有限公司", kind="organisation")
    member = CustomerFactory(name="王五", organisation=org)
    mine = CustomerFactory(name="沈一")
    CustomerFactory.create_batch(20)
    from customers.selectors import customer_list, customer_search

    assert {mine, member, org} <= set(customer_list(search="沈", related=False))
    plan = _plan(customer_search(Customer.objects.all(), "沈"))
    assert "customer_name_chars_idx" in plan and "customer_org_chars_idx" in plan, plan
    assert "BitmapOr" in plan and "SubPlan" not in plan, plan
    assert "customer_name_chars_idx" in _plan(customer_search(Customer.objects.all(), "明远"))
