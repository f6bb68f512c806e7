"""A customer answers the after-service survey on a phone, in 简体中文: opens the link, answers,
sees the thank-you page with the three opt-ins and takes one, then finds the link used (410).

The page chrome is checked against the zh-Hans catalogue (gettext under zh-hans, so the test
follows the catalogue as it is compiled); the questions and the commitment are the shipped
template's own Chinese (surveys/defaults.py)."""

import re

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from surveys import services
from surveys.defaults import seed_defaults
from surveys.models import Channel, Question, SurveyPolicy, SurveyResponse, SurveyTemplate
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 390, "height": 844}


def _zh(message: str) -> str:
    with translation.override("zh-hans"):
        return gettext(message)


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth"
        " && document.body.scrollWidth <= window.innerWidth"
    )


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(
        base_url=live_server.url,
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
    )
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


def test_a_customer_answers_on_a_phone_in_chinese_and_the_link_is_then_used(phone, tmp_path):
    page = phone
    # An earlier transactional test may have emptied the tables the migration seeds.
    seed_defaults(SurveyTemplate, Question, SurveyPolicy)
    template = SurveyTemplate.objects.get(key="after-service")
    customer = ContactFactory(name="李伟", customer__name="李伟", customer__language="zh-hans")
    invitation = services.survey_invite(
        template=template, customer_id=customer.customer_id, channel=Channel.LINK
    )
    assert invitation.language == "zh-hans"
    link = f"/s/{services.token_for(invitation)}/"
    questions = {q.position: q for q in template.questions.all()}

    # 1. the customer opens the link on a phone
    opened = page.goto(link)
    assert opened.status == 200
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_role("heading", level=1)).to_have_text(template.name_zh)
    expect(page.locator(".commitment")).to_contain_text("如果能代表多数人意见的话")
    assert _no_horizontal_scroll(page)
    page.screenshot(path=str(tmp_path / "survey-form.png"), full_page=True)

    # 2. answers in 简体中文
    def field(position):
        return page.locator(f"#field-q{questions[position].pk}")

    expect(field(1)).to_contain_text("总的来说，您对这次服务满意吗？")
    field(1).get_by_label("4", exact=True).check()
    field(2).get_by_label("与预期一样").check()
    field(3).get_by_label("员工的服务").check()
    field(4).get_by_label("没有不满意的").check()
    field(5).locator("textarea").fill("想尽快用上新衣柜，已经用上了")
    field(6).get_by_label("9", exact=True).check()
    field(7).locator("textarea").fill("希望能提前电话确认上门时间")
    page.locator("form button[type=submit]").click()

    # 3. the thank-you page with the three opt-ins; the customer takes one
    page.wait_for_url(re.compile(r"/thanks/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(_zh("Thank you for your answers"))
    for name in ("meeting", "supervisor", "contact"):
        expect(page.locator(f"input[type=checkbox][name={name}]")).to_be_visible()
    assert _no_horizontal_scroll(page)
    page.screenshot(path=str(tmp_path / "survey-thanks.png"), full_page=True)
    page.locator("input[name=meeting]").check()
    page.locator("form.opt-ins button[type=submit]").click()
    expect(page.get_by_role("status")).to_have_text(_zh("Saved. Thank you."))
    expect(page.locator("input[name=meeting]")).to_be_checked()

    response = SurveyResponse.objects.get(invitation=invitation)
    assert (response.rating, response.nps, response.is_low) == (4, 9, False)
    assert response.wants_meeting
    assert not (response.wants_supervisor or response.wants_contact)
    assert response.answers.count() == len(questions)
    assert response.answers.get(question=questions[2]).choice == "as_expected"

    # 4. reopening the link shows that it was used
    again = page.goto(link)
    assert again.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text(
        _zh("This survey was already answered")
    )
    assert _no_horizontal_scroll(page)
    page.screenshot(path=str(tmp_path / "survey-used.png"), full_page=True)
    assert (tmp_path / "survey-form.png").stat().st_size > 0
    assert SurveyResponse.objects.filter(invitation=invitation).count() == 1
