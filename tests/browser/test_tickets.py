import re

import pytest
from playwright.sync_api import expect

from tests.factories import ContactFactory, PhoneFactory
from tests.tickets.factories import CategoryFactory
from tickets.models import Stage

pytestmark = pytest.mark.django_db(transaction=True)


def test_agent_handles_an_installation_and_the_manager_sees_it(
    page, login, agent, manager, department, browser
):
    # given a customer with a phone and the after-sale installation category of the department
    customer = ContactFactory(name="Li Wei", customer__name="Li Wei").customer
    PhoneFactory(contact=customer.contacts.get(), value="+8613800138123")
    CategoryFactory(
        code="installation",
        stage=Stage.AFTER_SALE,
        name_en="Installation & commissioning",
        lead_department=department,
        default_nature="technical",
        default_place="on_site",
    )

    # the agent finds the customer by the last four digits and opens a record
    login(page, "agent")
    page.goto("/records/new/")
    page.get_by_label("Find the customer").fill("8123")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Li Wei").click()
    page.get_by_label("Stage").select_option("after_sale")
    page.locator("#id_category").select_option(label="Installation & commissioning")
    page.get_by_label("Subject").fill("Install wardrobe in the bedroom")
    page.get_by_role("button", name="Create record").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Install wardrobe")
    expect(page.get_by_text("On-site / touring")).to_be_visible()

    # replies to the customer, then adds an internal note
    page.get_by_label("Reply to the customer").check()
    page.get_by_label("Message").fill("Our fitter comes on Monday at 10.")
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_text("Our fitter comes on Monday at 10.")).to_be_visible()
    expect(page.locator(".badge").first).to_have_text("Open")
    page.get_by_label("Internal note").check()
    page.get_by_label("Message").fill("Bring the long screws.")
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_text("Bring the long screws.")).to_be_visible()

    # resolves it
    page.get_by_role("button", name="Mark Resolved").click()
    expect(page.get_by_role("status")).to_contain_text("The record is now Resolved")
    record_url = page.url

    # the manager sees it in the department's list
    context = browser.new_context(base_url=page.url.split("/records")[0], locale="en-US")
    manager_page = context.new_page()
    login(manager_page, "manager")
    manager_page.goto(f"/records/?department={department.pk}&status=resolved")
    row = manager_page.get_by_role("row", name=re.compile("Install wardrobe"))
    expect(row).to_be_visible()
    expect(row).to_contain_text("Resolved")
    row.get_by_role("link").click()
    expect(manager_page).to_have_url(record_url)
    context.close()
