"""The results pages: every figure against a brute-force recount in Python over the rows, a fixed
number of queries whatever the number of answers, "—" for an empty period, an escaped CSV and
escaped SVG."""

import csv
import io
import random
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from servicedesk.core.roles import Role
from surveys import results, rollups, selectors
from surveys.models import (
    Answer,
    Channel,
    InvitationStatus,
    Kind,
    SurveyInvitation,
    SurveyResponse,
)
from tests.factories import CustomerFactory, DepartmentFactory, UserFactory
from tests.surveys.factories import (
    CHOICES,
    QuestionFactory,
    TemplateFactory,
    answer,
    at,
    invite,
    random_values,
    rating_template,
)

TODAY = date(2025, 6, 30)
PERIOD = results.Period(date(2025, 4, 2), TODAY)  # 90 days


def _responses_in(period, template_id):
    start, end = period.bounds()
    return SurveyResponse.objects.filter(
        template_id=template_id, submitted_at__gte=start, submitted_at__lt=end
    )


# Every figure is checked with no day summed yet (counted from the responses and invitations),
# every day summed (read from surveys.rollups' daily sums) and every other day summed (both, in
# one read).
@pytest.fixture(params=["counted", "rolled", "half-rolled"])
def data(request, template):
    """Answers over the period, the one before and after, from customers and staff, at two
    stages and two departments; and invitations in every state."""
    rng = random.Random(11)
    customer = CustomerFactory()
    staff = UserFactory(role=Role.AGENT)
    departments = [DepartmentFactory(), DepartmentFactory()]
    other = rating_template()
    first = PERIOD.previous().since - timedelta(days=5)
    for n in range(140):
        day = first + timedelta(days=rng.randrange(200))
        chosen = rng.choice([template, template, other])
        answer(
            chosen,
            customer,
            at=at(day, rng.randrange(24)),
            values=random_values(chosen, rng) if n % 3 else {},
            staff=staff if n % 5 == 0 else None,
            stage=rng.choice(["", "pre_sale", "in_sale", "after_sale"]),
            department=rng.choice([None, *departments]),
        )
    for n in range(60):
        day = first + timedelta(days=rng.randrange(200))
        invite(
            template,
            customer,
            at=at(day),
            status=rng.choice([InvitationStatus.PENDING, InvitationStatus.OPENED,
                               InvitationStatus.CANCELLED]),
            channel=rng.choice([Channel.EMAIL, Channel.LINK]),
            sent=n % 2 == 0,
        )  # fmt: skip
    if request.param != "counted":
        days = rollups.days_to_roll(limit=10_000)
        invitation_days = rollups.invitation_days_to_roll(limit=10_000)
        assert len(days) > 200 and len(invitation_days) > 200
        step = 1 if request.param == "rolled" else 2
        for day in days[::step]:
            rollups.roll_day(day)
        # The invitations' other half: some days summed for one and counted for the other.
        for day in invitation_days[step - 1 :: step]:
            rollups.roll_invitation_day(day)
    return template


# --- brute force ----------------------------------------------------------------------------------


def _in(at, period):
    start, end = period.bounds()
    return start <= at < end


def _responses(template, period, **where):
    return [
        r
        for r in SurveyResponse.objects.all()
        if r.template_id == template.pk and _in(r.submitted_at, period)
        and all(getattr(r, k) == v for k, v in where.items())
    ]  # fmt: skip


def _csat(responses):
    rated = [r.rating for r in responses if r.rating is not None]
    return sum(1 for x in rated if x >= 4) / len(rated) if rated else None


def _nps(responses):
    marks = [r.nps for r in responses if r.nps is not None]
    if not marks:
        return None
    return round(100 * (sum(x >= 9 for x in marks) - sum(x <= 6 for x in marks)) / len(marks), 1)


def _rate(template, period):
    invitations = [
        i
        for i in SurveyInvitation.objects.all()
        if i.template_id == template.pk and _in(i.created_at, period)
        and i.status != InvitationStatus.CANCELLED
    ]  # fmt: skip
    delivered = [i for i in invitations if i.sent_at or i.channel != Channel.EMAIL]
    answered = [i for i in delivered if i.status == InvitationStatus.ANSWERED]
    return len(answered) / len(delivered) if delivered else None


