import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    ("role_fixture", "has_dashboard", "has_admin"),
    [("agent", False, False), ("manager", True, False), ("administrator", True, True)],
)
def test_each_role_logs_in_and_sees_shell_then_switches_to_chinese(
    request, page, login, role_fixture, has_dashboard, has_admin
):
    user = request.getfixturevalue(role_fixture)
    login(page, user.username)
    nav = page.get_by_role("navigation", name="Sections")
    expect(page.get_by_role("heading", name="My work")).to_be_visible()
    for section in ("Customers", "Service records", "Complaints", "Callbacks", "Surveys"):
        expect(nav.get_by_role("link", name=section)).to_be_visible()
    expect(nav.get_by_role("link", name="Dashboard")).to_have_count(1 if has_dashboard else 0)
    expect(nav.get_by_role("link", name="Admin")).to_have_count(1 if has_admin else 0)

    page.get_by_label("Language").select_option("zh-hans")
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="我的工作")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("navigation").get_by_role("link", name="客户")).to_be_visible()


def test_wrong_password_shows_message(page, agent):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("agent")
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match")


def test_keyboard_reaches_skip_link_and_navigation(page, login, agent):
    login(page, "agent")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))


def test_small_screen_menu_toggles(page, login, agent):
    page.set_viewport_size({"width": 375, "height": 740})
    login(page, "agent")
    menu = page.get_by_role("button", name="Menu")
    expect(page.get_by_role("link", name="Customers")).to_be_hidden()
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("link", name="Customers")).to_be_visible()
