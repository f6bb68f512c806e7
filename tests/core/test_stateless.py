"""The web tier is stateless: two gunicorn instances and two Celery workers, sharing only
PostgreSQL and Redis, carry one record's journey between them.

Every step goes to the other instance: the login on A is a session on B, a page read on A gives
the CSRF token and version that B accepts, a flash message set by B is shown by A. The events and
e-mails the journey produces are done by the two workers, each exactly once.

The processes run with the local settings (the test settings deliver events in-process) on the
test database, and with the broker of this test run; nothing else may consume from that Redis
database while this test runs (as for every worker test), and its queue is purged first.
"""

import os
import re
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from servicedesk.core import services as core_services
from servicedesk.core.models import (
    DeliveryState,
    DomainEvent,
    EmailState,
    EventDelivery,
    Notification,
    OutboundEmail,
    TaskOutbox,
)
from servicedesk.core.roles import Role
from surveys.models import Purpose, SurveyInvitation
from tests.conftest import IN_CI
from tests.factories import (
    PASSWORD,
    ContactFactory,
    DepartmentFactory,
    EmailFactory,
    MembershipFactory,
    UserFactory,
)
from tests.processes import desk_env, free_port
from tests.reliability import stack as stack_procs
from tests.reliability.stack import Proc
from tests.surveys.factories import rating_template
from tests.tickets.factories import CategoryFactory
from tickets.models import MessageKind, RecordMessage, ServiceRecord, Stage, Status

BASE_DIR = Path(settings.BASE_DIR)
ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
START_TIMEOUT = 25  # seconds for all four processes to be ready
WORK_TIMEOUT = 30  # seconds for the workers to finish the journey's events and e-mails

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(
        not ON_POSTGRES and not IN_CI,
        reason="needs PostgreSQL (DATABASE_URL): other processes cannot share SQLite's test DB",
    ),
]


@dataclass
class Stack:
    web: list[Proc]
    workers: list[Proc]
    everything: list[Proc] = field(default_factory=list)

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} ---\n{p.output()[-3000:]}" for p in self.everything)


def _subprocess_env() -> dict[str, str]:
    """Production-like settings on this run's test database and broker; events via the broker."""
    return desk_env(
        redis_url=os.environ["REDIS_URL"],
        broker_url=settings.CELERY_BROKER_URL,
        # One key for every instance: signed cookies (messages) made by one are read by another.
        secret_key=secrets.token_urlsafe(50),
        SITE_URL="http://127.0.0.1:8000",
        # The workers print what they send; the test counts each e-mail in their output.
        EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
    )


def _gunicorn(port: int) -> list[str]:
    return [
        "gunicorn",
        "servicedesk.wsgi:application",
        "-w",
        "1",
        "-b",
        f"127.0.0.1:{port}",
        "--graceful-timeout",
        "5",
        # gunicorn 27 otherwise puts every instance's control socket at one path in $HOME
        # (~/.gunicorn/gunicorn.ctl): two instances on one machine would share it.
        "--no-control-socket",
    ]


def _celery_worker(name: str) -> list[str]:
    return [
        "celery",
        "-A",
        "servicedesk",
        "worker",
        "--pool",
        "solo",
        "--concurrency",
        "1",
        "-n",
        f"stateless-{name}@%h",
        "--without-gossip",
        "--without-mingle",
        "-l",
        "INFO",
    ]


