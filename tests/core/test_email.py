"""The e-mail outbox: queued with the change, sent once, retried with backoff, failures kept."""

import smtplib
import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from servicedesk.core import email, outbox, periodic
from servicedesk.core.models import EmailState, OutboundEmail, TaskOutbox
from servicedesk.core.tasks import email_retry_due, email_send

pytestmark = pytest.mark.django_db


def _queue(**kw) -> OutboundEmail:
    return email.email_queue(
        **{"to": "li.wei@example.com", "subject": "Hello", "body": "Body text", **kw}
    )


def test_email_queue_records_the_email_and_its_task_with_the_callers_transaction():
    # when the caller's change rolls back, nothing is queued
    with pytest.raises(RuntimeError), transaction.atomic():
        _queue()
        raise RuntimeError("the change failed")
    assert not OutboundEmail.objects.exists() and not TaskOutbox.objects.exists()

    # when it commits, the row is queued and its send task is in the task outbox
    row = _queue(subject="Line one\nBcc: someone@evil.test")
    assert row.state == EmailState.QUEUED and row.attempts == 0
    assert row.subject == "Line one Bcc: someone@evil.test"  # no header injection
    task = TaskOutbox.objects.get()
    assert (task.task_name, task.args) == ("core.email_send", [row.pk])
    assert mail.outbox == []  # nothing is sent before the task runs


def test_email_is_sent_after_commit_by_its_task(django_capture_on_commit_callbacks, monkeypatch):
    # the commit hook publishes the task; here the "broker" runs it at once
    from servicedesk.core import outbox

    def run_now(task_name, args):
        assert task_name == "core.email_send"
        email_send(*args)

    monkeypatch.setattr(outbox.current_app, "send_task", run_now)
    with django_capture_on_commit_callbacks(execute=True):
        row = _queue()
    row.refresh_from_db()
    assert row.state == EmailState.SENT and row.sent_at is not None and row.attempts == 1
    assert [(m.to, m.subject, m.body) for m in mail.outbox] == [
        (["li.wei@example.com"], "Hello", "Body text")
    ]


def test_a_second_task_run_sends_nothing_twice():
    row = _queue()
    assert email_send(row.pk) == 1
    assert email_send(row.pk) == 0
    assert email_retry_due() == 0
    assert len(mail.outbox) == 1


def test_transient_failures_are_retried_with_backoff_then_sent(flaky, caplog):
    flaky.extend([smtplib.SMTPServerDisconnected("gone"), ConnectionRefusedError(111, "refused")])
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        row = _queue()
        # given the mail server is down
        assert email_send(row.pk) == 0
    row.refresh_from_db()
    assert row.state == EmailState.QUEUED and row.attempts == 1
    assert "SMTPServerDisconnected: gone" in row.last_error
    assert row.next_attempt_at == start + timedelta(seconds=email.BACKOFF_BASE_SECONDS)

    # a run before the retry is due sends nothing and does not count as an attempt
    with time_machine.travel(start + timedelta(seconds=10), tick=False):
        assert email_send(row.pk) == 0
        assert email_retry_due() == 0
    row.refresh_from_db()
    assert row.attempts == 1

    # the sweep retries once due; the second failure waits four times longer
    second = start + timedelta(minutes=2)
    with time_machine.travel(second, tick=False):
        assert email_retry_due() == 0
    row.refresh_from_db()
    assert row.attempts == 2 and "ConnectionRefusedError" in row.last_error
    assert row.next_attempt_at == second + timedelta(seconds=email.BACKOFF_BASE_SECONDS * 4)

    # then the server is back: the next due sweep sends it, once
    with time_machine.travel(second + timedelta(minutes=10), tick=False):
        assert email_retry_due() == 1
        assert email_retry_due() == 0
    row.refresh_from_db()
    assert row.state == EmailState.SENT and row.attempts == 3 and row.last_error == ""
    assert len(mail.outbox) == 1
    assert "retry in" in caplog.text


def test_final_failure_is_recorded_logged_and_not_sent_again(flaky, caplog):
    flaky.extend(OSError(101, "Network is unreachable") for _ in range(email.MAX_ATTEMPTS + 2))
    when = timezone.now()
    with time_machine.travel(when, tick=False):
        row = _queue()
        email_send(row.pk)
    for _attempt in range(email.MAX_ATTEMPTS + 1):
        when += timedelta(hours=6)  # past any backoff
        with time_machine.travel(when, tick=False):
            email_retry_due()
    row.refresh_from_db()
    assert row.state == EmailState.FAILED
    assert row.attempts == email.MAX_ATTEMPTS
    assert "Network is unreachable" in row.last_error
    assert any(r.levelname == "ERROR" and "failed after" in r.getMessage() for r in caplog.records)
    # failed rows are left alone: neither the task nor the sweep tries again
    flaky.clear()
    with time_machine.travel(when + timedelta(days=1), tick=False):
        assert email_send(row.pk) == 0
        assert email_retry_due() == 0
    assert mail.outbox == []
    assert list(email.failed_emails()) == [row]


