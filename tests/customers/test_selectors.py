import pytest

from customers import selectors, services
from customers.models import CustomerKind, ManagementTier
from tests.factories import CustomerFactory, TagFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    org = services.customer_create(name="上海明远家具有限公司", kind=CustomerKind.ORGANISATION)
    zhang = services.customer_create(
        name="张伟 (Zhang Wei)",
        organisation=org,
        phones=["138 0013 8000"],
        emails=["zhang.wei@example.com"],
        management_tier=ManagementTier.KEY,
    )
    li = services.customer_create(name="李娜 (Li Na)", phones=["010-12345678"])
    return org, zhang, li


def _names(qs):
    return sorted(c.name for c in qs)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("zhang", ["张伟 (Zhang Wei)"]),
        ("李娜", ["李娜 (Li Na)"]),
        ("明远", ["上海明远家具有限公司", "张伟 (Zhang Wei)"]),  # organisation name finds members
        ("Zhang.Wei@Example.com", ["张伟 (Zhang Wei)"]),
        ("13800138000", ["张伟 (Zhang Wei)"]),
        ("+86 138 0013 8000", ["张伟 (Zhang Wei)"]),
        ("8000", ["张伟 (Zhang Wei)"]),  # the last four digits
        ("5678", ["李娜 (Li Na)"]),
        ("9999", []),
    ],
)
def test_customer_list_search(people, query, expected):
    assert _names(selectors.customer_list(search=query)) == expected


def test_customer_list_filters_and_excludes_archived(people):
    org, zhang, li = people
    assert _names(selectors.customer_list(filters={"management_tier": "key"})) == [zhang.name]
    services.customer_archive(customer_id=li.pk)
    assert li.name not in _names(selectors.customer_list())
    assert _names(selectors.customer_list(archived=True)) == [li.name]


def test_customer_list_sorting(people):
    names = [c.name for c in selectors.customer_list(order="-name")]
    assert names == sorted(names, reverse=True)


def test_customer_list_filter_by_tag():
    tagged = CustomerFactory()
    tagged.tags.add(TagFactory(name="VIP"))
    CustomerFactory()
    assert list(selectors.customer_list(filters={"tags__name": "VIP"})) == [tagged]


def test_customer_list_runs_fixed_queries(big_archive, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):  # customers (+owner, org), tags, primary points
        rows = list(selectors.customer_list())
        for c in rows:
            list(c.tags.all())
            list(c.primary_points)
    assert len(rows) == 56


def test_customer_search_by_phone_runs_fixed_queries(big_archive, django_assert_max_num_queries):
    # The matching phones, the customers with their list data, their tags.
    with django_assert_max_num_queries(4):
        rows = list(selectors.customer_list(search="000"))
        for c in rows:
            list(c.tags.all())
    assert len(rows) == 55


def test_customer_get_360_runs_fixed_queries(big_archive, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        customer = selectors.customer_get_360(customer_id=big_archive[0].pk)
        contacts = list(customer.contacts.all())
        assert sum(len(c.points.all()) for c in contacts) == 12
        assert len(customer.products_owned.all()) == 20
        assert all(p.product.sku for p in customer.products_owned.all())
