"""The customer list's rows (customers.rows) show what the model instances showed, and the filter
bar's tag and owner selects, read as values, offer what their ModelChoiceFields offer."""

import pytest
from django.urls import reverse
from django.utils import translation

from customers import selectors
from customers.filters import CustomerFilter
from customers.models import Customer, CustomerKind
from customers.rows import ROW_FIELDS, add_contacts_and_tags, customer_row
from customers.templatetags.customer_tags import phone
from customers.views.listing import model_choices_as_values
from servicedesk.core.jinja_env import id_url
from servicedesk.core.users import display_name
from tests.factories import CustomerFactory, EmailFactory, PhoneFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_agent(client, agent):
    client.force_login(agent)
    return client


def _rows(qs):
    url = id_url("customers:detail")
    return add_contacts_and_tags([customer_row(v, url) for v in qs.values(*ROW_FIELDS)])


def test_each_row_reads_as_the_customer_does_in_both_languages(agent):
    org = CustomerFactory(name="明远家具", kind=CustomerKind.ORGANISATION)
    member = CustomerFactory(
        name="王丽", organisation=org, owner=agent, region="上海", management_tier="key"
    )
    PhoneFactory(customer=member, contact__customer=member, value="+8613800138000")
    EmailFactory(customer=member, contact=member.contacts.get(), value="wl@example.com")
    # A second contact's phone and a primary contact's secondary phone are not shown.
    PhoneFactory(customer=member, contact__customer=member, contact__is_primary=False)
    PhoneFactory(customer=member, contact=member.contacts.get(is_primary=True), is_primary=False)
    member.tags.add(TagFactory(name="VIP"), TagFactory(name="A-list"))
    CustomerFactory(name="李雷", is_archived=True)
    for language in ("en", "zh-hans"):
        with translation.override(language):
            expected = {c.pk: c for c in selectors.customer_list(archived=None)}
            rows = _rows(selectors.customer_list(archived=None, related=False))
            assert [r.pk for r in rows] == list(expected)
            for row in rows:
                c = expected[row.pk]
                assert row.url == reverse("customers:detail", args=[c.pk])
                assert row.name == c.name and row.is_archived == c.is_archived
                assert row.organisation_name == (c.organisation.name if c.organisation else None)
                assert row.management_tier == c.get_management_tier_display()
                assert row.lifecycle == c.get_lifecycle_display()
                assert row.region == c.region
                assert row.owner_name == (display_name(c.owner) if c.owner else "")
                points = c.primary_points
                assert row.phones == [phone(p.value) for p in points if p.kind == "phone"]
                assert row.emails == [p.value for p in points if p.kind == "email"]
                assert row.tags == [t.name for t in c.tags.all()]
    member_row = next(r for r in rows if r.pk == member.pk)
    assert member_row.phones == ["138 0013 8000"] and member_row.tags == ["A-list", "VIP"]


def _selects(form) -> dict:
    return {name: str(form[name]) for name in ("tag", "owner")}


@pytest.mark.parametrize("query", [{}, {"tag": "CHOSEN", "owner": "OWNER"}])
def test_the_filter_bar_offers_what_the_model_choice_fields_offer(agent, query):
    tags = [TagFactory(name=n) for n in ("VIP", "<b>bold</b>", "A-list")]
    owner = UserFactory(username="zz", first_name="丽", last_name="王")
    UserFactory(username="gone", is_active=False)
    data = {"tag": str(tags[1].pk), "owner": str(owner.pk)} if query else None
    expected = _selects(CustomerFilter(data, queryset=Customer.objects.all()).form)
    form = CustomerFilter(data, queryset=Customer.objects.all()).form
    model_choices_as_values(form)
    assert _selects(form) == expected
    assert "&lt;b&gt;bold&lt;/b&gt;" in expected["tag"] and "王丽" in expected["owner"]
    if query:
        assert f'value="{owner.pk}" selected' in expected["owner"]


def test_the_list_page_escapes_what_was_typed(client_agent):
    CustomerFactory(name="<b>Wang & Co</b>", region="<i>north</i>")
    html = client_agent.get(reverse("customers:index")).content.decode()
    assert "<b>Wang" not in html and "&lt;b&gt;Wang &amp; Co&lt;/b&gt;" in html
    assert "&lt;i&gt;north&lt;/i&gt;" in html


def test_a_bad_tag_in_the_filter_bar_is_still_refused(client_agent):
    html = client_agent.get(reverse("customers:index"), {"tag": "999999"}).content.decode()
    assert 'class="form-errors"' in html


def test_the_rows_are_what_the_model_page_showed(client_agent, agent):
    customer = CustomerFactory(name="张伟", owner=agent, region="")
    PhoneFactory(customer=customer, contact__customer=customer, value="+8613900001111")
    customer.tags.add(TagFactory(name="VIP"))
    # override: the page activates the language it was asked for; put back the one before.
    with translation.override("zh-hans"):
        tier = Customer.objects.get(pk=customer.pk).get_management_tier_display()
        page = client_agent.get(reverse("customers:index"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = page.content.decode()
    assert f'<a href="/customers/{customer.pk}/">张伟</a>' in html
    assert "<td>139 0000 1111</td>" in html and f"<td>{tier}</td>" in html
    assert "<td>—</td>" in html  # no region
    assert f"<td>{display_name(agent)}</td>" in html
    assert '<span class="badge">VIP</span>' in html
