"""Replies reach the customer by e-mail, in their language; the record page shows what happened."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone, translation
from django.utils.translation import gettext

from servicedesk.core.models import EmailState, OutboundEmail, Profile
from servicedesk.core.tasks import email_send
from tests.factories import ContactFactory, CustomerFactory, EmailFactory
from tests.tickets.factories import MessageFactory, RecordFactory
from tickets import services
from tickets.models import RecordMessage

pytestmark = pytest.mark.django_db

GREETING = "Dear %(name)s,"
SUBJECT = "Re: %(subject)s"
CLOSING = "Kind regards,"


@pytest.fixture
def zh_catalog():
    """Chinese for the reply's fixed text, until translators add it to the .po file: it proves
    the e-mail is written under the customer's language, not the desk's or the agent's."""
    from django.utils.translation import trans_real

    catalog = trans_real.translation("zh-hans")._catalog
    fake = {GREETING: "%(name)s，您好：", SUBJECT: "回复：%(subject)s", CLOSING: "此致"}
    saved = {msgid: catalog.get(msgid) for msgid in fake}
    for msgid, text in fake.items():
        catalog[msgid] = text
    yield fake
    for msgid, text in saved.items():
        if text is None:
            catalog._catalogs[0].pop(msgid, None)
        else:
            catalog[msgid] = text


def _customer(language="en", email="li.wei@example.com"):
    customer = CustomerFactory(name="Li Wei", language=language)
    contact = ContactFactory(customer=customer, name="Li Wei", is_primary=True)
    if email:
        EmailFactory(contact=contact, value=email)
    return customer


def _reply(agent, record, body="We come on Monday at 9."):
    return services.message_add(by=agent, record_id=record.pk, kind="reply", body=body)


def test_a_reply_is_emailed_to_the_customer_through_the_outbox(agent, category):
    record = RecordFactory(category=category, customer=_customer(), subject="Install wardrobe")

    message = _reply(agent, record)

    email = message.email
    assert email is not None and email.state == EmailState.QUEUED
    assert email.to == "li.wei@example.com"
    assert email.subject == f"[{record.reference}] Re: Install wardrobe"
    assert email.body.startswith("Dear Li Wei,\n\nWe come on Monday at 9.\n\nKind regards,\n")
    assert agent.get_full_name() in email.body  # signed by the agent
    assert "https://desk.example.test/" in email.body.split("-- \n", 1)[1]  # absolute link
    assert mail.outbox == []  # sent after commit, by its task
    assert email_send(email.pk) == 1
    assert mail.outbox[0].to == ["li.wei@example.com"]
    assert mail.outbox[0].subject.startswith(f"[{record.reference}]")


def test_the_reply_is_written_in_the_customers_language(agent, category, zh_catalog):
    Profile.objects.create(user=agent, display_name_zh="王芳")
    zh = RecordFactory(category=category, customer=_customer("zh-hans"), subject="安装衣柜")
    en = RecordFactory(category=category, customer=_customer("en", "x@example.com"))

    zh_email = _reply(agent, zh).email
    en_email = _reply(agent, en).email

    with translation.override("zh-hans"):
        zh_greeting = gettext(GREETING) % {"name": "Li Wei"}
        zh_subject = gettext(SUBJECT) % {"subject": "安装衣柜"}
    with translation.override("en"):
        en_greeting = gettext(GREETING) % {"name": "Li Wei"}
    assert zh_greeting != en_greeting
    assert (
        zh_email.subject == f"[{zh.reference}] {zh_subject}" == f"[{zh.reference}] 回复：安装衣柜"
    )
    assert zh_email.body.startswith(zh_greeting)
    assert "此致\n王芳" in zh_email.body  # the agent signs with their Chinese name
    assert en_email.body.startswith(en_greeting)
    assert en_email.subject.startswith(f"[{en.reference}] Re: ")
    assert agent.get_full_name() in en_email.body


def test_a_customer_without_a_language_gets_the_desk_default(agent, category, settings, zh_catalog):
    settings.LANGUAGE_CODE = "en"
    record = RecordFactory(category=category, customer=_customer(language=""))
    with translation.override("zh-hans"):  # the agent's own page language does not matter
        email = _reply(agent, record).email
    assert email.body.startswith("Dear Li Wei,")


def test_the_records_contact_is_preferred_to_the_primary_contact(agent, category):
    customer = _customer(email="primary@example.com")
    site_manager = ContactFactory(customer=customer, name="Zhang San", is_primary=False)
    EmailFactory(contact=site_manager, value="zhang.san@example.com", is_primary=False)
    record = RecordFactory(category=category, customer=customer, contact=site_manager)

    email = _reply(agent, record).email

    assert email.to == "zhang.san@example.com"
    assert email.body.startswith("Dear Zhang San,")


