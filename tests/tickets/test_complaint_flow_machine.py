"""Random sequences of step requests, loops included, never bring a complaint to an illegal state:
a hypothesis state machine drives tickets.complaints.services with any step (right or wrong, with
good or empty data) and checks the invariants after each request."""

from contextlib import suppress
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from servicedesk.core.exceptions import DomainError
from servicedesk.core.models import StatusChange
from tests.factories import DepartmentFactory, MembershipFactory, UserFactory
from tests.tickets.factories import CategoryFactory, complaint_open
from tickets.complaints import services
from tickets.complaints.models import STEPS, Complaint, Step
from tickets.models import Stage

pytestmark = pytest.mark.django_db(transaction=True)

RESULTS = ["satisfied", "not_satisfied", "unreachable"]


def good_data(step: str, owner_id: int, draw) -> dict:
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    return {
        Step.RESPECT: {"words": "谢谢您把情况告诉我"},
        Step.LISTEN: {"feeling": "生气", "want": "退款", "thinking": "不公平", "facts": "迟到"},
        Step.RESTATE: {"request": "退款", "confirmed": draw(st.booleans())},
        Step.OPTIONS: {"options": [{"description": "退款", "remedy": "refund"}], "choice": 0},
        Step.ACT: {"actions": [{"description": "退款", "owner": owner_id, "due_date": tomorrow}]},
        Step.RECHECK: {"result": draw(st.sampled_from(RESULTS)), "note": "三次未接"},
    }[step]


class ComplaintFlow(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        department = DepartmentFactory()
        self.agent = UserFactory(role="agent")
        MembershipFactory(user=self.agent, department=department)
        self.manager = UserFactory(role="manager")
        MembershipFactory(user=self.manager, department=department, is_manager=True)
        category = CategoryFactory(stage=Stage.AFTER_SALE, lead_department=department)
        self.complaint = complaint_open(self.agent, category)

    def _current(self) -> Complaint:
        return Complaint.objects.get(pk=self.complaint.pk)

    @rule(step=st.sampled_from(STEPS), good=st.booleans(), manager=st.booleans(), data=st.data())
    def take(self, step, good, manager, data):
        by = self.manager if manager else self.agent
        payload = good_data(step, self.agent.pk, data.draw) if good else {}
        # A wrong step, missing data or an agent closing an unreachable one is refused: fine,
        # as long as the invariants hold after it.
        with suppress(DomainError, ValidationError):
            services.complaint_take_step(
                by=by, complaint_id=self.complaint.pk, version=None, step=step, data=payload
            )

    @precondition(lambda self: self._current().step != Step.CLOSED)
    @rule(manager=st.booleans(), data=st.data())
    def take_the_next_step(self, manager, data):
        """The right step with good data (mostly): what moves the complaint deep into the flow."""
        step = self._current().step
        self.take(step=step, good=True, manager=manager, data=data)

    @precondition(lambda self: self._current().actions.filter(done_at=None).exists())
    @rule()
    def finish_actions(self):
        for action in self._current().actions.filter(done_at=None):
            services.complaint_action_done(by=self.agent, action_id=action.pk)

    @rule()
    def reopen(self):
        with suppress(DomainError):  # reopening an open complaint is refused; that is fine
            services.complaint_reopen(
                by=self.manager, complaint_id=self.complaint.pk, reason="客户再次来电"
            )

    @invariant()
    def the_state_is_legal(self):
        complaint = self._current()
        assert complaint.step in Step.values
        assert (complaint.step == Step.CLOSED) == bool(complaint.outcome)
        assert (complaint.step == Step.CLOSED) == (complaint.closed_at is not None)
        # every move was one the table allows, and the log ends where the complaint is
        log = list(StatusChange.objects.filter(object_id=complaint.pk, field="step").order_by("pk"))
        for change in log[1:]:
            assert change.to_state in Complaint.ALLOWED_TRANSITIONS[change.from_state]
        assert log[-1].to_state == complaint.step
        # a step's entries are numbered 1, 2, … without gaps
        for step in STEPS:
            rounds = sorted(complaint.entries.filter(step=step).values_list("round", flat=True))
            assert rounds == list(range(1, len(rounds) + 1))
        # step 5 is left only once its actions are done
        if complaint.step in (Step.RECHECK, Step.CLOSED):
            assert not complaint.actions.filter(done_at=None).exists()


def test_random_step_requests_never_reach_an_illegal_state():
    machine = settings(
        max_examples=20,
        stateful_step_count=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )(ComplaintFlow)
    machine.TestCase().runTest()
