import pytest
from django.urls import reverse
from django.utils import timezone

from customers import services
from customers.models import Customer, Interaction
from tests.factories import CustomerFactory, InteractionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_agent(client, agent):
    client.force_login(agent)
    return client


def test_list_requires_a_desk_role(client):
    client.force_login(UserFactory(role=""))
    assert client.get(reverse("customers:index")).status_code == 403


def test_list_empty_state_says_what_to_do(client_agent):
    html = client_agent.get(reverse("customers:index")).content.decode()
    assert "The archive is empty." in html
    assert reverse("customers:import") in html


def test_list_search_without_match_offers_next_steps(client_agent):
    CustomerFactory(name="Someone")
    html = client_agent.get(reverse("customers:index"), {"q": "nobody"}).content.decode()
    assert "No customer matches this search." in html


def test_list_search_by_last_digits_and_paginates(client_agent):
    services.customer_create(name="Zhang Wei", phones=["13800138000"])
    CustomerFactory.create_batch(30)
    html = client_agent.get(reverse("customers:index"), {"q": "8000"}).content.decode()
    assert "Zhang Wei" in html and "138 0013 8000" in html
    page2 = client_agent.get(reverse("customers:index"), {"page": 2}).content.decode()
    # No count of the list: the last page knows its total, the first only that more follow.
    assert "26–31 of 31" in page2
    page1 = client_agent.get(reverse("customers:index")).content.decode()
    assert "1–25 of many" in page1


def test_list_unknown_filter_value_shows_error_not_500(client_agent):
    response = client_agent.get(reverse("customers:index"), {"management_tier": "platinum"})
    assert response.status_code == 200
    assert "platinum is not one of the available choices" in response.content.decode()


