import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def _create(page, name, phone, anyway=False):
    page.goto("/customers/new/")
    page.get_by_label(re.compile(r"^Name")).fill(name)
    page.get_by_label("Phones").fill(phone)
    if anyway:
        page.get_by_label("Create anyway").check()
    page.get_by_role("button", name="Create customer").click()


def test_agent_creates_customer_sees_duplicate_logs_interaction_finds_it_on_360(page, login, agent):
    login(page, "agent")
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Customers").click()
    expect(page.get_by_text("The archive is empty.")).to_be_visible()

    # given a customer created through the form
    _create(page, "张伟 (Zhang Wei)", "138 0013 8000")
    expect(page.get_by_role("heading", name="张伟 (Zhang Wei)")).to_be_visible()
    first_url = page.url

    # when a second one with the same phone, typed differently, is created
    _create(page, "Zhang W.", "+86 138-0013-8000")
    warning = page.get_by_role("alert").filter(has_text="Possible duplicate")
    expect(warning).to_be_visible()
    warning.get_by_role("link", name="张伟 (Zhang Wei)").click()
    expect(page).to_have_url(first_url)

    # then the agent logs a call on the existing customer instead
    page.get_by_role("link", name="Log interaction").click()
    page.get_by_label(re.compile(r"^Kind")).select_option("call")
    page.get_by_label(re.compile(r"^Summary")).fill("衣柜门没对齐 — door misaligned")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(first_url)
    timeline = page.get_by_role("region", name="Timeline")
    expect(timeline.get_by_text("衣柜门没对齐 — door misaligned")).to_be_visible()

    # and finds the customer again by the last four digits of the phone
    page.goto("/customers/")
    page.get_by_label("Search", exact=True).fill("8000")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="张伟 (Zhang Wei)")).to_be_visible()
    page.get_by_role("link", name="张伟 (Zhang Wei)").click()
    expect(page).to_have_url(re.compile(r"/customers/\d+/$"))
    expect(page.get_by_text("138 0013 8000")).to_be_visible()
