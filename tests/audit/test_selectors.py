"""The audit's reads: visibility, My reviews, and the per-agent averages against a recount."""

import random
from datetime import timedelta

import pytest
from django.utils import timezone

from servicedesk.audit import selectors
from servicedesk.audit.models import Review
from servicedesk.core.roles import Role
from tests.factories import DepartmentFactory, MembershipFactory, UserFactory
from tests.tickets.factories import RecordFactory

from .factories import CheckFormFactory

pytestmark = pytest.mark.django_db


def _reviews(rng, *, count, agents, departments, forms, start, days):
    """Reviews written directly (the services' rules are tested elsewhere), spread over days."""
    made = []
    for _ in range(count):
        form, maximum = rng.choice(forms)
        agent = rng.choice(agents)
        made.append(
            Review.objects.create(
                form=form,
                record=RecordFactory(),
                agent=agent,
                department=rng.choice(departments),
                points=rng.randint(0, maximum),
                max_points=maximum,
                created_at=start + timedelta(minutes=rng.randint(0, days * 24 * 60)),
            )
        )
    return made


def _recount(reviews, since, until, department_ids=None):
    """The averages by brute force, in Python."""
    by_agent = {}
    for r in reviews:
        if not since <= r.created_at < until:
            continue
        if department_ids is not None and r.department_id not in department_ids:
            continue
        by_agent.setdefault(r.agent_id, []).append(r.points / r.max_points)
    return {pk: (len(shares), sum(shares) / len(shares)) for pk, shares in by_agent.items()}


def test_agent_averages_match_a_brute_force_recount(django_assert_num_queries):
    rng = random.Random(7)
    agents = [UserFactory(first_name=f"Agent{i}", last_name="Test") for i in range(5)]
    departments = [DepartmentFactory() for _ in range(3)]
    forms = [(CheckFormFactory(items=0), 30), (CheckFormFactory(items=0), 7)]
    start = timezone.now() - timedelta(days=60)
    reviews = _reviews(
        rng, count=80, agents=agents, departments=departments, forms=forms, start=start, days=60
    )
    since, until = start + timedelta(days=10), start + timedelta(days=45)
    for department_ids in (None, [departments[0].pk, departments[2].pk]):
        # One grouped query, whatever the number of agents.
        with django_assert_num_queries(1):
            rows = selectors.agent_averages(since, until, department_ids)
        expected = _recount(reviews, since, until, department_ids)
        assert {r.agent_id: (r.reviews, pytest.approx(r.average)) for r in rows} == expected
        assert [r.average for r in rows] == sorted((r.average for r in rows), reverse=True)
    names = {r.agent_id: r.name for r in selectors.agent_averages(since, until)}
    assert names[agents[0].pk] == "Agent0 Test"


def test_agent_averages_of_an_empty_period_are_empty():
    today = timezone.localdate()
    assert selectors.agent_averages(today, today) == []
    assert selectors.agent_averages(today, today, department_ids=[]) == []


def test_agent_averages_take_days_inclusive(agent):
    form = CheckFormFactory(items=0)
    today = timezone.localdate()
    Review.objects.create(
        form=form, record=RecordFactory(), agent=agent, points=3, max_points=4,
        created_at=timezone.now(),
    )  # fmt: skip
    [row] = selectors.agent_averages(today, today)
    assert (row.reviews, row.average, row.percent) == (1, 0.75, 75.0)
    assert selectors.agent_averages(today - timedelta(days=7), today - timedelta(days=1)) == []


def test_managers_see_every_review_and_an_agent_only_their_own(agent, manager, administrator):
    other = UserFactory(username="someone", role=Role.AGENT)
    MembershipFactory(user=other)
    form = CheckFormFactory(items=0)
    mine = Review.objects.create(
        form=form, record=RecordFactory(), agent=agent, points=1, max_points=5
    )
    theirs = Review.objects.create(
        form=form, record=RecordFactory(), agent=other, points=1, max_points=5
    )
    assert set(selectors.review_visible(manager)) == {mine, theirs}
    assert set(selectors.review_visible(administrator)) == {mine, theirs}
    assert list(selectors.review_visible(agent)) == [mine]
    assert list(selectors.review_visible(UserFactory(username="nobody", role=""))) == []


def test_my_reviews_are_newest_first_and_bounded(agent, django_assert_num_queries):
    form = CheckFormFactory(items=0)
    department = DepartmentFactory()
    now = timezone.now()
    for i in range(15):
        Review.objects.create(
            form=form, record=RecordFactory(), agent=agent, points=i % 6, max_points=5,
            department=department, created_at=now - timedelta(days=i),
        )  # fmt: skip
    with django_assert_num_queries(1):
        mine = selectors.reviews_for(agent)
        refs = [r.record.reference for r in mine]
        # What the review table (audit/_review_table.html, the agent dashboard) shows per row.
        shown = [(r.agent.username, r.department, r.form.name, r.reviewer) for r in mine]
    assert len(mine) == selectors.MY_REVIEWS_LIMIT == len(refs) == len(shown)
    assert [r.created_at for r in mine] == sorted((r.created_at for r in mine), reverse=True)
    assert selectors.reviews_for(agent, limit=3) == mine[:3]
