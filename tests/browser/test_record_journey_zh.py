"""Wang Li's record, in 简体中文: take it, reply to the customer, close it, read its history.

The reply's e-mail is sent by a real Celery worker on Redis into the test mailbox.
"""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from servicedesk.core.models import Profile
from tests.browser.conftest import wait_for
from tests.factories import ContactFactory, EmailFactory, MembershipFactory, UserFactory
from tests.tickets.factories import CategoryFactory
from tickets import services
from tickets.models import ServiceRecord, Stage

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def test_agent_takes_replies_closes_and_reads_history_in_chinese(
    zh_page, department, manager, password, settings, celery_worker
):
    page = zh_page
    settings.SITE_URL = "https://desk.example.test"
    wang = UserFactory(username="wangli", first_name="丽", last_name="王", role="agent")
    MembershipFactory(user=wang, department=department)
    Profile.objects.create(user=wang, display_name_zh="王丽")
    contact = ContactFactory(name="张伟", customer__name="张伟", customer__language="zh-hans")
    EmailFactory(contact=contact, value="zhang.wei@example.com")
    repair = CategoryFactory(
        code="repair",
        stage=Stage.AFTER_SALE,
        name_en="Repair and inspection",
        name_zh="维修和检修",
        lead_department=department,
    )
    record = services.record_create(
        by=manager,
        customer_id=contact.customer_id,
        stage=Stage.AFTER_SALE,
        category_id=repair.pk,
        subject="衣柜门没有对齐",
    )

    # 08:45 she logs in and finds the record nobody has taken in her department
    page.goto("/accounts/login/")
    page.locator("#id_username").fill("wangli")
    page.locator("#id_password").fill(password)
    page.locator("form button[type=submit]").click()
    expect(page.get_by_role("heading", name="我的工作")).to_be_visible()
    page.get_by_role("link", name=re.compile("衣柜门没有对齐")).first.click()

    # takes it
    page.get_by_role("button", name="接手").click()
    expect(page.get_by_role("status")).to_be_visible()
    assert ServiceRecord.objects.get(pk=record.pk).assignee == wang

    # replies to the customer; the worker e-mails it with an absolute link
    page.get_by_label("回复客户").check()
    page.get_by_label("内容").fill("师傅明天上午十点上门调整柜门。")
    page.get_by_role("button", name="添加").click()
    expect(page.get_by_text("师傅明天上午十点上门调整柜门。")).to_be_visible()
    assert wait_for(lambda: len(mail.outbox) >= 1), "the reply was not e-mailed"
    sent = next(m for m in mail.outbox if "zhang.wei@example.com" in m.to)
    assert record.reference in sent.subject
    assert "师傅明天上午十点上门调整柜门。" in sent.body
    assert re.search(r"https://desk\.example\.test/\S*", sent.body), sent.body
    page.reload()
    expect(page.get_by_text("zhang.wei@example.com").first).to_be_visible()

    # closes it: resolved, then closed
    page.get_by_role("button", name="标记为已解决").click()
    expect(page.get_by_role("status")).to_contain_text("已解决")
    page.get_by_role("button", name="标记为已关闭").click()
    expect(page.get_by_role("status")).to_contain_text("已关闭")
    # a closed record offers Reopen instead of the message form
    expect(page.get_by_role("button", name="重新打开")).to_be_visible()
    expect(page.get_by_label("内容")).to_have_count(0)

    # reads its history: names and labels, not ids and codes
    history = page.locator("#h-history").locator("xpath=..")
    expect(history).to_contain_text("王丽")
    expect(history).to_contain_text("状态")
    expect(history).to_contain_text("已关闭")
    expect(history).to_contain_text("处理人")
    expect(history).not_to_contain_text("closed")
    expect(history).not_to_contain_text(re.compile(rf"→ {wang.pk}(?!\d)"))
    page.screenshot(path="tests/browser/artifacts/record_journey_zh.png", full_page=True)
