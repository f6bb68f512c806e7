"""The internal-customer table against a brute-force recount on generated ratings, and the team
page's case lists against theirs."""

import random
from collections import defaultdict
from datetime import timedelta

import pytest
from django.utils import timezone

from servicedesk.core.roles import user_role
from servicedesk.core.selectors import rate
from servicedesk.feedback import selectors
from servicedesk.feedback.models import HandoverRating
from tests.factories import DepartmentFactory

from .factories import CaseFactory, RatingFactory, shared_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def generated(db):
    """~150 ratings between four departments over 120 days, scores skewed per pair."""
    rng = random.Random(7)
    departments = [DepartmentFactory(code=f"d{i}", name_en=f"Dept {i}") for i in range(4)]
    now = timezone.now()
    for _ in range(150):
        sender, receiver = rng.sample(departments, 2)
        RatingFactory(
            record=shared_record(sender, receiver),
            from_department=sender,
            to_department=receiver,
            score=rng.randint(1, 5),
            created_at=now - timedelta(days=rng.uniform(0, 120)),
        )
    return departments


def brute_force(since, until, department_id=None):
    groups = defaultdict(list)
    for r in HandoverRating.objects.all():
        if not since <= r.created_at < until:
            continue
        if department_id and department_id not in (r.from_department_id, r.to_department_id):
            continue
        groups[(r.from_department_id, r.to_department_id)].append(r.score)
    return {
        pair: {
            "ratings": len(scores),
            "average": round(sum(scores) / len(scores), 2),
            "share_good": rate(sum(1 for s in scores if s >= 4), len(scores)),
        }
        for pair, scores in groups.items()
    }


def as_dict(rows):
    return {
        (r["from_department_id"], r["to_department_id"]): {
            "ratings": r["ratings"],
            "average": r["average"],
            "share_good": r["share_good"],
        }
        for r in rows
    }


@pytest.mark.parametrize("days", [7, 30, 90, 365])
def test_handover_pairs_match_a_recount(generated, days, django_assert_num_queries):
    until = timezone.now() + timedelta(seconds=1)
    since = until - timedelta(days=days)
    with django_assert_num_queries(1):
        rows = selectors.handover_pairs(since=since, until=until)
    assert as_dict(rows) == brute_force(since, until)
    assert sum(r["ratings"] for r in rows) == sum(
        1 for r in HandoverRating.objects.all() if since <= r.created_at < until
    )


def test_handover_pairs_for_one_department_match_a_recount(generated):
    until = timezone.now() + timedelta(seconds=1)
    since = until - timedelta(days=90)
    dept = generated[1]
    rows = selectors.handover_pairs(since=since, until=until, department_id=dept.pk)
    assert rows
    assert as_dict(rows) == brute_force(since, until, dept.pk)
    assert all(dept.pk in (r["from_department_id"], r["to_department_id"]) for r in rows)


def test_an_empty_period_has_no_pairs_and_no_zero_figures(generated):
    long_ago = timezone.now() - timedelta(days=2000)
    assert selectors.handover_pairs(since=long_ago, until=long_ago + timedelta(days=30)) == []


def test_share_of_good_ratings_on_a_small_known_case(db):
    a, b = DepartmentFactory(code="a"), DepartmentFactory(code="b")
    for score in (5, 4, 2):
        RatingFactory(from_department=a, to_department=b, score=score)
    now = timezone.now()
    (row,) = selectors.handover_pairs(since=now - timedelta(days=1), until=now + timedelta(1))
    assert row["ratings"] == 3
    assert row["average"] == 3.67
    assert row["share_good"] == 0.6667


def test_team_cases_match_a_recount(agent, colleague, django_assert_num_queries):
    rng = random.Random(3)
    today = timezone.localdate()
    for i in range(60):
        CaseFactory(
            author=rng.choice([agent, colleague]),
            case_date=today - timedelta(days=rng.randint(0, 30)),
            shared=rng.random() < 0.5,
            title=f"c{i}",
        )
    user_role(agent)  # the role is read once a request, by the page's shell already
    with django_assert_num_queries(3):
        team = selectors.case_team(agent, today=today)
    from servicedesk.feedback.models import DailyCase

    everything = list(DailyCase.objects.all())
    today_ids = {c.pk for c in everything if c.shared_at and c.case_date == today}
    recent = sorted(
        (c for c in everything
         if c.shared_at and today - timedelta(days=selectors.RECENT_DAYS) <= c.case_date < today),
        key=lambda c: (c.case_date, c.pk), reverse=True,
    )  # fmt: skip
    mine = sorted(
        (c for c in everything if c.author_id == agent.pk),
        key=lambda c: (c.case_date, c.pk),
        reverse=True,
    )
    assert {v["id"] for v in team["today"]} == today_ids
    assert [v["id"] for v in team["recent"]] == [c.pk for c in recent[: selectors.TEAM_LIMIT]]
    assert [v["id"] for v in team["mine"]] == [c.pk for c in mine[: selectors.MINE_LIMIT]]