# --- figures --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_headline_matches_a_recount(data):
    h = results.headline(data.pk, PERIOD)
    for scores, period in ((h.scores, PERIOD), (h.previous, PERIOD.previous())):
        rows = _responses(data, period)
        assert scores.answers == len(rows) > 0
        assert scores.csat == pytest.approx(_csat(rows))
        assert scores.nps == pytest.approx(_nps(rows))
    assert h.rate == pytest.approx(_rate(data, PERIOD))
    assert h.previous_rate == pytest.approx(_rate(data, PERIOD.previous()))
    own = [r for r in _responses(data, PERIOD) if r.entered_by_id is None]
    staff = [r for r in _responses(data, PERIOD) if r.entered_by_id is not None]
    assert (h.own.answers, h.staff.answers) == (len(own), len(staff))
    assert staff, "the data should hold staff-entered answers"
    assert h.own.csat == pytest.approx(_csat(own))
    assert h.staff.nps == pytest.approx(_nps(staff))


@pytest.mark.django_db
def test_overview_matches_the_selectors_template_by_template(data):
    other = SurveyResponse.objects.exclude(template=data).values("template_id").first()
    # The migration's default templates are listed too, with no answers.
    lines = [
        t for t in results.overview(PERIOD) if t.template.pk in (data.pk, other["template_id"])
    ]
    assert len(lines) == 2
    rest = [t for t in results.overview(PERIOD) if t not in lines]
    assert all(t.scores == results.EMPTY_SCORES and t.rate is None for t in rest)
    for line in lines:
        responses = _responses_in(PERIOD, line.template.pk)
        assert line.scores == selectors.scores(responses)
        assert line.previous == selectors.scores(_responses_in(PERIOD.previous(), line.template.pk))
        assert line.rate == selectors.response_rate(
            results.invitations_in(PERIOD, line.template.pk)
        )
        assert line.scores.csat == pytest.approx(_csat(_responses(line.template, PERIOD)))


@pytest.mark.django_db
def test_distribution_and_trend_match_a_recount(data):
    rows = _responses(data, PERIOD)
    d = results.headline(data.pk, PERIOD).distribution
    assert d.rating == {v: sum(r.rating == v for r in rows) for v in range(1, 6)}
    assert d.nps == {v: sum(r.nps == v for r in rows) for v in range(11)}
    weeks = results.trend(data.pk, PERIOD)
    assert weeks[0].start <= PERIOD.since < weeks[0].start + timedelta(days=7)
    assert weeks[-1].start <= PERIOD.until < weeks[-1].start + timedelta(days=7)
    assert sum(w.answers for w in weeks) == len(rows)
    for w in weeks:
        inside = [
            r for r in rows
            if w.start <= timezone.localtime(r.submitted_at).date() < w.start + timedelta(days=7)
        ]  # fmt: skip
        assert w.answers == len(inside)
        assert w.csat == pytest.approx(_csat(inside))


@pytest.mark.django_db
def test_question_figures_match_a_recount(data):
    responses = {r.pk: r for r in _responses(data, PERIOD)}
    answers = [a for a in Answer.objects.all() if a.response_id in responses]
    figures = results.question_results(data.pk, PERIOD)
    assert [f.question.position for f in figures] == [1, 2, 3, 4]
    for f in figures:
        mine = [a for a in answers if a.question_id == f.question.pk]
        assert f.answers == len(mine)
        if f.is_number:
            assert f.average == pytest.approx(sum(a.number for a in mine) / len(mine))
        elif f.question.kind == Kind.CHOICE:
            assert [o.value for o in f.options] == list(CHOICES)
            for o in f.options:
                assert o.count == sum(a.choice == o.value for a in mine)
                assert o.share == pytest.approx(o.count / len(mine))
        else:
            newest = sorted(
                mine, key=lambda a: (responses[a.response_id].submitted_at, a.pk), reverse=True
            )[: results.LATEST_TEXTS]
            assert [t["text"] for t in f.latest] == [a.text for a in newest]
    aims = results.by_aim(figures)
    assert [a.aim for a in aims] == ["satisfaction", "wants", "appreciates", "complaints",
                                     "suggestions"]  # fmt: skip
    assert [len(a.questions) for a in aims] == [3, 0, 0, 0, 1]


