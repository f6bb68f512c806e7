"""The daily sums stay exact: every filter and grouping read from them (all days rolled, some, or
none) equals a recount over the responses; a change to a rolled day reopens it; rolling twice
changes nothing; a beat run rolls only closed days."""

import random
from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone

from servicedesk.core.periods import day_bounds
from servicedesk.core.roles import Role
from surveys import rollups, selectors
from surveys.models import RolledDay, SurveyAgentDay, SurveyDay, SurveyResponse
from tests.factories import CustomerFactory, DepartmentFactory, UserFactory
from tests.surveys.factories import answer, at, random_values, rating_template

SINCE, UNTIL = date(2025, 3, 1), date(2025, 4, 29)  # 60 days
STAGES = ["", "pre_sale", "in_sale", "after_sale"]


@pytest.fixture
def world(db):
    rng = random.Random(5)
    templates = [rating_template(), rating_template()]
    departments = [DepartmentFactory(), DepartmentFactory()]
    agents = [UserFactory(role=Role.AGENT), UserFactory(role=Role.AGENT)]
    staff = UserFactory(role=Role.AGENT)
    customer = CustomerFactory()
    for n in range(100):
        template = rng.choice(templates)
        answer(
            template,
            customer,
            at=at(SINCE - timedelta(days=5) + timedelta(days=rng.randrange(70)), rng.randrange(24)),
            values=random_values(template, rng),
            staff=staff if n % 4 == 0 else None,
            stage=rng.choice(STAGES),
            department=rng.choice([None, *departments]),
            agent=rng.choice([None, *agents]),
        )
    return {"templates": templates, "departments": departments, "agents": agents}


def _recount(**where):
    start, end = day_bounds(SINCE, UNTIL)
    rows = SurveyResponse.objects.filter(submitted_at__gte=start, submitted_at__lt=end)
    return selectors.scores(rows.filter(**where))


def _cases(world):
    t, d, a = world["templates"][0], world["departments"][0], world["agents"][1]
    yield {}, {}
    yield {"template_id": t.pk}, {"template_id": t.pk}
    yield {"department_id": d.pk}, {"department_id": d.pk}
    yield {"agent_id": a.pk}, {"agent_id": a.pk}
    yield {"stage": "in_sale", "template_id": t.pk}, {"stage": "in_sale", "template_id": t.pk}
    yield {"agent_id": a.pk, "department_id": d.pk}, {"agent_id": a.pk, "department_id": d.pk}


def _roll(share: str):
    days = rollups.days_to_roll(limit=10_000)
    assert days, "the closed days should be waiting"
    for day in days[:: {"all": 1, "half": 2}[share]] if share != "none" else []:
        rollups.roll_day(day)


@pytest.mark.parametrize("share", ["none", "all", "half"])
def test_every_filter_matches_a_recount(world, share):
    _roll(share)
    for filters, where in _cases(world):
        assert rollups.scores(SINCE, UNTIL, **filters) == _recount(**where), filters


@pytest.mark.parametrize("share", ["all", "half"])
@pytest.mark.parametrize("group", ["template", "stage", "department", "agent", "staff", "day"])
def test_every_grouping_matches_a_recount(world, share, group):
    _roll(share)
    grouped = rollups.scores_by(SINCE, UNTIL, group)
    start, end = day_bounds(SINCE, UNTIL)
    rows = list(SurveyResponse.objects.filter(submitted_at__gte=start, submitted_at__lt=end))

    def key(r):
        return {
            "template": r.template_id,
            "stage": r.stage,
            "department": r.department_id,
            "agent": r.agent_id,
            "staff": r.entered_by_id is not None,
            "day": timezone.localtime(r.submitted_at).date(),
        }[group]

    assert set(grouped) == {key(r) for r in rows}
    for value, scores in grouped.items():
        ids = [r.pk for r in rows if key(r) == value]
        assert scores == selectors.scores(SurveyResponse.objects.filter(pk__in=ids)), value