def test_without_an_email_address_the_reply_is_logged_only(agent, category):
    record = RecordFactory(category=category, customer=_customer(email=None))
    message = _reply(agent, record)
    assert message.email is None
    assert not OutboundEmail.objects.exists()
    record.refresh_from_db()
    assert record.status == "open"  # still the first response


def test_internal_notes_are_never_emailed(agent, category):
    record = RecordFactory(category=category, customer=_customer())
    message = services.message_add(by=agent, record_id=record.pk, kind="note", body="Bring screws")
    assert message.email is None
    assert not OutboundEmail.objects.exists()


def test_a_refused_reply_queues_nothing(agent, category):
    from servicedesk.core.exceptions import DomainError

    record = RecordFactory(category=category, customer=_customer(), status="closed")
    with pytest.raises(DomainError):
        _reply(agent, record)
    assert not OutboundEmail.objects.exists() and not RecordMessage.objects.exists()


# --- the record page ---------------------------------------------------------------------------


def _delivery(html: str, body: str) -> str | None:
    """The delivery line of the message whose text contains `body`, as plain text."""
    [article] = [a for a in html.split("<article")[1:] if body in a.split("</article>")[0]]
    article = article.split("</article>")[0]
    if 'class="delivery"' not in article:
        return None
    line = article.split('class="delivery">', 1)[1].split("</p>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", line).split())


def test_each_reply_shows_whether_it_was_sent(client, agent, category):
    record = RecordFactory(category=category, customer=_customer())
    sent = _reply(agent, record, "sent one")
    email_send(sent.email.pk)
    queued = _reply(agent, record, "queued one")
    failed = _reply(agent, record, "failed one")
    OutboundEmail.objects.filter(pk=failed.email.pk).update(
        state=EmailState.FAILED, attempts=6, last_error="SMTPRecipientsRefused: mailbox full"
    )
    MessageFactory(record=record, author=agent, body="logged one")  # no e-mail linked
    services.message_add(by=agent, record_id=record.pk, kind="note", body="note one")
    sent_at = timezone.localtime(OutboundEmail.objects.get(pk=sent.email.pk).sent_at)

    client.force_login(agent)
    html = client.get(record.get_absolute_url()).content.decode()

    assert _delivery(html, "sent one") == f"E-mailed to li.wei@example.com · sent {sent_at:%H:%M}"
    assert _delivery(html, "queued one") == "E-mail to li.wei@example.com · queued"
    assert queued.email.state == EmailState.QUEUED
    assert (
        _delivery(html, "failed one")
        == "E-mail to li.wei@example.com · failed: SMTPRecipientsRefused: mailbox full"
    )
    assert _delivery(html, "logged one") == "Logged only: the customer has no e-mail address"
    assert _delivery(html, "note one") is None  # notes are never sent, so say nothing


def test_the_page_says_plainly_when_a_reply_will_only_be_logged(client, agent, category):
    without = RecordFactory(category=category, customer=_customer(email=None))
    with_address = RecordFactory(category=category, customer=_customer())
    client.force_login(agent)

    html = client.get(without.get_absolute_url()).content.decode()
    assert "a reply will be logged here only, not sent to them" in html
    html = client.get(with_address.get_absolute_url()).content.decode()
    assert "A reply to the customer is e-mailed to li.wei@example.com" in html
    assert "will be logged here only" not in html


def test_record_page_queries_stay_fixed_with_many_emailed_replies(
    client, agent, category, django_assert_max_num_queries
):
    record = RecordFactory(category=category, customer=_customer())
    for i in range(30):
        message = _reply(agent, record, f"reply {i}")
        if i % 2:
            email_send(message.email.pk)
    client.force_login(agent)
    with django_assert_max_num_queries(13):
        response = client.get(record.get_absolute_url())
    assert response.content.decode().count('class="delivery"') == 30


def test_reply_recipient_reads_prefetched_contacts_without_queries(
    agent, category, django_assert_num_queries
):
    from tickets import selectors

    record = RecordFactory(category=category, customer=_customer())
    record = selectors.record_get(user=agent, pk=record.pk)
    with django_assert_num_queries(0):
        recipient = services.reply_recipient(record)
    assert recipient.address == "li.wei@example.com" and recipient.contact.name == "Li Wei"


def test_retrying_replies_show_their_last_error(client, agent, category):
    record = RecordFactory(category=category, customer=_customer())
    message = _reply(agent, record)
    OutboundEmail.objects.filter(pk=message.email.pk).update(
        attempts=2,
        last_error="SMTPServerDisconnected: gone",
        next_attempt_at=timezone.now() + timedelta(minutes=4),
    )
    client.force_login(agent)
    html = client.get(record.get_absolute_url()).content.decode()
    assert _delivery(html, "We come on Monday") == (
        "E-mail to li.wei@example.com · queued retrying after: SMTPServerDisconnected: gone"
    )
