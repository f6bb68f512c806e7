"""Wang Li's 11:00 callbacks (JOURNEYS.md) in a real Chromium: not reached, then reached and
satisfied on the next attempt, then the visit on the customer's 360° page."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from followups.models import CallbackVisit, VisitStatus
from tests.factories import ContactFactory, PhoneFactory
from tests.followups.factories import VisitFactory
from tests.tickets.factories import RecordFactory, installation_category

pytestmark = pytest.mark.django_db(transaction=True)


def test_agent_works_todays_callbacks_and_sees_the_visit_on_the_360_page(
    page, login, agent, department
):
    # given a customer with a phone, his installation record and a callback due half an hour ago
    customer = ContactFactory(name="Li Wei", customer__name="Li Wei").customer
    PhoneFactory(contact=customer.contacts.get(), value="+8613800138123")
    record = RecordFactory(
        customer=customer, category=installation_category(department), subject="Wardrobe install"
    )
    visit = VisitFactory(
        customer=customer,
        department=department,
        assignee=agent,
        source_record=record,
        due_at=timezone.now() - timedelta(minutes=30),
    )

    # she opens today's callbacks from the navigation
    login(page, "agent")
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Callbacks").click()
    expect(page.get_by_role("heading", name="Today's callbacks")).to_be_visible()
    row = page.locator(f"#visit-{visit.pk}")
    expect(row.get_by_role("link", name="Li Wei")).to_be_visible()
    expect(row.get_by_role("link", name="Call 138 0013 8123")).to_have_attribute(
        "href", "tel:+8613800138123"
    )
    expect(row.get_by_role("link", name=record.reference)).to_be_visible()
    expect(row.get_by_text("due", exact=True)).to_be_visible()

    # nobody answers: "Not reached" swaps the row in place and keeps the keyboard there
    row.get_by_role("button", name="Not reached").click()
    notice = row.get_by_role("status")
    expect(notice).to_contain_text("not reached. Next attempt")
    expect(notice).to_be_focused()
    expect(row.get_by_text("1 attempt")).to_be_visible()
    assert page.url.endswith("/callbacks/")  # no page load
    visit.refresh_from_db()
    assert visit.attempts == 1 and visit.status == VisitStatus.SCHEDULED

    # given the next attempt has come due (time moves on: the retry is due now)
    CallbackVisit.objects.filter(pk=visit.pk).update(due_at=timezone.now() - timedelta(minutes=1))

    # she calls again and reaches him: he is satisfied
    page.reload()
    row = page.locator(f"#visit-{visit.pk}")
    row.get_by_role("link", name="Reached…").click()
    form = row.get_by_role("form", name=f"Outcome of {visit.reference}")
    expect(form.get_by_label("Who was reached")).to_be_focused()
    expect(form.get_by_label("Who was reached")).to_have_value("Li Wei")
    form.get_by_label("Product in use").select_option("normal")
    form.get_by_role("radio", name="5").check()
    form.get_by_label("Against expectations").select_option("as_expected")
    form.get_by_label("Notes").fill("门已经对齐了 — the door is aligned now.")
    form.get_by_role("button", name="Save: reached").click()
    expect(row.get_by_role("status")).to_contain_text("outcome saved")
    expect(row.get_by_text("satisfaction 5/5")).to_be_visible()
    visit.refresh_from_db()
    assert visit.status == VisitStatus.DONE and visit.satisfaction == 5

    # and the visit is on the customer's 360° page, in its section and on the timeline
    row.get_by_role("link", name="Li Wei").click()
    expect(page).to_have_url(re.compile(rf"/customers/{customer.pk}/$"))
    section = page.get_by_role("region", name="Callback visits")
    expect(section.get_by_role("link", name=visit.reference)).to_be_visible()
    expect(section.get_by_text("satisfaction 5/5")).to_be_visible()
    timeline = page.get_by_role("region", name="Timeline")
    expect(timeline.get_by_text(visit.reference)).to_be_visible()

    # the visit page shows both attempts
    section.get_by_role("link", name=visit.reference).click()
    attempts = page.get_by_role("region", name="Attempts")
    expect(attempts.get_by_text("not reached")).to_be_visible()
    expect(attempts.get_by_text("reached", exact=True)).to_be_visible()
