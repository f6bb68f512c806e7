"""Two beat processes at once: no duplicate visits, reminders or escalations.

Two `celery beat` processes (servicedesk.core.beat.DeskScheduler, each with its own schedule file,
as two hosts would each start one by mistake) send the callback scan, the callback reminders, the
missed-visit escalation and the breach escalation on every second of the clock
(tests/reliability/two_beats_settings.py: only the schedule differs), to one prefork worker with
two children, so the two beats' runs of a task start together and overlap. While they run, the test
adds due work in waves: customers for a periodic rule (the scan's visits), visits whose reminder is
due, visits whose window has closed, records that breached their resolution target. When all of
it is done, it counts doubles:

- duplicate visits: more than one rule-made visit per (rule, customer, period);
- duplicate reminders: more than one "callback due" notification per (person, visit);
- duplicate escalations: more than one "callback missed" or "record breached" notification per
  (person, visit or record), or more than one BreachNotice per (record, target).

The broken variant restarts the beats on claim-less drafts of the reminder and the missed-visit
tasks (tests/reliability/broken_tasks.py) and must count doubles.

Runs on PostgreSQL (other processes share the test database), with a Redis of the test's own;
about 60-90 s on a busy 2-core machine, most of it starting processes.
"""

import re
import secrets
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from customers.models import Customer
from followups.models import CallbackRule, CallbackVisit, Trigger, VisitStatus
from servicedesk.core.models import Notification
from servicedesk.core.roles import Role
from tests.conftest import IN_CI
from tests.factories import CustomerFactory, DepartmentFactory, MembershipFactory, UserFactory
from tests.followups.factories import RuleFactory, VisitFactory
from tests.processes import desk_env
from tests.reliability import stack
from tests.reliability.faults import prefork_worker, stop_worker
from tests.reliability.figures import report
from tests.tickets.factories import RecordFactory, installation_category
from tickets.models import BreachKind, BreachNotice, BusinessCalendar, ServiceRecord
from tickets.selectors import target_breached_q

ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
AREA = "Two beats at once"
START_TIMEOUT = 40  # seconds for the worker or the two beats to be ready
WAVES = 5  # rounds of new due work while the beats run ...
WAVE_SECONDS = 2.0  # ... one every this many seconds (the beats tick every second)
DONE_TIMEOUT = 40  # seconds for the worker to finish what the waves added

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(
        not ON_POSTGRES and not IN_CI,
        reason="needs PostgreSQL (DATABASE_URL): other processes cannot share SQLite's test DB",
    ),
]


@pytest.fixture
def desk(transactional_db):
    """A department with a manager and an agent, a category it leads, office hours and a
    monthly callback rule for every customer; committed, so the worker sees them."""
    department = DepartmentFactory(code="customer-service", name_en="Customer service")
    manager = UserFactory(username="manager", role=Role.MANAGER)
    MembershipFactory(user=manager, department=department, is_manager=True)
    agent = UserFactory(username="agent", role=Role.AGENT)
    MembershipFactory(user=agent, department=department)
    BusinessCalendar.objects.create(name="Office hours", is_default=True)
    RuleFactory(
        code="monthly",
        trigger=Trigger.PERIODIC,
        interval_days=30,
        delay_days=0,
        window_days=3,
        department=department,
    )
    return {
        "department": department,
        "agent": agent,
        "category": installation_category(department),
    }


@pytest.fixture
def env(own_redis):
    return desk_env(
        redis_url=own_redis.url,
        broker_url=own_redis.url,
        secret_key=secrets.token_urlsafe(50),
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
    )


@pytest.fixture
def worker(desk, env, tmp_path):
    """One prefork worker, two children: two beats' runs of a task can run side by side."""
    if not ON_POSTGRES:  # only reached under CI, where a missing service must fail, not skip
        pytest.fail("CI=true but the database is not PostgreSQL: set DATABASE_URL")
    args = prefork_worker("beats", concurrency=2, include="tests.reliability.broken_tasks")
    proc = stack.start("worker-beats", args, env, tmp_path)
    try:
        stack.wait_ready([proc], START_TIMEOUT)
        yield proc
    finally:
        stop_worker(proc)


def _run_two_beats(env, tmp_path, tag: str, wave, done) -> list[stack.Proc]:
    """Start two beats at once, add `wave()`s of due work while they tick, wait for `done()`,
    stop the beats; returns them (their logs say what each sent)."""
    beat_env = {**env, "DJANGO_SETTINGS_MODULE": "tests.reliability.two_beats_settings"}
    if tag == "broken":
        beat_env["DESK_TWO_BEATS_BROKEN"] = "true"
    beats = [
        stack.start(
            f"beat-{tag}-{n}", stack.celery_beat(tmp_path / f"beat-{tag}-{n}"), beat_env, tmp_path
        )
        for n in (1, 2)
    ]
    try:
        stack.wait_ready(beats, START_TIMEOUT)
        for _ in range(WAVES):
            wave()
            time.sleep(WAVE_SECONDS)  # pacing: new work between ticks, not a timed check
        finished = stack.wait_for(done, DONE_TIMEOUT)
    finally:
        stack.stop(beats)
    assert finished, stack.logs(beats)
    return beats


