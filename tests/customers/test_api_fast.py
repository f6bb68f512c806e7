"""The customers' API list, read as values (customers.api.lists), answers exactly what
CustomerOutputSerializer answers for the same rows: every field, tags, primary points, times,
nulls, byte for byte once rendered."""

import datetime

import pytest
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from customers import selectors
from customers.api import lists
from customers.api.serializers import CustomerOutputSerializer
from customers.models import CustomerKind
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    EmailFactory,
    PhoneFactory,
    TagFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
URL = "/api/v1/customers/"


def rendered(data) -> bytes:
    return JSONRenderer().render(data)


@pytest.fixture
def customers(db):
    org = CustomerFactory(name="上海明远家具有限公司", kind=CustomerKind.ORGANISATION)
    owner = UserFactory(username="owner")
    full = CustomerFactory(
        name="李伟",
        organisation=org,
        owner=owner,
        management_tier="key",
        converted_at=timezone.now(),
        conversion_cause="sale",
        region="上海",
        contact_from=datetime.time(18, 0),
        contact_until=datetime.time(20, 30),
        preferences="晚上联系",
        notes="VIP",
    )
    full.tags.set([TagFactory(name="vip"), TagFactory(name="b-tag")])
    primary = ContactFactory(customer=full, is_primary=True)
    PhoneFactory(contact=primary, label="mobile")
    PhoneFactory(contact=primary, is_primary=False)
    EmailFactory(contact=primary)
    PhoneFactory(contact=ContactFactory(customer=full, is_primary=False))  # not the primary
    bare = CustomerFactory(name="Alice")  # no tags, points, owner or organisation
    return [org, full, bare]


def serializer_customers(**kwargs) -> list:
    return CustomerOutputSerializer(selectors.customer_list(**kwargs), many=True).data


def test_customer_items_equal_the_serializers(customers):
    rows = list(selectors.customer_list().prefetch_related(None).values(*lists.CUSTOMER_COLUMNS))
    got = lists.customer_items(rows)
    full = next(c for c in got if c["name"] == "李伟")
    assert full["tags"] == ["b-tag", "vip"] and len(full["primary_points"]) == 2
    assert rendered(got) == rendered(serializer_customers())


def test_the_customer_list_answers_the_serializers_items_page_by_page(customers, agent_api):
    got, url = [], f"{URL}?page_size=2&sort=-created"
    while url:
        body = agent_api.get(url).json()
        got += body["results"]
        url = body["next"]
    assert rendered(got) == rendered(serializer_customers(order="-created"))
    found = agent_api.get(f"{URL}?q=李伟").json()["results"]
    assert [c["name"] for c in found] == ["李伟"]


def test_archived_customers_are_listed_for_managers_only(customers, manager, agent_api):
    customers[2].is_archived = True
    customers[2].save()
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_login(manager)
    archived = client.get(f"{URL}?archived=true").json()["results"]
    assert rendered(archived) == rendered(serializer_customers(archived=True))
    assert [c["name"] for c in agent_api.get(f"{URL}?archived=true").json()["results"]] == [
        "上海明远家具有限公司",
        "李伟",
    ]