@pytest.mark.django_db
def test_chain_is_the_selectors_with_the_weakest_marked(data):
    responses = _responses_in(PERIOD, data.pk)
    chain = results.chain(data.pk, PERIOD)
    expected = selectors.satisfaction_chain(responses)
    assert chain.total == pytest.approx(expected.total)
    assert [x.key for x in chain.stages] == ["pre_sale", "in_sale", "after_sale"]
    assert (chain.weakest.field, chain.weakest.key) == expected.weakest
    assert sum(x.weakest for x in chain.links) == 1
    rows = _responses(data, PERIOD)
    for link in chain.links:
        key = "department_id" if link.field == "department" else "stage"
        assert link.csat == pytest.approx(_csat([r for r in rows if getattr(r, key) == link.key]))


@pytest.mark.django_db
def test_needs_indexes_are_apart_and_a_share_of_five():
    template = TemplateFactory(key="quality")
    questions = {
        s: QuestionFactory(template=template, position=s, standard=s, is_main=s == 1)
        for s in range(1, 7)
    }
    customer = CustomerFactory()
    rng = random.Random(6)
    for _n in range(30):
        values = {q.pk: rng.randint(1, 5) for q in questions.values()}
        answer(template, customer, at=at(TODAY - timedelta(days=3)), values=values)
    figures = results.question_results(template.pk, PERIOD)
    needs = results.needs_indexes(figures)
    marks = list(Answer.objects.values_list("question__standard", "number"))
    tangible = [n for s, n in marks if s in (1, 5)]
    emotional = [n for s, n in marks if s in (2, 3, 4, 6)]
    assert needs["tangible"].index == pytest.approx(sum(tangible) / len(tangible) / 5)
    assert needs["emotional"].index == pytest.approx(sum(emotional) / len(emotional) / 5)
    assert needs["tangible"].answers == 60
    assert results.needs_indexes(results.question_results(rating_template().pk, PERIOD)) is None


def test_previous_period_is_as_long_and_just_before():
    before = PERIOD.previous()
    assert (before.days, before.until) == (90, PERIOD.since - timedelta(days=1))


# --- pages ----------------------------------------------------------------------------------------


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def _query():
    return {"from": PERIOD.since.isoformat(), "to": PERIOD.until.isoformat()}


def _many(template, n, rng):
    customer = CustomerFactory()
    departments = [DepartmentFactory() for _ in range(3)]
    for _i in range(n):
        answer(
            template, customer, at=at(TODAY - timedelta(days=rng.randrange(85))),
            values=random_values(template, rng), stage=rng.choice(["pre_sale", "after_sale"]),
            department=rng.choice(departments),
        )  # fmt: skip


@pytest.mark.django_db
def test_results_page_runs_a_fixed_number_of_queries(manager_client, template,
                                                     django_assert_max_num_queries):  # fmt: skip
    rng = random.Random(3)
    _many(template, 5, rng)
    url = reverse("surveys:results", args=[template.pk])
    with django_assert_max_num_queries(18) as few:
        assert manager_client.get(url, _query()).status_code == 200
    _many(template, 150, rng)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = manager_client.get(url, _query())
    assert response.status_code == 200
    assert b"<svg" in response.content


@pytest.mark.django_db
def test_overview_runs_a_fixed_number_of_queries(manager_client, django_assert_max_num_queries):
    rng = random.Random(4)
    for _n in range(2):
        _many(rating_template(), 10, rng)
    with django_assert_max_num_queries(12) as few:
        response = manager_client.get(reverse("surveys:results_overview"), _query())
    links = response.content.count(b'href="/surveys/results/')
    for _n in range(5):
        _many(rating_template(), 20, rng)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = manager_client.get(reverse("surveys:results_overview"), _query())
    assert response.content.count(b'href="/surveys/results/') == links + 5


