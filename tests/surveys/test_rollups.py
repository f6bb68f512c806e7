"""The daily sums stay exact: every filter and grouping read from them (all days rolled, some, or
none) equals a recount over the responses, and the response rate one over the invitations; a
change to a rolled day reopens it; rolling twice changes nothing; a beat run rolls only closed
days."""

import random
from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone

from servicedesk.core import exact_cache
from servicedesk.core.periods import day_bounds
from servicedesk.core.roles import Role
from surveys import rollups, selectors
from surveys.models import (
    Channel,
    InvitationDay,
    InvitationRolledDay,
    InvitationStatus,
    RolledDay,
    SurveyAgentDay,
    SurveyDay,
    SurveyInvitation,
    SurveyResponse,
)
from tests.factories import CustomerFactory, DepartmentFactory, UserFactory
from tests.surveys.factories import answer, at, invite, random_values, rating_template

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
    # Invitations not answered (waiting, opened, cancelled), e-mailed (sent or not) or handed
    # over as a link.
    for _n in range(120):
        invite(
            rng.choice(templates),
            customer,
            at=at(SINCE - timedelta(days=5) + timedelta(days=rng.randrange(70)), rng.randrange(24)),
            status=rng.choice([InvitationStatus.PENDING, InvitationStatus.OPENED,
                               InvitationStatus.CANCELLED]),
            channel=rng.choice([Channel.EMAIL, Channel.EMAIL, Channel.LINK]),
            sent=rng.random() < 0.6,
            stage=rng.choice(STAGES),
            department=rng.choice([None, *departments]),
        )  # fmt: skip
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
    yield {"stage": ""}, {"stage": ""}  # no stage named: a filter too, not "any"
    yield {"agent_id": a.pk, "department_id": d.pk}, {"agent_id": a.pk, "department_id": d.pk}


def _roll(share: str):
    """Sum all, every other or none of the closed days, of responses and of invitations (the
    invitations' other half, so that some days are summed for one and not the other)."""
    days = rollups.days_to_roll(limit=10_000)
    invitation_days = rollups.invitation_days_to_roll(limit=10_000)
    assert days and invitation_days, "the closed days should be waiting"
    if share == "none":
        return
    step = {"all": 1, "half": 2}[share]
    for day in days[::step]:
        rollups.roll_day(day)
    for day in invitation_days[step - 1 :: step]:
        rollups.roll_invitation_day(day)


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
def test_cached_sums_are_read_again_only_while_their_days_are_unchanged(
    world, settings, django_assert_num_queries
):
    """The rolled days' sums are kept in the cache under each day's roll stamp
    (rollups._rolled_rows): a second read asks the database only which days are rolled; a day
    reopened, or summed again, is never read from the old entry."""
    if not exact_cache.in_use():  # no Redis: an in-process cache, apart from the database
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    _roll("all")
    cases = list(_cases(world))
    for filters, where in cases:
        assert rollups.scores(SINCE, UNTIL, **filters) == _recount(**where), filters
    with django_assert_num_queries(1):  # which days are rolled; the sums from the cache
        rollups.scores(SINCE, UNTIL)
    response = SurveyResponse.objects.filter(submitted_at__gte=at(SINCE, 1)).first()
    response.answers.all().delete()
    response.delete()
    for filters, where in cases:  # its day reopened: counted from the responses
        assert rollups.scores(SINCE, UNTIL, **filters) == _recount(**where), filters
    assert rollups.roll_pending() == 1
    for filters, where in cases:  # summed again under a new stamp
        assert rollups.scores(SINCE, UNTIL, **filters) == _recount(**where), filters


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
        assert rollups.roll_pending(limit=3) == 6  # three days of responses, three of invitations
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


# --- the invitations' sums: the response rate ----------------------------------------------------


def _invitations(**where):
    start, end = day_bounds(SINCE, UNTIL)
    return SurveyInvitation.objects.filter(created_at__gte=start, created_at__lt=end, **where)


@pytest.mark.parametrize("share", ["none", "all", "half"])
def test_every_rate_filter_matches_a_recount(world, share):
    _roll(share)
    t, d = world["templates"][0], world["departments"][0]
    for filters in (
        {},
        {"template_id": t.pk},
        {"department_id": d.pk},
        {"stage": "in_sale", "template_id": t.pk},
        {"stage": "", "department_id": None},
    ):
        where = {k: v for k, v in filters.items() if v is not None}
        expected = selectors.response_rate(_invitations(**where))
        assert expected is not None
        assert rollups.response_rate(SINCE, UNTIL, **filters) == expected, filters


