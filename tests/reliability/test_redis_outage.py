"""Redis stopped for 30 s under load (issue 13, faults): no 5xx, no request over 2 s, and once it
is back all the pending work (events, e-mails, survey invitations, callback visits and their
reminders) is done exactly once.

Real processes on the test database: gunicorn (2 workers), a Celery worker and beat, with a
redis-server of the test's own as broker and cache, and a real SMTP server in the test that
counts every message it receives. Four client threads create records through the API, reply to
the customer, resolve the record and read pages. Redis is stopped (its queue is lost with it: no
persistence, as after a crash) and started again 30 s later; beat's sweeps then find the work in
the database. Beat runs with its sweeps every 5 s (tests/reliability/beat_settings.py) so that the
drain fits the time box; the sweeps and their grace periods are the shipped ones.

The broken variant: the web processes publish with kombu's default connection retries
(REDIS_PUBLISH_OPTIONS={}), and pages wait on the dead broker: requests over 2 s.

Runtime: about 110 s (40 s of load around the 30 s outage, about 30 s of drain (the sweeps' grace),
20 s for the broken variant).
"""

import secrets
import shutil
import time
from collections import Counter

import httpx
import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from followups.models import AssignTo, CallbackVisit
from servicedesk.core import services as core_services
from servicedesk.core.models import (
    DeliveryState,
    EmailState,
    EventDelivery,
    Notification,
    OutboundEmail,
    TaskOutbox,
)
from servicedesk.core.roles import Role
from surveys.delivery import invitation_email
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
from tests.followups.factories import RuleFactory
from tests.processes import OwnRedis, desk_env, free_port
from tests.reliability import stack
from tests.reliability.figures import report
from tests.surveys.factories import rating_template
from tests.tickets.factories import CategoryFactory
from tickets.models import ServiceRecord, Stage, Status

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
THREADS = 4
WARM_UP = 5  # seconds of load before Redis stops
OUTAGE = 30  # seconds Redis is down
AFTER = 5  # seconds of load once it is back
DRAIN = 75  # seconds for the worker and beat's sweeps to finish the pending work
STUCK = 2.0  # the bound: no request over 2 s
BROKEN_OUTAGE = 8  # seconds: enough to show the broken variant's slow pages

pytestmark = [
    pytest.mark.skipif(
        not ON_POSTGRES and not IN_CI,
        reason="needs PostgreSQL (DATABASE_URL): other processes cannot share SQLite's test DB",
    ),
    pytest.mark.skipif(
        shutil.which("redis-server") is None and not IN_CI, reason="redis-server is not installed"
    ),
]


@pytest.fixture
def redis(transactional_db):
    if not ON_POSTGRES or shutil.which("redis-server") is None:  # only reached under CI
        pytest.fail("CI=true but PostgreSQL (DATABASE_URL) or redis-server is missing")
    server = OwnRedis(port=free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp():
    sink = stack.SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def desk(redis, smtp):
    """The people, customers, rule and survey the load works with, committed for the processes."""
    department = DepartmentFactory(code="faults", name_en="Faults", name_zh="故障")
    hasher = PBKDF2PasswordHasher()
    agents = []
    for n in range(THREADS):
        agent = UserFactory(username=f"load{n}", role=Role.AGENT)
        # The web tier hashes with Django's default hashers: few iterations here.
        agent.password = hasher.encode(PASSWORD, hasher.salt(), iterations=1000)
        agent.save(update_fields=["password"])
        MembershipFactory(user=agent, department=department)
        agents.append(agent)
    category = CategoryFactory(code="repair", stage=Stage.AFTER_SALE, lead_department=department)
    customers = []
    for n in range(8):
        contact = ContactFactory(name=f"Customer {n}", customer__name=f"Customer {n}")
        EmailFactory(contact=contact, value=f"customer{n}@example.com")
        customers.append(contact.customer)
    # Every resolved record gets a call at once, whose reminder is due at once.
    RuleFactory(
        code="after-repair",
        department=department,
        stage="",
        assign_to=AssignTo.RECORD_ASSIGNEE,
        delay_days=0,
        window_days=2,
        remind_minutes=7 * 24 * 60,
    )
    rating_template(purpose=Purpose.AFTER_SERVICE)
    tokens = [core_services.api_token_create(user=a, name="load")[1] for a in agents]
    return {"agents": agents, "category": category, "customers": customers, "tokens": tokens}


def _env(redis: OwnRedis, smtp: stack.SmtpSink, **extra) -> dict:
    return desk_env(
        redis_url=redis.url,
        broker_url=redis.url,
        secret_key=secrets.token_urlsafe(50),
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp.port),
        EMAIL_TIMEOUT="5",
        **extra,
    )


