"""Two agents take the same step of one complaint at once, on PostgreSQL: exactly one succeeds and
the other is told it changed (409 in the API); the re-check visit is made once."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier

import pytest
from django.db import connection
from django.utils import timezone

from followups.models import CallbackVisit
from servicedesk.core.exceptions import ConflictError
from tests.factories import MembershipFactory, UserFactory
from tests.tickets.factories import complaint_open
from tickets.complaints import services
from tickets.complaints.models import Complaint, ComplaintStepEntry, Step
from tickets.models import BusinessCalendar

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"
    ),
]


def _race(calls) -> list:
    """Run the calls at the same moment, each on its own connection; their results or errors."""
    barrier = Barrier(len(calls))

    def run(call):
        try:
            barrier.wait()
            return call()
        except Exception as exc:  # noqa: BLE001 - the test inspects what each one got
            return exc
        finally:
            connection.close()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_two_agents_taking_the_same_step_one_wins_the_other_conflicts(
    agent, department, complaint_category
):
    colleague = UserFactory(username="colleague")
    MembershipFactory(user=colleague, department=department)
    complaint = complaint_open(agent, complaint_category)

    def take(by, words):
        return lambda: services.complaint_take_step(
            by=by, complaint_id=complaint.pk, version=1, step=Step.RESPECT, data={"words": words}
        )

    for _ in range(5):  # a few rounds, so the race is really run
        Complaint.objects.filter(pk=complaint.pk).update(step=Step.RESPECT, version=1)
        ComplaintStepEntry.objects.all().delete()
        results = _race([take(agent, "您好"), take(colleague, "谢谢您")])
        won = [r for r in results if isinstance(r, Complaint)]
        lost = [r for r in results if isinstance(r, ConflictError)]
        assert (len(won), len(lost)) == (1, 1), results
        assert ComplaintStepEntry.objects.filter(complaint=complaint).count() == 1


def test_two_actions_done_at_once_make_one_recheck_visit(agent, complaint_category):
    BusinessCalendar.objects.create(name="Office hours", is_default=True)
    complaint = complaint_open(agent, complaint_category)
    steps = {
        Step.RESPECT: {"words": "您好"},
        Step.LISTEN: {"feeling": "a", "want": "b", "thinking": "c", "facts": "d"},
        Step.RESTATE: {"request": "r", "confirmed": True},
        Step.OPTIONS: {"options": [{"description": "o", "remedy": "refund"}], "choice": 0},
    }
    for step, data in steps.items():
        services.complaint_take_step(
            by=agent, complaint_id=complaint.pk, version=None, step=step, data=data
        )
    due = (timezone.localdate() + timedelta(days=1)).isoformat()
    actions = [{"description": f"a{i}", "owner": agent.pk, "due_date": due} for i in range(2)]
    services.complaint_take_step(
        by=agent, complaint_id=complaint.pk, version=None, step=Step.ACT, data={"actions": actions}
    )
    first, second = complaint.actions.all()
    results = _race(
        [
            lambda: services.complaint_action_done(by=agent, action_id=first.pk),
            lambda: services.complaint_action_done(by=agent, action_id=second.pk),
        ]
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Complaint.objects.get(pk=complaint.pk).step == Step.RECHECK
    assert CallbackVisit.objects.filter(source_record=complaint.record).count() == 1
