"""Breaches: the assignee hears of each breached record, managers get one digest per run."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from servicedesk.core.models import Notification, OutboundEmail
from tests.factories import DepartmentFactory, MembershipFactory, UserFactory
from tests.tickets.factories import CategoryFactory, RecordFactory
from tickets import services
from tickets.models import BreachNotice

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(department):
    user = UserFactory(username="colleague")
    MembershipFactory(user=user, department=department)
    return user


@pytest.fixture
def second_manager(department):
    user = UserFactory(username="second-manager")
    MembershipFactory(user=user, department=department, is_manager=True)
    return user


@pytest.fixture
def other_manager():
    """A manager of another department: none of these breaches are theirs."""
    user = UserFactory(username="other-manager")
    MembershipFactory(user=user, department=DepartmentFactory(), is_manager=True)
    return user


@pytest.fixture
def breached(category, agent, colleague):
    """Five breached records of the department: three are the agent's, one the colleague's, one
    nobody's; the first has missed both its targets."""
    now = timezone.now()
    late = {"resolution_due": now - timedelta(hours=1)}
    records = [
        RecordFactory(
            category=category,
            assignee=agent,
            first_response_due=now - timedelta(hours=3),
            resolution_due=now - timedelta(hours=2),
        ),
        RecordFactory(category=category, assignee=agent, **late),
        RecordFactory(category=category, assignee=agent, **late),
        RecordFactory(category=category, assignee=colleague, **late),
        RecordFactory(category=category, **late),
    ]
    RecordFactory(category=category, assignee=agent, resolution_due=now + timedelta(hours=1))
    return records


def _emails_to(user):
    return list(OutboundEmail.objects.filter(to=user.email))


def test_n_breaches_in_one_run_make_one_digest_per_manager(
    breached, manager, second_manager, other_manager
):
    # when
    announced = services.breaches_escalate()

    # then each breach is announced once: five records, the first for both of its targets
    assert announced == 6
    assert BreachNotice.objects.count() == 6
    for boss in (manager, second_manager):
        [digest] = _emails_to(boss)
        assert digest.subject == "5 records missed a time target"
        for record in breached:
            assert record.reference in digest.body
            assert f"https://desk.example.test/records/{record.pk}/" in digest.body
        assert "https://desk.example.test/records/?breached=true" in digest.body
        assert "first response, resolution" in digest.body
        [notice] = Notification.objects.filter(recipient=boss)
        assert (notice.verb, notice.url) == ("records_breached", "/records/?breached=true")
    assert _emails_to(other_manager) == []


def test_the_assignee_is_notified_once_per_breached_record(breached, agent, colleague, manager):
    services.breaches_escalate()

    mine = Notification.objects.filter(recipient=agent, verb="record_breached").order_by("url")
    assert sorted(n.url for n in mine) == sorted(r.get_absolute_url() for r in breached[:3])
    both = mine.get(url=breached[0].get_absolute_url())
    assert both.title.startswith("Target missed (first response, resolution)")
    assert len(_emails_to(agent)) == 3
    assert all(
        e.body.rstrip().endswith(f"https://desk.example.test/records/{r.pk}/")
        for e, r in zip(
            sorted(_emails_to(agent), key=lambda e: e.subject),
            sorted(breached[:3], key=lambda r: r.reference),
            strict=True,
        )
    )
    assert Notification.objects.filter(recipient=colleague, verb="record_breached").count() == 1


def test_a_repeated_run_announces_nothing_new_and_a_later_breach_gets_its_own_digest(
    breached, manager, category
):
    services.breaches_escalate()
    sent = OutboundEmail.objects.count()

    assert services.breaches_escalate() == 0
    assert OutboundEmail.objects.count() == sent

    # a record that breaches later is announced by the next run, alone
    late = RecordFactory(category=category, resolution_due=timezone.now() - timedelta(minutes=1))
    assert services.breaches_escalate() == 1
    latest = OutboundEmail.objects.filter(to=manager.email).order_by("-pk").first()
    assert latest.subject == "1 record missed a time target"
    assert late.reference in latest.body
    assert not any(r.reference in latest.body for r in breached)


def test_a_run_that_fails_announces_nothing_and_the_next_announces_everything(
    breached, manager, monkeypatch
):
    def broken(_announced):
        raise RuntimeError("crashed before the digest")

    monkeypatch.setattr(services, "_notify_managers_of_breaches", broken)
    with pytest.raises(RuntimeError):
        services.breaches_escalate()
    # the notices rolled back with the announcement: no breach is marked as told
    assert not BreachNotice.objects.exists()
    assert not OutboundEmail.objects.exists()

    monkeypatch.undo()
    assert services.breaches_escalate() == 6
    assert len(_emails_to(manager)) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_announce_each_breach_once(breached, manager, agent):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions need PostgreSQL")
    start = threading.Barrier(2)
    results = []

    def run():
        try:
            start.wait()
            results.append(services.breaches_escalate())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert sorted(results) == [0, 6]
    assert BreachNotice.objects.count() == 6
    assert len(_emails_to(manager)) == 1
    assert Notification.objects.filter(recipient=agent, verb="record_breached").count() == 3


@pytest.fixture
def category(department):
    return CategoryFactory(lead_department=department)