def _script(base: str, desk: dict, api: list[httpx.Client], web: list[httpx.Client]):
    """One round of a client thread: a record created, replied to and resolved through the API
    (domain events, e-mails, a survey invitation, a callback visit and its reminder), then the
    record page and My work read with a session."""
    agents, customers, category = desk["agents"], desk["customers"], desk["category"]

    def round_(index: int, hit, n: int) -> None:
        client, page = api[index], web[index]
        customer = customers[(index * 3 + n) % len(customers)]
        created = hit(
            "create record (API)",
            lambda: client.post(
                f"{base}/api/v1/service-records/",
                json={
                    "customer": customer.pk,
                    "stage": Stage.AFTER_SALE,
                    "category": category.pk,
                    "subject": f"Door misaligned {index}-{n}",
                    "assignee": agents[index].pk,
                },
            ),
        )
        if created is None or created.status_code != 201:
            return
        record = created.json()
        url = f"{base}/api/v1/service-records/{record['id']}"
        hit(
            "reply (API)",
            lambda: client.post(
                f"{url}/messages/",
                json={"kind": "reply", "body": f"A technician comes tomorrow. [{index}-{n}]"},
            ),
        )
        if record["status"] == Status.NEW:
            hit("open (API)", lambda: client.post(f"{url}/transition/", json={"status": "open"}))
        hit(
            "resolve (API)",
            lambda: client.post(f"{url}/transition/", json={"status": Status.RESOLVED}),
        )
        hit("record page", lambda: page.get(f"{base}/records/{record['id']}/"))
        hit("My work", lambda: page.get(f"{base}/"))

    return round_


def _clients(base: str, desk: dict) -> tuple[list[httpx.Client], list[httpx.Client]]:
    api = [
        httpx.Client(timeout=30, headers={"Authorization": f"Token {key}"})
        for key in desk["tokens"]
    ]
    web = [httpx.Client(timeout=30) for _ in desk["agents"]]
    for client, agent in zip(web, desk["agents"], strict=True):
        stack.sign_in(client, base, agent.username, PASSWORD)
    return api, web


def _expected_mail() -> Counter:
    """What the desk has to have sent: each e-mail row once, each e-mailed invitation once."""
    expected = Counter((e.to, " ".join(e.subject.split())) for e in OutboundEmail.objects.all())
    for invitation in SurveyInvitation.objects.filter(channel="email").select_related(
        "template", "customer"
    ):
        expected[(invitation.email, " ".join(invitation_email(invitation)[0].split()))] += 1
    return expected


def _work_state(smtp: stack.SmtpSink) -> dict:
    """Pending work not done, and work done more than once, read from the database rows and the
    mail server's count."""
    received = smtp.snapshot()
    expected = _expected_mail()
    resolved = ServiceRecord.objects.filter(status=Status.RESOLVED)
    visits = CallbackVisit.objects.filter(source_record__isnull=False)
    per_record = Counter(visits.values_list("source_record_id", flat=True))
    reminders = Counter(
        Notification.objects.filter(verb="callback_due").values_list("recipient_id", "url")
    )
    not_done = {
        "event deliveries pending": EventDelivery.objects.exclude(state=DeliveryState.DONE).count(),
        "e-mails not sent": OutboundEmail.objects.exclude(state=EmailState.SENT).count(),
        "tasks never published": TaskOutbox.objects.filter(sent_at__isnull=True).count(),
        "invitations not sent": SurveyInvitation.objects.filter(
            channel="email", sent_at__isnull=True
        ).count(),
        "resolved records without their visit": resolved.exclude(
            pk__in=visits.values("source_record_id")
        ).count(),
        "visits not reminded": visits.filter(reminded_at__isnull=True).count(),
        "messages the mail server did not get": sum((expected - received).values()),
    }
    twice = {
        "messages the mail server got twice": sum((received - expected).values()),
        "records with two visits": sum(1 for c in per_record.values() if c > 1),
        "reminders given twice": sum(c - 1 for c in reminders.values() if c > 1),
    }
    done = {
        "event deliveries": EventDelivery.objects.filter(state=DeliveryState.DONE).count(),
        "e-mails": OutboundEmail.objects.filter(state=EmailState.SENT).count(),
        "invitations": SurveyInvitation.objects.filter(sent_at__isnull=False).count(),
        "visits": visits.count(),
        "reminders": sum(reminders.values()),
        "messages received": sum(received.values()),
    }
    return {"not_done": not_done, "twice": twice, "done": done}


def _describe(hits: list[stack.Hit]) -> str:
    statuses = Counter(h.status for h in hits)
    errors = Counter(h.error.split(":")[0] for h in hits if h.error)
    return f"{len(hits)} requests, statuses {dict(statuses)}" + (
        f", no answer {dict(errors)}" if errors else ""
    )