def test_the_chain_matches_the_selectors(world):
    _roll("half")
    start, end = day_bounds(SINCE, UNTIL)
    rows = SurveyResponse.objects.filter(submitted_at__gte=start, submitted_at__lt=end)
    assert rollups.satisfaction_chain(SINCE, UNTIL) == selectors.satisfaction_chain(rows)


def test_the_per_agent_sums_are_read_only_for_an_agent(world, django_assert_max_num_queries):
    _roll("all")
    assert SurveyAgentDay.objects.count() > SurveyDay.objects.count()
    with django_assert_max_num_queries(2) as read:
        rollups.scores(SINCE, UNTIL)
    assert "surveys_surveyagentday" not in read.captured_queries[-1]["sql"]
    with django_assert_max_num_queries(2) as read:
        rollups.scores(SINCE, UNTIL, agent_id=world["agents"][0].pk)
    assert "surveys_surveyagentday" in read.captured_queries[-1]["sql"]


@pytest.mark.django_db(transaction=True)
def test_a_deleted_response_reopens_its_day(world):
    """A response of a rolled day deleted (by an administrator, or a cascade): the day is
    counted from the responses again (after commit) until rolled anew, so the figures never
    count what is gone."""
    _roll("all")
    response = SurveyResponse.objects.filter(submitted_at__gte=at(SINCE, 1)).first()
    day = timezone.localtime(response.submitted_at).date()
    assert RolledDay.objects.filter(day=day).exists()
    response.answers.all().delete()
    response.delete()
    assert not RolledDay.objects.filter(day=day).exists()
    assert rollups.scores(SINCE, UNTIL) == _recount()
    assert rollups.roll_pending() == 1  # the beat sums it again
    assert rollups.scores(SINCE, UNTIL) == _recount()


@pytest.mark.django_db(transaction=True)
def test_a_backdated_answer_reopens_its_day(world):
    _roll("all")
    day = SINCE + timedelta(days=10)
    answer(world["templates"][1], CustomerFactory(), at=at(day), values={})
    assert not RolledDay.objects.filter(day=day).exists()
    assert rollups.scores(SINCE, UNTIL) == _recount()


def test_rolling_a_day_twice_changes_nothing(world):
    day = rollups.days_to_roll(limit=10_000)[20]
    rollups.roll_day(day)
    first = sorted(SurveyAgentDay.objects.filter(day=day).values_list("agent_key", "answers"))
    rollups.roll_day(day)
    assert sorted(SurveyAgentDay.objects.filter(day=day).values_list("agent_key", "answers")) == (
        first
    )
    assert RolledDay.objects.filter(day=day).count() == 1


def test_only_closed_days_are_rolled(world):
    """Today, and yesterday until an hour after midnight, stay counted from the responses."""
    today = UNTIL + timedelta(days=20)
    just_after_midnight = at(today, 0) + timedelta(minutes=30)
    assert rollups.days_to_roll(now=just_after_midnight, limit=1) == [today - timedelta(days=2)]
    assert rollups.days_to_roll(now=at(today, 2), limit=1) == [today - timedelta(days=1)]
    with time_machine.travel(at(today, 2), tick=False):
        assert rollups.roll_pending(limit=3) == 3
        assert rollups.days_to_roll(limit=1) == [today - timedelta(days=4)]


def test_a_user_in_another_time_zone_is_counted_from_the_responses(world):
    _roll("all")
    with timezone.override("America/New_York"):
        parts = rollups.split(SINCE, UNTIL)
        assert parts.rolled == [] and parts.live == [(SINCE, UNTIL)]
        start, end = day_bounds(SINCE, UNTIL)
        expected = selectors.scores(
            SurveyResponse.objects.filter(submitted_at__gte=start, submitted_at__lt=end)
        )
        assert rollups.scores(SINCE, UNTIL) == expected
