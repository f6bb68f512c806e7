"""A complaint in 简体中文, end to end: Wang Li converts a repair record into a complaint and takes
it through the six steps; the re-check visit (made by the followups subscriber, through a real
Celery worker on Redis) is recorded as reached and satisfied, which closes the complaint; the
manager files its cause and finds it on the fishbone."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from followups.models import CallbackVisit
from servicedesk.core.models import Profile
from tests.browser.conftest import wait_for
from tests.factories import ContactFactory, MembershipFactory, PhoneFactory, UserFactory
from tests.tickets.factories import CategoryFactory, RecordFactory
from tickets.complaints.models import Complaint, Step
from tickets.complaints.rootcause.models import CauseBone
from tickets.models import Stage, Status

BONES = [("process", "Process", "流程"), ("people", "People", "人")]
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def _login(page, username, password):
    page.goto("/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("form button[type=submit]").click()
    expect(page.get_by_role("heading", name="我的工作")).to_be_visible()


def _take_step(page):
    page.get_by_role("button", name="完成这一步").click()
    expect(page.get_by_role("status")).to_contain_text("已保存")


def test_a_repair_record_becomes_a_complaint_taken_through_six_steps_in_chinese(
    zh_page, department, manager, password, celery_worker
):
    page = zh_page
    wang = UserFactory(username="wangli", first_name="丽", last_name="王", role="agent")
    MembershipFactory(user=wang, department=department)
    Profile.objects.create(user=wang, display_name_zh="王丽")
    customer = ContactFactory(name="张伟", customer__name="张伟").customer
    PhoneFactory(contact=customer.contacts.get(), value="+8613800138123")
    repair = CategoryFactory(
        code="repair", stage=Stage.AFTER_SALE, name_en="Repair", name_zh="维修",
        lead_department=department,
    )  # fmt: skip
    CategoryFactory(
        code="complaint-handling", stage=Stage.AFTER_SALE, name_en="Complaint handling",
        name_zh="投诉处理", lead_department=department,
    )  # fmt: skip
    for order, (code, name_en, name_zh) in enumerate(BONES):
        # A transactional test before this one may have emptied the table the migration seeds.
        CauseBone.objects.get_or_create(
            code=code, defaults={"name_en": name_en, "name_zh": name_zh, "order": order}
        )
    record = RecordFactory(
        customer=customer, category=repair, subject="衣柜门修了还是关不上", status=Status.OPEN
    )

    # 1. Wang Li converts the repair record into a complaint
    _login(page, "wangli", password)
    page.goto(record.get_absolute_url())
    page.get_by_role("link", name="转为投诉").click()
    expect(page.get_by_role("heading", name="新投诉")).to_be_visible()
    page.get_by_label("严重程度").select_option("serious")
    page.get_by_role("button", name="登记投诉").click()
    expect(page.get_by_role("status")).to_contain_text("已登记")
    complaint = Complaint.objects.get(about_record=record)
    assert complaint.record.category.code == "complaint-handling"

    # 2. the six steps, each with the seed's words beside its form
    expect(page.get_by_text("向对方表示尊重:可以用一些缓解情绪的话")).to_be_visible()
    page.get_by_label("谢谢您把情况告诉我。").check()
    _take_step(page)
    page.get_by_label("客户有何感受?").fill("很失望,修了两次")
    page.get_by_label("客户想要什么?").fill("这周内彻底修好")
    page.get_by_label("客户在想什么?").fill("觉得师傅不专业")
    page.get_by_label("了解到的事实").fill("10月修过一次,合页松动")
    _take_step(page)
    page.get_by_label("用您的话复述客户的要求").fill("本周五前把柜门修好,不再松动")
    page.get_by_label("确认,就是这个要求").check()
    _take_step(page)
    # an empty option list is refused on the form, nothing saved
    page.get_by_label("方案 1").check()
    page.get_by_role("button", name="完成这一步").click()
    expect(page.get_by_role("alert")).to_contain_text("请至少列出一个方案。")
    page.locator("#id_options-0-description").fill("派资深师傅更换合页")
    page.locator("#id_options-0-remedy").select_option("repair")
    page.locator("#id_options-0-cost").fill("0")
    page.locator("#id_options-1-description").fill("整扇柜门换新")
    page.locator("#id_options-1-remedy").select_option("replace")
    page.get_by_label("方案 1").check()
    _take_step(page)
    friday = timezone.localdate() + timedelta(days=2)
    page.locator("#id_actions-0-description").fill("更换合页并调试")
    page.locator("#id_actions-0-owner").select_option(label="王丽")
    page.locator("#id_actions-0-due_date").fill(friday.isoformat())
    _take_step(page)
    page.get_by_role("button", name="标记完成").click()
    expect(page.get_by_role("status")).to_contain_text("行动已完成")
    assert Complaint.objects.get(pk=complaint.pk).step == Step.RECHECK

    # 3. the re-check visit, made by the worker, is recorded as reached and satisfied
    assert wait_for(
        lambda: CallbackVisit.objects.filter(source_record=complaint.record).exists()
    ), "the re-check visit was not made"
    visit = CallbackVisit.objects.get(source_record=complaint.record)
    page.reload()
    page.get_by_role("link", name=visit.reference).first.click()
    page.get_by_role("radio", name="5").check()
    page.get_by_label("产品使用情况").select_option("normal")
    page.get_by_role("button", name="保存：已联系上").click()
    assert wait_for(
        lambda: Complaint.objects.get(pk=complaint.pk).step == Step.CLOSED, seconds=15
    ), "the complaint did not close"
    page.goto(f"/complaints/{complaint.pk}/")
    expect(page.get_by_text("客户满意").first).to_be_visible()
    page.screenshot(path="tests/browser/artifacts/complaint_journey_zh.png", full_page=True)
    record.refresh_from_db()
    assert record.status == Status.OPEN  # the repair record stayed open

    # 4. the manager files its cause on the fishbone, then finds it there
    page.context.clear_cookies()
    _login(page, "manager", password)
    page.goto(f"/complaints/{complaint.pk}/")
    page.locator("#cause").get_by_role("link", name="归档原因").click()
    cause = page.locator("#cause")
    cause.get_by_label("鱼骨").select_option(label="流程")
    cause.get_by_label("为什么 1").fill("合页松动又出现")
    cause.get_by_label("为什么 2").fill("第一次维修只拧紧了螺丝")
    cause.get_by_label("为什么 3").fill("维修流程没有要求检查合页磨损")
    cause.get_by_label("根本原因").fill("维修检查单缺少合页磨损一项")
    cause.get_by_label("纠正措施 1").fill("维修检查单加上合页磨损检查")
    cause.locator("#id_action_1_owner").select_option(label="王丽")
    cause.locator("#id_action_1_due_date").fill(
        (timezone.localdate() + timedelta(days=7)).isoformat()
    )
    cause.get_by_role("button", name="归档原因").click()
    expect(page.get_by_role("status")).to_contain_text("根本原因已归档")
    cause = page.locator("#cause")  # back on the complaint page
    expect(
        cause.get_by_role("definition").filter(has_text="维修检查单缺少合页磨损一项")
    ).to_be_visible()
    page.get_by_role("link", name="全部投诉").click()
    page.get_by_role("link", name="鱼骨图", exact=True).click()
    expect(page.get_by_role("heading", name="根本原因:鱼骨图")).to_be_visible()
    page.screenshot(path="tests/browser/artifacts/complaint_fishbone_zh.png", full_page=True)
    page.locator("svg").get_by_text("流程 (1)").click()
    expect(page.get_by_role("link", name=re.compile(complaint.record.reference))).to_be_visible()