def _sent(beat: stack.Proc, task: str) -> int:
    return len(re.findall(rf"Sending due task \S+ \({re.escape(task)}\)", beat.output()))


def _doubles(rows) -> int:
    return sum(row["n"] - 1 for row in rows.annotate(n=Count("pk")).filter(n__gt=1))


def _notification_doubles(verbs, since: int) -> int:
    rows = Notification.objects.filter(verb__in=verbs, pk__gt=since)
    return _doubles(rows.values("recipient", "verb", "url"))


def _due_work(desk, *, records: bool, customers: bool):
    """One wave: visits whose reminder is due, visits whose window closed, and (for the real
    run) new customers for the scan and records past their resolution target."""
    now = timezone.now()
    department = desk["department"]
    for _ in range(15):
        VisitFactory(
            department=department, due_at=now + timedelta(minutes=30),
            remind_at=now - timedelta(minutes=1),
        )  # fmt: skip
        VisitFactory(
            department=department, assignee=desk["agent"], due_at=now - timedelta(days=3),
            window_end=now - timedelta(hours=1), remind_at=now - timedelta(days=3),
            reminded_at=now - timedelta(days=3),
        )  # fmt: skip
    if customers:
        CustomerFactory.create_batch(5)
    if records:
        for _ in range(5):
            RecordFactory(
                category=desk["category"], assignee=desk["agent"],
                resolution_due=now - timedelta(hours=1),
            )  # fmt: skip


def _callbacks_done() -> bool:
    now = timezone.now()
    scheduled = CallbackVisit.objects.filter(status=VisitStatus.SCHEDULED)
    return not (
        scheduled.filter(remind_at__lte=now, reminded_at__isnull=True).exists()
        or scheduled.filter(window_end__lt=now).exists()
        or CallbackVisit.objects.filter(
            status=VisitStatus.MISSED, escalated_at__isnull=True
        ).exists()
    )


def _everything_done() -> bool:
    rule = CallbackRule.objects.get(code="monthly")
    unscanned = Customer.objects.filter(is_archived=False).exclude(callback_visits__rule=rule)
    unannounced = ServiceRecord.objects.filter(
        target_breached_q("resolution", timezone.now())
    ).exclude(breaches__kind=BreachKind.RESOLUTION)
    return _callbacks_done() and not unscanned.exists() and not unannounced.exists()


def test_two_beats_at_once_duplicate_no_visit_reminder_or_escalation(desk, worker, env, tmp_path):
    # given two beats ticking every second and due work arriving in waves
    beats = _run_two_beats(
        env, tmp_path, "real", lambda: _due_work(desk, records=True, customers=True),
        _everything_done,
    )  # fmt: skip

    # then both beats sent every task several times, and nothing was done twice
    sends = {
        task: [_sent(b, task) for b in beats]
        for task in ("followups.scan", "followups.remind", "followups.mark_missed",
                     "tickets.escalate_breaches")
    }  # fmt: skip
    assert all(min(counts) >= 3 for counts in sends.values()), sends
    visits = _doubles(
        CallbackVisit.objects.filter(rule__isnull=False).values("rule", "customer", "period")
    )
    reminders = _notification_doubles(["callback_due"], 0)
    escalations = _notification_doubles(["callback_missed", "record_breached"], 0) + _doubles(
        BreachNotice.objects.values("record", "kind")
    )
    detail = (
        f"each beat sent each task {min(min(c) for c in sends.values())}+ times; "
        f"{CallbackVisit.objects.filter(rule__isnull=False).count()} rule visits, "
        f"{Notification.objects.filter(verb='callback_due').count()} reminders, "
        f"{Notification.objects.filter(verb__in=['callback_missed', 'record_breached']).count()}"
        " escalations"
    )
    report(AREA, "duplicate visits", visits, 0, ok=visits == 0, detail=detail)
    report(AREA, "duplicate reminders", reminders, 0, ok=reminders == 0, detail=detail)
    report(AREA, "duplicate escalations", escalations, 0, ok=escalations == 0, detail=detail)
    assert (visits, reminders, escalations) == (0, 0, 0)
    assert Notification.objects.filter(verb="callback_due").exists()
    assert Notification.objects.filter(verb="callback_missed").exists()
    assert Notification.objects.filter(verb="record_breached").exists()

    # when the beats are restarted on drafts of the reminder and missed-visit tasks that skip
    # their claims
    since = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    _run_two_beats(
        env, tmp_path, "broken", lambda: _due_work(desk, records=False, customers=False),
        _callbacks_done,
    )  # fmt: skip

    # then the same counts find doubles
    reminders = _notification_doubles(["callback_due"], since)
    escalations = _notification_doubles(["callback_missed"], since)
    detail = f"{reminders} duplicate reminders, {escalations} duplicate escalations"
    report(AREA, "duplicate reminders and escalations in the broken variant (no claim)",
           reminders + escalations, "> 0", ok=reminders + escalations > 0,
           detail=detail)  # fmt: skip
    assert reminders + escalations > 0, detail