def test_redis_stopped_for_30_s_under_load_loses_and_duplicates_nothing(
    redis, smtp, desk, tmp_path
):
    env = _env(redis, smtp)
    beat_env = {**env, "DJANGO_SETTINGS_MODULE": "tests.reliability.beat_settings"}
    port = free_port()
    procs = []
    try:
        procs.append(stack.start("web", stack.gunicorn(port, workers=2), env, tmp_path, port))
        procs.append(stack.start("worker-1", stack.celery_worker("faults"), env, tmp_path))
        procs.append(
            stack.start("beat", stack.celery_beat(tmp_path / "beat-schedule"), beat_env, tmp_path)
        )
        stack.wait_ready(procs, 40)
        web = procs[0]
        base = web.url
        api, pages = _clients(base, desk)
        load = stack.Load(_script(base, desk, api, pages), threads=THREADS, pause=0.2)

        # given steady load
        load.start()
        time.sleep(WARM_UP)
        # when Redis stops for 30 s and comes back
        redis.stop()
        down = time.monotonic()
        time.sleep(OUTAGE)
        redis.start()
        up = time.monotonic()
        # What the outage left for beat's sweeps: the proof that there was work to lose.
        stranded = _work_state(smtp)["not_done"]
        time.sleep(AFTER)
        load.stop()

        # then no request failed or hung while it was down, nor at any other time
        during = load.between(down, up)
        everything = load.between(0)
        failures = [h for h in during if h.status >= 500 or h.status == 0]
        slowest = max((h.took for h in during), default=0.0)
        slow = sorted((h for h in during if h.took > STUCK), key=lambda h: -h.took)
        report(
            "Faults",
            "5xx during Redis outage",
            len(failures),
            0,
            ok=not failures,
            detail=f"during the 30 s outage: {_describe(during)}; whole run: "
            f"{_describe(everything)}",
        )
        report(
            "Faults",
            "slowest request during outage (s)",
            round(slowest, 2),
            f"< {STUCK}",
            ok=slowest < STUCK,
            detail=f"{len(slow)} of {len(during)} requests over {STUCK} s",
        )
        assert during, "no requests were made while Redis was down"
        assert not failures, [(h.label, h.status, h.error) for h in failures][:20]
        assert not [h for h in everything if h.status >= 500 or h.status == 0], _describe(
            everything
        )
        assert slowest < STUCK, [(h.label, round(h.took, 2)) for h in slow[:20]]
        assert not load.problems, load.problems[:10]

        # and once the worker and beat's sweeps have drained, every piece of work is done once
        stack.wait_for(lambda: not any(_work_state(smtp)["not_done"].values()), DRAIN, step=2)
        time.sleep(2)  # a duplicate send would land right after the last one
        state = _work_state(smtp)
        wrong = sum(state["not_done"].values()) + sum(state["twice"].values())
        report(
            "Faults",
            "pending work done exactly once after",
            wrong,
            0,
            ok=wrong == 0,
            detail="not done or done twice, after the outage; waiting when Redis came back: "
            + ", ".join(f"{v} {k}" for k, v in stranded.items() if v)
            + "; done in all: "
            + ", ".join(f"{v} {k}" for k, v in state["done"].items()),
        )
        assert wrong == 0, f"{state}\n{stack.logs(procs)}"
        assert state["done"]["visits"] > 0 and state["done"]["invitations"] > 0, state
        assert all(p.alive() for p in procs), stack.logs(procs)

        # The broken variant: publishing with kombu's default retries, the pages wait on the
        # dead broker. Only the web processes change.
        stack.stop([web])
        port = free_port()
        broken = stack.start(
            "web-broken",
            stack.gunicorn(port, workers=2),
            {**env, "REDIS_PUBLISH_OPTIONS": "{}"},
            tmp_path,
            port,
        )
        procs.append(broken)
        stack.wait_ready([broken], 30)
        api, pages = _clients(broken.url, desk)
        load = stack.Load(_script(broken.url, desk, api, pages), threads=THREADS, pause=0.2)
        load.start()
        time.sleep(3)
        redis.stop()
        down = time.monotonic()
        time.sleep(BROKEN_OUTAGE)
        up = time.monotonic()
        load.stop()
        during = load.between(down, up)
        slow = [h for h in during if h.took > STUCK]
        report(
            "Faults",
            "requests over 2 s during Redis outage in the broken variant",
            len(slow),
            "> 0",
            ok=bool(slow),
            detail="REDIS_PUBLISH_OPTIONS={} (kombu's default connection retries); "
            f"{_describe(during)}, slowest {max((h.took for h in during), default=0):.1f} s",
        )
        assert slow, _describe(during)
    finally:
        stack.stop(procs)