def test_a_permanent_refusal_fails_at_once(flaky):
    flaky.append(smtplib.SMTPRecipientsRefused({"nobody@example.com": (550, b"No such user")}))
    row = _queue(to="nobody@example.com")
    assert email_send(row.pk) == 0
    row.refresh_from_db()
    assert row.state == EmailState.FAILED and row.attempts == 1
    assert "SMTPRecipientsRefused" in row.last_error


def test_the_sweep_leaves_young_rows_to_their_task_and_picks_up_lost_ones():
    row = _queue()
    assert email_retry_due() == 0  # its task is still on its way
    with time_machine.travel(timezone.now() + timedelta(minutes=5), tick=False):
        assert email_retry_due() == 1  # the task never came (the broker lost it): sent anyway
    row.refresh_from_db()
    assert row.state == EmailState.SENT


def test_an_administrator_retries_a_failed_email(flaky):
    flaky.append(smtplib.SMTPRecipientsRefused({"li.wei@example.com": (550, b"mailbox full")}))
    row = _queue()
    email_send(row.pk)
    row.refresh_from_db()
    assert row.state == EmailState.FAILED

    assert email.email_retry(email_id=row.pk) is True
    row.refresh_from_db()
    assert (row.state, row.attempts, row.last_error) == (EmailState.QUEUED, 0, "")
    assert TaskOutbox.objects.filter(task_name="core.email_send", args=[row.pk]).count() == 2
    assert email_send(row.pk) == 1
    assert email.email_retry(email_id=row.pk) is False  # only failed rows


def test_failed_emails_are_listed_in_admin(client, administrator, flaky):
    from django.contrib import admin

    assert admin.site.is_registered(OutboundEmail)
    flaky.append(smtplib.SMTPRecipientsRefused({"gone@example.com": (550, b"No such user")}))
    row = _queue(to="gone@example.com")
    email_send(row.pk)
    client.force_login(administrator)
    page = client.get("/admin/core/outboundemail/?state__exact=failed")
    assert page.status_code == 200
    assert "gone@example.com" in page.content.decode()
    client.post("/admin/core/outboundemail/", {"action": "retry_now", "_selected_action": [row.pk]})
    row.refresh_from_db()
    assert row.state == EmailState.QUEUED


def test_absolute_url_reads_site_url_at_call_time(settings):
    settings.SITE_URL = "https://desk.example.test/"
    assert email.absolute_url("/records/301/") == "https://desk.example.test/records/301/"
    settings.SITE_URL = "https://other.example.test"
    assert email.absolute_url("records/301/") == "https://other.example.test/records/301/"
    assert email.absolute_url("") == "https://other.example.test/"
    assert email.absolute_url("https://x.example/a") == "https://x.example/a"


def test_the_sweep_is_a_registered_periodic_task():
    entries = {t.name: t for t in periodic.entries()}
    assert entries["core-email-retry"].task == "core.email_retry_due"
    assert entries["core-email-retry"].seconds <= 60


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_send_skips_the_row_another_worker_holds():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    row = _queue()
    result = {}

    def other_worker():
        try:
            result["sent"] = email_send(row.pk)
        finally:
            connection.close()

    # given one worker is sending the row (it holds the row lock)
    with transaction.atomic():
        OutboundEmail.objects.select_for_update().get(pk=row.pk)
        thread = threading.Thread(target=other_worker)
        thread.start()
        thread.join(timeout=10)
    # then the other one passed over it instead of sending it too
    assert result == {"sent": 0}
    assert mail.outbox == []
    assert email_send(row.pk) == 1


def _wait_until_sent(row, timeout=20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row.refresh_from_db()
        if row.state == EmailState.SENT:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_queued_email_is_sent_by_a_real_worker_even_if_redis_was_down(own_redis):
    """A Redis of the test's own, so no other test run's worker takes the task from the queue."""
    from celery import Celery
    from celery.contrib.testing.worker import start_worker

    import servicedesk.core.tasks  # noqa: F401 - registers the tasks on the new app

    app = Celery("email-test", broker=own_redis.url, set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.broker_url = own_redis.url
    app.set_current()  # outbox.publish sends through the current app
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            # queued and committed (autocommit): the commit hook publishes, the worker sends
            row = _queue(subject="From the worker")
            assert TaskOutbox.objects.get(args=[row.pk]).sent_at is not None
            assert _wait_until_sent(row)

        # the broker is down when the next one commits: it waits in the outbox, not lost
        own_redis.stop()
        late = _queue(subject="After the outage")
        assert TaskOutbox.objects.get(args=[late.pk]).sent_at is None
        own_redis.start()
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            assert outbox.resend_unsent(older_than_seconds=0) == 1
            assert _wait_until_sent(late)
        assert [m.subject for m in mail.outbox] == ["From the worker", "After the outage"]
    finally:
        from servicedesk.celery import app as desk_app

        desk_app.set_current()
        app.close()