def test_create_form_shows_field_errors(client_agent):
    response = client_agent.post(
        reverse("customers:create"),
        {
            "name": "X",
            "kind": "individual",
            "phones": "12345",
            "emails": "bad@",
            "management_tier": "regular",
            "lifecycle": "potential",
            "transaction_progress": "upcoming",
            "chain_position": "end",
            "marketing_type": "economic",
            "party": "external",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "“12345” is not a valid phone number" in html
    assert "“bad@” is not a valid e-mail address" in html
    assert not Customer.objects.exists()


def _form(**extra):
    return {
        "name": "张伟",
        "kind": "individual",
        "management_tier": "regular",
        "lifecycle": "potential",
        "transaction_progress": "upcoming",
        "chain_position": "end",
        "marketing_type": "economic",
        "party": "external",
        **extra,
    }


def test_create_warns_on_duplicate_then_creates_anyway(client_agent):
    first = services.customer_create(name="Existing", phones=["13800138000"])
    response = client_agent.post(reverse("customers:create"), _form(phones="138-0013-8000"))
    html = response.content.decode()
    assert "Possible duplicate" in html
    assert reverse("customers:detail", args=[first.pk]) in html
    assert Customer.objects.count() == 1
    response = client_agent.post(
        reverse("customers:create"), _form(phones="13800138000", create_anyway="on")
    )
    assert response.status_code == 302
    assert Customer.objects.count() == 2


def test_edit_conflict_reshows_form_with_changes(client_agent):
    customer = services.customer_create(name="Old name")
    services.customer_update(customer_id=customer.pk, version=1, changes={"name": "Their name"})
    response = client_agent.post(
        reverse("customers:edit", args=[customer.pk]), _form(name="My name", version=1)
    )
    html = response.content.decode()
    assert "Someone else changed this customer meanwhile" in html
    assert "Their name" in html and "Old name" in html
    assert 'name="version" value="2"' in html
    assert Customer.objects.get().name == "Their name"


def test_edit_saves_with_current_version(client_agent):
    customer = services.customer_create(name="Old")
    response = client_agent.post(
        reverse("customers:edit", args=[customer.pk]), _form(name="New", version=1, tags="VIP")
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.name == "New" and customer.version == 2
    assert [t.name for t in customer.tags.all()] == ["VIP"]


def test_interaction_add_then_on_360_page(client_agent, agent):
    customer = CustomerFactory()
    response = client_agent.post(
        reverse("customers:interaction_add", args=[customer.pk]),
        {"kind": "visit", "summary": "上门检查衣柜门", "notes": ""},
    )
    assert response.status_code == 302
    assert Interaction.objects.get().staff == agent
    html = client_agent.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "上门检查衣柜门" in html and "Contacts" in html and "Products owned" in html


def test_product_and_contact_add_pages(client_agent):
    from tests.factories import ProductFactory

    customer = CustomerFactory()
    product = ProductFactory(warranty_months=12)
    response = client_agent.post(
        reverse("customers:product_add", args=[customer.pk]),
        {"product": product.pk, "serial": "SN-9", "purchase_date": "2025-01-31"},
    )
    assert response.status_code == 302
    assert str(customer.products_owned.get().warranty_end) == "2026-01-31"
    bad = client_agent.post(
        reverse("customers:contact_add", args=[customer.pk]), {"name": "A", "phones": "999"}
    )
    assert "“999” is not a valid phone number" in bad.content.decode()


def test_archive_page(client_agent):
    customer = CustomerFactory()
    assert client_agent.post(reverse("customers:archive", args=[customer.pk])).status_code == 302
    assert Customer.objects.get().is_archived


def test_merge_is_for_managers(client, agent, manager):
    a = services.customer_create(name="A", phones=["13800138000"])
    b = services.customer_create(name="B", phones=["13800138000"], allow_duplicate=True)
    client.force_login(agent)
    assert client.get(reverse("customers:merge", args=[a.pk])).status_code == 403
    client.force_login(manager)
    page = client.get(reverse("customers:merge", args=[a.pk])).content.decode()
    assert "Customers sharing a phone or e-mail" in page and "B" in page
    response = client.post(
        reverse("customers:merge", args=[a.pk]), {"duplicate": b.pk, "confirm": "on"}
    )
    assert response.status_code == 302
    assert Customer.objects.get(pk=b.pk).merged_into_id == a.pk


def test_list_page_query_count_is_fixed(client_agent, big_archive, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = client_agent.get(reverse("customers:index"))
    assert response.status_code == 200
    assert response.content.decode().count("customers/") > 25


def test_search_page_query_count_is_fixed(client_agent, big_archive, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        response = client_agent.get(reverse("customers:index"), {"q": "000", "sort": "-name"})
    # 55 match; the page says so without counting them
    assert "1–25 of many" in response.content.decode()


def test_360_page_query_count_is_fixed(client_agent, big_archive, django_assert_max_num_queries):
    customer = big_archive[0]
    InteractionFactory(customer=customer, summary="The newest call", occurred_at=timezone.now())
    # 15 today (tickets' section included); each app's section adds a fixed few, never per row.
    with django_assert_max_num_queries(19):
        response = client_agent.get(reverse("customers:detail", args=[customer.pk]))
    html = response.content.decode()
    assert html.count('data-kind="interaction"') == 21
    assert html.index("The newest call") < html.index("call 0")


def test_360_page_shows_contacts_and_products(client_agent):
    from tests.factories import ProductFactory

    customer = services.customer_create(name="Zhang", phones=["13800138000"])
    services.product_owned_add(customer=customer, product=ProductFactory(name_en="Sofa"))
    html = client_agent.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "138 0013 8000" in html and "Sofa" in html


def test_customer_form_errors_are_summarised_at_the_top_with_links(client_agent):
    response = client_agent.post(reverse("customers:create"), _form(phones="12345"))
    html = response.content.decode()
    assert response.status_code == 200
    summary = html.split("data-error-summary", 1)[1].split("</div>", 1)[0]
    assert '<a href="#id_phones">Phones</a>: “12345” is not a valid phone number' in summary
    assert html.index("data-error-summary") < html.index('id="id_name"')


def test_customer_owner_choices_show_names_not_logins(client_agent, agent):
    html = client_agent.get(reverse("customers:create")).content.decode()
    owner = html.split('id="id_owner"', 1)[1].split("</select>", 1)[0]
    assert f">{agent.get_full_name()}</option>" in owner
    assert ">agent</option>" not in owner


def test_service_error_without_a_form_field_shows_at_the_top(client_agent, monkeypatch):
    from servicedesk.core.exceptions import DomainError

    def refuse(**kwargs):
        raise DomainError("The archive is read-only during the audit.", field="audit")

    monkeypatch.setattr(services, "customer_create", refuse)
    response = client_agent.post(reverse("customers:create"), _form())
    html = response.content.decode()
    assert response.status_code == 200
    summary = html.split("data-error-summary", 1)[1].split("</div>", 1)[0]
    assert "The archive is read-only during the audit." in summary


def test_360_page_record_panel_escapes_typed_html(client_agent, department):
    """The records panel's rows are rendered by Jinja2 (customers/panel_record_rows.html)."""
    from tests.tickets.factories import RecordFactory, installation_category

    category = installation_category(department)
    customer = CustomerFactory(name="Escape")
    RecordFactory(customer=customer, category=category, subject="<b>bold</b> & co")
    html = client_agent.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; co" in html and "<b>bold</b>" not in html
