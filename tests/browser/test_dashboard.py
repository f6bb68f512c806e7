"""The manager's dashboard in a real browser: open it, change the period and the department,
click a bar, land on the matching filtered record list; a screenshot of the dashboard in each
language is kept in tests/browser/artifacts/."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS
from tests.dashboard.conftest import generate
from tickets.filters import RecordFilter
from tickets.models import ServiceRecord
from tickets.selectors import record_list

pytestmark = pytest.mark.django_db(transaction=True)


def _login(page, username, password, heading):
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("form button[type=submit]").click()
    expect(page.get_by_role("heading", name=heading)).to_be_visible()


def test_the_manager_drills_down_from_a_bar_to_the_filtered_list(page, zh_page, password):
    # given a desk with three months of work in three departments
    today = timezone.localdate()
    g = generate(days=100, today=today, seed=3)
    installation = g.departments[1]
    ARTIFACTS.mkdir(exist_ok=True)

    # when the manager opens the dashboard
    _login(page, "boss", password, "My work")
    page.goto("/dashboard/")
    expect(page.get_by_role("heading", name="Dashboard", exact=True)).to_be_visible()
    expect(page.locator('[data-kpi="complaint_rate"] .figure-now')).not_to_have_text("")
    page.screenshot(path=str(ARTIFACTS / "dashboard_en.png"), full_page=True)

    # and changes the period and the department
    since = today - timedelta(days=29)
    page.get_by_label("From", exact=True).fill(since.isoformat())
    page.get_by_label("Department", exact=True).select_option(str(installation.pk))
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(rf"department={installation.pk}"))
    expect(page.get_by_label("Department", exact=True)).to_have_value(str(installation.pk))

    # and clicks the department's bar
    bar = page.locator('[data-chart="departments"] a.bar-link').filter(
        has_text=installation.name_en
    )
    shown = int(bar.get_attribute("aria-label").rsplit(":", 1)[1])
    bar.click()

    # then the record list opens, filtered to that department and period
    page.wait_for_url(re.compile(r"/records/\?"))
    query = parse_qs(urlparse(page.url).query)
    assert query["department"] == [str(installation.pk)]
    assert query["created_after"] == [since.isoformat()]
    assert query["created_before"] == [today.isoformat()]
    expect(page.get_by_role("heading", name="Service records")).to_be_visible()
    listed = RecordFilter(
        {k: v[0] for k, v in query.items()}, queryset=record_list(user=g.manager, due=False)
    )
    assert listed.is_valid()
    assert listed.qs.count() == shown > 0
    assert ServiceRecord.objects.count() > shown

    # and the dashboard reads the same in Chinese
    _login(zh_page, "boss", password, "我的工作")
    zh_page.goto("/dashboard/")
    expect(zh_page.locator("h1")).to_have_text("仪表盘")
    zh_page.screenshot(path=str(ARTIFACTS / "dashboard_zh.png"), full_page=True)