@pytest.mark.parametrize("share", ["all", "half"])
@pytest.mark.parametrize("group", ["template", "stage", "department"])
def test_every_rate_grouping_matches_a_recount(world, share, group):
    _roll(share)
    column = {"template": "template_id", "stage": "stage", "department": "department_id"}[group]
    rows = _invitations().exclude(status=InvitationStatus.CANCELLED)
    values = set(rows.values_list(column, flat=True))
    assert rollups.response_rates_by(SINCE, UNTIL, group) == {
        value: selectors.response_rate(_invitations(**{column: value})) for value in values
    }


def test_the_invitations_sums_leave_cancelled_ones_out(world):
    _roll("all")
    day_totals = InvitationDay.objects.filter(day__range=(SINCE, UNTIL)).values_list(
        "invited", flat=True
    )
    assert sum(day_totals) == _invitations().exclude(status=InvitationStatus.CANCELLED).count()


@pytest.mark.django_db(transaction=True)
def test_an_answer_after_the_day_reopens_only_the_invitations_day(world):
    """An invitation of a rolled day answered (or sent) later changes its day's rate: that day is
    counted from the invitations again, while its responses stay summed."""
    _roll("all")
    invitation = _invitations(status=InvitationStatus.PENDING).order_by("created_at").first()
    day = timezone.localtime(invitation.created_at).date()
    assert InvitationRolledDay.objects.filter(day=day).exists()
    responses_rolled = RolledDay.objects.filter(day=day).exists()
    before = rollups.response_rate(SINCE, UNTIL)
    invitation.status = InvitationStatus.ANSWERED
    invitation.save(update_fields=["status"])
    assert not InvitationRolledDay.objects.filter(day=day).exists()
    assert RolledDay.objects.filter(day=day).exists() == responses_rolled
    after = rollups.response_rate(SINCE, UNTIL)
    assert after == selectors.response_rate(_invitations()) != before
    assert rollups.roll_pending() == 1  # the beat sums the invitations' day again
    assert rollups.response_rate(SINCE, UNTIL) == after


@pytest.mark.django_db(transaction=True)
def test_a_late_sending_and_a_deletion_reopen_the_invitations_day(world):
    _roll("all")
    unsent = _invitations(sent_at__isnull=True, channel=Channel.EMAIL).exclude(
        status=InvitationStatus.CANCELLED
    )
    invitation = unsent.first()
    invitation.sent_at = timezone.now()
    invitation.save(update_fields=["sent_at"])
    assert rollups.response_rate(SINCE, UNTIL) == selectors.response_rate(_invitations())
    rollups.roll_pending()
    unsent.exclude(pk=invitation.pk).first().delete()
    assert rollups.response_rate(SINCE, UNTIL) == selectors.response_rate(_invitations())


def test_rolling_an_invitations_day_twice_changes_nothing(world):
    day = rollups.invitation_days_to_roll(limit=10_000)[20]
    first = rollups.roll_invitation_day(day)
    rows = sorted(InvitationDay.objects.filter(day=day).values_list("template_id", "invited"))
    assert rollups.roll_invitation_day(day) == first
    assert sorted(InvitationDay.objects.filter(day=day).values_list("template_id", "invited")) == (
        rows
    )
    assert InvitationRolledDay.objects.filter(day=day).count() == 1


def test_one_read_asks_for_both_markers_once(world, django_assert_max_num_queries):
    _roll("all")
    with django_assert_max_num_queries(3) as read, rollups.one_read():
        rollups.scores(SINCE, UNTIL)
        rollups.response_rate(SINCE, UNTIL)
    assert "surveys_surveyinvitation" not in " ".join(q["sql"] for q in read.captured_queries)


@pytest.mark.parametrize("share", ["none", "half"])
def test_one_read_counts_the_live_days_once_for_every_grouping(
    world, share, django_assert_max_num_queries
):
    """Inside one_read the live days' responses are read once (per day, stage, department and
    staff) and added up for each grouping: the same figures as reading them apart."""
    _roll(share)
    t = world["templates"][0]
    groups = [None, "staff", "day", "stage", "department"]
    apart = [rollups.histograms(SINCE, UNTIL, g, template_id=t.pk) for g in groups]
    with django_assert_max_num_queries(2 + len(groups)) as read, rollups.one_read():
        together = [rollups.histograms(SINCE, UNTIL, g, template_id=t.pk) for g in groups]
    live_reads = [q for q in read.captured_queries if "surveys_surveyresponse" in q["sql"]]
    assert together == apart
    assert len(live_reads) == 1