@pytest.mark.django_db
def test_empty_period_shows_a_dash_never_zero(manager_client, template):
    response = manager_client.get(reverse("surveys:results", args=[template.pk]))
    text = response.content.decode()
    assert response.status_code == 200
    assert '<strong class="figure-now">—</strong>' in text
    assert "0%" not in text
    assert "No answers in this period" in text
    overview = manager_client.get(reverse("surveys:results_overview")).content.decode()
    assert "—" in overview and "0%" not in overview


@pytest.mark.django_db
def test_agents_get_403(client, agent, template):
    client.force_login(agent)
    assert client.get(reverse("surveys:results", args=[template.pk])).status_code == 403
    assert client.get(reverse("surveys:results_overview")).status_code == 403
    assert client.get(reverse("surveys:results_csv", args=[template.pk])).status_code == 403


@pytest.mark.django_db
def test_a_bad_period_says_what_to_correct(manager_client, template):
    url = reverse("surveys:results", args=[template.pk])
    response = manager_client.get(url, {"from": "2025-06-30", "to": "2025-01-01"})
    assert response.status_code == 400
    assert "The end of the period is before its start." in response.content.decode()
    response = manager_client.get(url, {"from": "2023-01-01", "to": "2025-01-01"})
    assert response.status_code == 400
    assert manager_client.get(url, {"from": "nonsense"}).status_code == 400
    assert manager_client.get(reverse("surveys:results", args=[999999])).status_code == 404


@pytest.mark.django_db
def test_csv_cells_are_escaped(manager_client):
    template = rating_template()
    choice = template.questions.get(kind=Kind.CHOICE)
    choice.text_en = '=HYPERLINK("http://evil.example","x")'
    choice.choices = [{"value": "a", "en": "+1 better", "zh": ""}, {"value": "b", "en": "@b"}]
    choice.save()
    answer(template, CustomerFactory(), at=at(TODAY), values={choice.pk: "a"})
    response = manager_client.get(reverse("surveys:results_csv", args=[template.pk]), _query())
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == results.CSV_COLUMNS
    mine = [r for r in rows[1:] if r[0] == str(choice.position)]
    assert [r[4] for r in mine] == ["'" + choice.text_en] * 2
    assert [(r[5], r[6], r[8]) for r in mine] == [
        ("'+1 better", "1", "1.0000"),
        ("'@b", "0", "0.0000"),
    ]


@pytest.mark.django_db
def test_svg_escapes_template_text(manager_client):
    template = rating_template()
    choice = template.questions.get(kind=Kind.CHOICE)
    choice.text_en = "<script>alert(1)</script> & co"
    choice.choices = [{"value": "a", "en": '"><img src=x onerror=alert(2)>'}]
    choice.save()
    answer(template, CustomerFactory(), at=at(timezone.localdate()), values={choice.pk: "a"})
    text = manager_client.get(reverse("surveys:results", args=[template.pk])).content.decode()
    assert "<script>alert(1)" not in text
    assert "<img src=x" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co</title>" in text
    assert "&quot;&gt;&lt;img src=x" in text


@pytest.mark.django_db
def test_page_shows_staff_answers_apart_and_the_weakest_link(manager_client, template):
    staff = UserFactory(role=Role.AGENT)
    customer = CustomerFactory()
    main = template.questions.get(is_main=True)
    day = timezone.localdate()
    for rating, stage, who in (
        (5, "pre_sale", None),
        (2, "after_sale", None),
        (5, "after_sale", staff),
    ):
        answer(template, customer, at=at(day), values={main.pk: rating}, stage=stage, staff=who)
    text = manager_client.get(reverse("surveys:results", args=[template.pk])).content.decode()
    assert "Entered by staff on a call" in text
    assert "Weakest link: <strong>After-sale</strong> (50%)" in text
    assert 'class="bar weakest"' in text


@pytest.mark.django_db
def test_pages_render_in_chinese(manager_client, template, settings):
    main = template.questions.get(is_main=True)
    answer(template, CustomerFactory(), at=at(timezone.localdate()), values={main.pk: 4})
    manager_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    text = manager_client.get(reverse("surveys:results", args=[template.pk])).content.decode()
    assert 'lang="zh-hans"' in text
    assert template.name_zh in text and main.text_zh in text
    assert manager_client.get(reverse("surveys:results_overview")).status_code == 200