def _web_ready(p: Proc) -> bool:
    try:
        return httpx.get(f"{p.url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _worker_ready(p: Proc) -> bool:
    return re.search(r"\bready\.", p.output()) is not None


@pytest.fixture
def stack(transactional_db, tmp_path):
    """Two gunicorn instances (A, B) and two Celery workers (w1, w2), stopped whatever happens."""
    if not ON_POSTGRES:  # only reached under CI, where a missing service must fail, not skip
        pytest.fail("CI=true but the database is not PostgreSQL: set DATABASE_URL")
    from servicedesk.celery import app

    # Left-overs of earlier tests (their rows are gone) would only be noise for these workers.
    app.control.purge()
    env = _subprocess_env()
    started: list[Proc] = []
    try:
        for name in ("A", "B"):
            port = free_port()
            started.append(
                stack_procs.start(f"web-{name}", _gunicorn(port), env, tmp_path, port=port)
            )
        for name in ("w1", "w2"):
            # One at a time, so that a failed start still stops the ones before it.
            started.append(stack_procs.start(name, _celery_worker(name), env, tmp_path))  # noqa: PERF401
        procs = Stack(web=started[:2], workers=started[2:], everything=list(started))
        deadline = time.monotonic() + START_TIMEOUT
        pending = list(started)
        while pending and time.monotonic() < deadline:
            for p in list(pending):
                assert p.alive(), f"{p.name} exited early\n{procs.logs()}"
                if _web_ready(p) if p.port else _worker_ready(p):
                    pending.remove(p)
            time.sleep(0.2)
        assert not pending, f"not ready: {[p.name for p in pending]}\n{procs.logs()}"
        yield procs
    finally:
        stack_procs.stop(started)


def _task_results(worker: Proc) -> Counter:
    """Sum of the integer results of each task name this worker logged as succeeded."""
    done = Counter()
    pattern = r"Task (core\.\w+)\[[^\]]+\] succeeded in [\d.e-]+s: (\d+)"
    for name, result in re.findall(pattern, worker.output()):
        done[name] += int(result)
    return done


def test_two_web_instances_and_two_workers_share_one_journey(stack):
    # given a department with a manager, an agent and a colleague, a category it leads and a
    # customer with an e-mail address, all committed so that the other processes see them
    department = DepartmentFactory(
        code="customer-service", name_en="Customer service", name_zh="客服部"
    )
    manager = UserFactory(username="manager", role=Role.MANAGER)
    MembershipFactory(user=manager, department=department, is_manager=True)
    agent = UserFactory(username="agent", role=Role.AGENT)
    MembershipFactory(user=agent, department=department)
    colleague = UserFactory(username="colleague", role=Role.AGENT)
    MembershipFactory(user=colleague, department=department)
    category = CategoryFactory(code="repair", stage=Stage.AFTER_SALE, lead_department=department)
    contact = ContactFactory(name="Li Wei", customer__name="Li Wei")
    EmailFactory(contact=contact, value="li.wei@example.com")
    # The survey its resolution invites to (the default templates' migration rows are gone once
    # an earlier transactional test has flushed the database).
    rating_template(purpose=Purpose.AFTER_SERVICE)
    # The web tier hashes with Django's default hashers, not the test run's MD5 (few iterations
    # here; the first login upgrades the hash).
    hasher = PBKDF2PasswordHasher()
    agent.password = hasher.encode(PASSWORD, hasher.salt(), iterations=1000)
    agent.save(update_fields=["password"])
    _token, manager_key = core_services.api_token_create(user=manager, name="stateless test")
    manager_api = {"Authorization": f"Token {manager_key}"}
    reply = f"A technician comes tomorrow at ten. [{secrets.token_hex(4)}]"
    a, b = (p.url for p in stack.web)

    # One cookie jar for both instances, like a browser behind a load balancer.
    with httpx.Client(timeout=10) as http:
        # A: the agent logs in through the login form
        page = http.get(f"{a}/accounts/login/")
        assert page.status_code == 200
        login = http.post(
            f"{a}/accounts/login/",
            data={
                "csrfmiddlewaretoken": stack_procs.csrf(page.text),
                "username": "agent",
                "password": PASSWORD,
                "next": "",
            },
        )
        assert login.status_code == 302, login.text[:2000]
        assert "sessionid" in http.cookies

        # B: the manager creates a record for the agent through the API, with a personal token
        created = httpx.post(
            f"{b}/api/v1/service-records/",
            headers=manager_api,
            json={
                "customer": contact.customer_id,
                "stage": Stage.AFTER_SALE,
                "category": category.pk,
                "subject": "Wardrobe door misaligned",
                "assignee": agent.pk,
            },
            timeout=10,
        )
        assert created.status_code == 201, created.text
        record_id = created.json()["id"]
        record_url = f"/records/{record_id}/"

        # A: the agent opens the record with the session A gave them
        page = http.get(f"{a}{record_url}")
        assert page.status_code == 200, page.text[:2000]
        assert "Wardrobe door misaligned" in page.text

        # B: replies to the customer with the form A served (session and CSRF token work on B)
        sent = http.post(
            f"{b}/records/{record_id}/messages/",
            data={
                "csrfmiddlewaretoken": stack_procs.csrf(page.text),
                "kind": "reply",
                "body": reply,
            },
        )
        assert sent.status_code == 302, sent.text[:2000]
        assert sent.headers["location"].endswith(record_url)

        # A: shows the reply, and B's flash message (a cookie signed by B, read by A)
        page = http.get(f"{a}{record_url}")
        assert page.status_code == 200
        assert reply in page.text
        assert "Saved." in page.text
        version = re.search(r'name="version" value="(\d+)"', page.text).group(1)

        # B: marks it resolved with A's form (its CSRF token and the version A showed)
        moved = http.post(
            f"{b}/records/{record_id}/status/",
            data={
                "csrfmiddlewaretoken": stack_procs.csrf(page.text),
                "to_status": Status.RESOLVED,
                "version": version,
            },
        )
        assert moved.status_code == 302, moved.text[:2000]

        # A: the API, read with the session, says resolved
        read = http.get(f"{a}/api/v1/service-records/{record_id}/")
        assert read.status_code == 200, read.text
        assert read.json()["status"] == Status.RESOLVED
        assert read.json()["assignee"]["id"] == agent.pk

        # B: the manager closes it through the API with the version A returned
        closed = httpx.post(
            f"{b}/api/v1/service-records/{record_id}/transition/",
            headers={**manager_api, "If-Match": read.headers["ETag"]},
            json={"status": Status.CLOSED},
            timeout=10,
        )
        assert closed.status_code == 200, closed.text
        assert closed.json()["status"] == Status.CLOSED

        # A: the page reads it back closed, offering Reopen
        page = http.get(f"{a}{record_url}")
        assert page.status_code == 200
        assert 'id="reopen"' in page.text

        # B: the messages API, read with the session, lists the one reply
        listed = http.get(f"{b}/api/v1/service-records/{record_id}/messages/")
        assert listed.status_code == 200, listed.text
        assert [m["body"] for m in listed.json()] == [reply]

    record = ServiceRecord.objects.get(pk=record_id)
    assert record.status == Status.CLOSED and record.assignee_id == agent.pk
    message = RecordMessage.objects.get(record=record)
    assert message.kind == MessageKind.REPLY and message.email_id is not None

    # then the workers deliver every event and send every e-mail, each exactly once
    events = DomainEvent.objects.filter(payload__id=record_id)
    deliveries = EventDelivery.objects.filter(event__in=events)

    def all_done() -> bool:
        results = Counter()
        for worker in stack.workers:
            results.update(_task_results(worker))
        return (
            not deliveries.exclude(state=DeliveryState.DONE).exists()
            and not OutboundEmail.objects.exclude(state=EmailState.SENT).exists()
            and not SurveyInvitation.objects.filter(sent_at__isnull=True).exists()
            and results["core.event_deliver"] == deliveries.count()
            and results["core.email_send"] == OutboundEmail.objects.count()
        )

    assert stack_procs.wait_for(all_done, WORK_TIMEOUT, step=0.2), (
        f"deliveries: {list(deliveries.values_list('subscriber', 'state', 'last_error'))}\n"
        f"e-mails: {list(OutboundEmail.objects.values_list('to', 'state', 'last_error'))}\n"
        f"{stack.logs()}"
    )
    assert not TaskOutbox.objects.filter(sent_at__isnull=True).exists()

    # the new record told the colleague, the assignment told the agent, the resolution went to
    # the callback scheduler and the survey trigger: one delivery each
    assert sorted(deliveries.values_list("subscriber", "attempts")) == [
        ("followups.schedule_after_resolution", 1),
        ("surveys.invite_after_resolution", 1),
        ("tickets.notify_assignee", 1),
        ("tickets.notify_department", 1),
    ]
    notices = Counter(Notification.objects.values_list("recipient__username", "verb"))
    assert notices == Counter({("colleague", "record_new"): 1, ("agent", "record_assigned"): 1})

    # one e-mail per notice and one for the reply, each sent once
    emails = Counter(OutboundEmail.objects.values_list("to", "attempts"))
    assert emails == Counter(
        {(colleague.email, 1): 1, (agent.email, 1): 1, ("li.wei@example.com", 1): 1}
    )
    assert OutboundEmail.objects.get(to="li.wei@example.com").pk == message.email_id
    # ... and left the workers once: the console backend printed each message in one worker
    output = "\n".join(w.output() for w in stack.workers)
    # the customer: the reply, and the survey the resolution invited them to (sent by its own
    # task, not the outbox, so that the link's token is never stored)
    invitation = SurveyInvitation.objects.get(customer=contact.customer)
    assert invitation.sent_at is not None
    assert output.count("To: li.wei@example.com") == 2, output[-3000:]
    assert output.count(reply) == 1, output[-3000:]
    assert output.count("surveys.send_invitation") >= 1, output[-3000:]
    assert output.count(f"To: {agent.email}") == 1
    assert output.count(f"To: {colleague.email}") == 1

    # and both workers are still up, having shared the broker's queue
    for p in stack.everything:
        assert p.process.poll() is None, f"{p.name} died\n{stack.logs()}"
