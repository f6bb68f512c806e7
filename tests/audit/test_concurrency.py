"""Two managers review the same record against the same form at once, and an agent acknowledges
one review from two tabs at once, on PostgreSQL: one of each wins, the other is told why."""

import pytest
from django.db import connection

from servicedesk.audit import services
from servicedesk.audit.models import Review
from servicedesk.core.exceptions import DomainError
from servicedesk.core.roles import Role
from tests.factories import MembershipFactory, UserFactory
from tests.tickets.test_complaint_concurrency import _race  # one way to start writers at once

from .factories import default_form, full_marks, handled_record

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL"
    ),
]


def test_two_managers_reviewing_the_same_work_at_once_make_one_review(manager, agent, department):
    form = default_form()
    deputy = UserFactory(username="deputy", role=Role.MANAGER)
    MembershipFactory(user=deputy, department=department, is_manager=True)
    for _ in range(3):  # a few rounds, so the race is really run
        record = handled_record(department, agent)

        def make(by, record=record):
            return lambda: services.review_create(
                by=by, form_id=form.pk, record_id=record.pk, scores=full_marks(form)
            )

        results = _race([make(manager), make(deputy)])
        won = [r for r in results if isinstance(r, Review)]
        lost = [r for r in results if isinstance(r, DomainError)]
        assert (len(won), len(lost)) == (1, 1), results
        assert "already been reviewed" in str(lost[0].message)
        assert Review.objects.filter(record=record).count() == 1


def test_acknowledging_from_two_tabs_at_once_stores_one_reply(manager, agent, department):
    form = default_form()
    record = handled_record(department, agent)
    review = services.review_create(
        by=manager, form_id=form.pk, record_id=record.pk, scores=full_marks(form)
    )
    results = _race(
        [
            lambda: services.review_acknowledge(by=agent, review_id=review.pk, reply="first"),
            lambda: services.review_acknowledge(by=agent, review_id=review.pk, reply="second"),
        ]
    )
    won = [r for r in results if isinstance(r, Review)]
    lost = [r for r in results if isinstance(r, DomainError)]
    assert (len(won), len(lost)) == (1, 1), results
    review.refresh_from_db()
    assert review.agent_reply == won[0].agent_reply
