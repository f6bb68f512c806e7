"""Notification e-mails go through the e-mail outbox, with absolute links."""

import smtplib
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from servicedesk.core.models import EmailState, Notification, OutboundEmail, TaskOutbox
from servicedesk.core.notifications import notify
from servicedesk.core.tasks import email_retry_due, email_send, notification_email
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_notify_queues_one_email_per_recipient_with_an_absolute_link(settings):
    settings.SITE_URL = "https://desk.example.test"
    a, b = UserFactory(), UserFactory()
    no_address = UserFactory(email="")
    created = notify(
        recipients=[a, b, no_address, a], verb="record_new", title="New record", url="/records/7/"
    )
    assert len(created) == 3  # one per distinct recipient
    emails = {e.to: e for e in OutboundEmail.objects.all()}
    assert set(emails) == {a.email, b.email}
    assert all(e.state == EmailState.QUEUED for e in emails.values())
    assert "https://desk.example.test/records/7/" in emails[a.email].body
    # one task sends the batch; the old claim-then-send task is not used any more
    assert list(TaskOutbox.objects.values_list("task_name", flat=True)) == ["core.email_send"]
    assert sorted(TaskOutbox.objects.get().args) == sorted(e.pk for e in emails.values())
    assert Notification.objects.get(recipient=no_address).emailed_at is None


def test_the_link_follows_site_url_at_call_time(settings):
    user = UserFactory()
    settings.SITE_URL = "https://first.example.test/"
    notify(recipients=[user], verb="x", title="One", url="/records/1/")
    settings.SITE_URL = "https://second.example.test"
    notify(recipients=[user], verb="x", title="Two", url="/records/2/")
    bodies = dict(OutboundEmail.objects.values_list("subject", "body"))
    assert "https://first.example.test/records/1/" in bodies["One"]
    assert "https://second.example.test/records/2/" in bodies["Two"]


def test_notify_without_email_queues_nothing():
    notify(recipients=[UserFactory()], verb="x", title="In the desk only", email=False)
    assert not OutboundEmail.objects.exists() and not TaskOutbox.objects.exists()


def test_a_failed_notification_email_is_kept_and_retried_not_lost(flaky):
    # given the mail server is down when the notification goes out
    flaky.append(smtplib.SMTPConnectError(421, b"try later"))
    user = UserFactory()
    notify(recipients=[user], verb="record_assigned", title="Assigned to you", url="/records/3/")
    row = OutboundEmail.objects.get()
    assert email_send(row.pk) == 0
    row.refresh_from_db()
    assert row.state == EmailState.QUEUED and row.attempts == 1 and row.last_error
    # when the retry is due, it is sent
    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=False):
        assert email_retry_due() == 1
    assert [m.subject for m in mail.outbox] == ["Assigned to you"]
    assert mail.outbox[0].body.rstrip().endswith("https://desk.example.test/records/3/")


def test_the_legacy_task_queues_an_old_notifications_email_once():
    # a notification recorded before notify() queued e-mails itself, with its task still pending
    user = UserFactory()
    n = Notification.objects.create(recipient=user, verb="x", title="Old one", url="/records/9/")
    assert notification_email(n.pk) == 1
    assert notification_email(n.pk) == 0  # claimed: a second run queues nothing
    row = OutboundEmail.objects.get()
    assert (row.to, row.subject) == (user.email, "Old one")
    assert "https://desk.example.test/records/9/" in row.body
    assert mail.outbox == []  # sending is the outbox's job
    assert email_send(row.pk) == 1
