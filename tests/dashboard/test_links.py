"""Drill-down: every tile and bar that opens the complaint or the survey answers list opens exactly
the rows its figure counts, for the period and each narrowing the dashboard offers."""

from datetime import timedelta
from math import prod

import pytest
from django.test import Client
from django.urls import reverse

from servicedesk.core.selectors import rate
from servicedesk.dashboard import kpis, links
from surveys import selectors as survey_selectors
from surveys.models import SurveyResponse
from surveys.results import Period
from tickets.complaints.models import Complaint, Step
from tickets.models import Stage

from .conftest import TODAY

PERIOD = Period(TODAY - timedelta(days=89), TODAY)

# The dashboard's narrowings, by name: each test runs over all of them.
NARROWINGS = {
    "none": lambda g: {},
    "department": lambda g: {"department_id": g.departments[0].pk},
    "agent": lambda g: {"agent_id": g.agents[1].user.pk},
    "stage": lambda g: {"stage": Stage.AFTER_SALE},
    "category and tier": lambda g: {"category_id": g.categories[2].pk, "tier": "regular"},
}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def listed(client, href: str) -> tuple[list[int], dict]:
    """Every row's id of the list at `href`, through all its pages, and the first page's
    context."""
    ids, first, number = [], None, 1
    while True:
        response = client.get(f"{href}{'&' if '?' in href else '?'}page={number}")
        assert response.status_code == 200, (href, response.content[:2000])
        page = response.context["page"]
        first = first or response.context
        ids.extend(row.pk for row in page.object_list)
        if not page.has_next:
            return ids, first
        number += 1


def _filters(g, narrowing: str) -> kpis.Filters:
    return kpis.Filters(period=PERIOD, **NARROWINGS[narrowing](g))


def _query(f: kpis.Filters) -> dict:
    return f.as_query()


def _csat(ids: list[int]) -> float | None:
    scores = survey_selectors.scores(SurveyResponse.objects.filter(pk__in=ids))
    return None if scores.csat is None else round(scores.csat, 4)


@pytest.mark.parametrize("narrowing", NARROWINGS)
def test_complaint_tiles_open_the_complaints_they_count(generated, frozen, narrowing):
    g = generated
    f = _filters(g, narrowing)
    client = _client(g.manager)
    page = client.get(reverse("dashboard:index"), _query(f))
    assert page.status_code == 200
    tiles = {
        t["figure"].key: t for group in page.context["groups"] for t in group["tiles"]
    }  # fmt: skip
    value = {key: t["figure"].value for key, t in tiles.items()}

    complaints, _ctx = listed(client, tiles["complaints"]["href"])
    assert len(complaints) == value["complaints"]
    assert value["complaints"] > 0 or narrowing != "none"
    for key in ("complaint_rate", "complaints_per_1000", "estimated_silent_dissatisfied"):
        assert tiles[key]["href"] == tiles["complaints"]["href"], key
    assert value["estimated_silent_dissatisfied"] == 26 * len(complaints)

    # Recovery: the recovered listed ÷ the closed listed.
    recovered, _ctx = listed(client, tiles["recovery_rate"]["href"])
    closed, _ctx = listed(client, links.complaints(f, step=Step.CLOSED))
    assert set(recovered) <= set(closed) <= set(complaints)
    assert rate(len(recovered), len(closed)) == value["recovery_rate"]

    # The action figures count actions: their list holds the complaints with one and says how
    # many actions they hold.
    overdue, ctx = listed(client, tiles["overdue_actions"]["href"])
    assert ctx["counted"].get("overdue", 0) == value["overdue_actions"]
    breached, ctx = listed(client, tiles["surprise_breaches"]["href"])
    assert ctx["counted"].get("breached", 0) == value["surprise_breaches"]
    assert set(overdue) <= set(breached) <= set(complaints)
    assert bool(breached) == bool(value["surprise_breaches"])


@pytest.mark.parametrize("narrowing", NARROWINGS)
def test_satisfaction_tiles_open_the_answers_they_count(generated, frozen, narrowing):
    g = generated
    f = _filters(g, narrowing)
    client = _client(g.manager)
    page = client.get(reverse("dashboard:index"), _query(f))
    tiles = {t["figure"].key: t for group in page.context["groups"] for t in group["tiles"]}
    answers, _ctx = listed(client, tiles["csat"]["href"])
    assert _csat(answers) == tiles["csat"]["figure"].value
    responses = SurveyResponse.objects.filter(pk__in=answers)
    assert survey_selectors.scores(responses).nps == tiles["nps"]["figure"].value
    chain = survey_selectors.satisfaction_chain(responses)
    total = tiles["chain_total"]["figure"].value
    assert (None if chain.total is None else round(chain.total, 4)) == total
    if narrowing == "none":
        assert answers


@pytest.mark.parametrize("narrowing", NARROWINGS)
def test_step_bars_open_the_complaints_on_that_step(generated, frozen, narrowing):
    g = generated
    f = _filters(g, narrowing)
    client = _client(g.manager)
    report = kpis.report(f, g.manager)
    for step in report.complaints_by_step:
        ids, _ctx = listed(client, links.complaints(f, step=step["step"]))
        assert len(ids) == step["count"], step
        assert set(Complaint.objects.filter(pk__in=ids).values_list("step", flat=True)) <= {
            step["step"]
        }


@pytest.mark.parametrize("narrowing", NARROWINGS)
def test_fishbone_bones_open_the_complaints_they_count(generated, frozen, narrowing):
    g = generated
    f = _filters(g, narrowing)
    client = _client(g.manager)
    page = client.get(reverse("dashboard:index"), _query(f))
    rows = page.context["fishbone_rows"]
    assert rows
    for row in rows:
        ids, _ctx = listed(client, row["href"])
        assert len(ids) == row["count"], row
    if narrowing == "none":
        assert sum(r["count"] for r in rows) > 0


@pytest.mark.parametrize("narrowing", NARROWINGS)
def test_funnel_stages_open_their_answers(generated, frozen, narrowing):
    g = generated
    f = _filters(g, narrowing)
    client = _client(g.manager)
    report = kpis.report(f, g.manager)
    kept = []
    # A funnel bar is drawn (and linked) for each stage with a CSAT.
    for stage in [s for s in report.by_stage if s["csat"] is not None]:
        ids, _ctx = listed(client, links.answers(f, stage=stage["stage"]))
        assert _csat(ids) == round(stage["csat"], 4)
        kept.append(stage["csat"])
        assert stage["kept"] == round(prod(kept), 4)
    if narrowing == "none":
        assert len(kept) == len(Stage.values)


def test_agent_dashboard_tiles_open_the_agents_own_rows(generated, frozen):
    g = generated
    agent = g.agents[0].user
    client = _client(agent)
    page = client.get(reverse("dashboard:me"), {"since": PERIOD.since, "until": PERIOD.until})
    assert page.status_code == 200
    tiles = {t["figure"].key: t for group in page.context["groups"] for t in group["tiles"]}
    complaints, _ctx = listed(client, tiles["complaints"]["href"])
    assert len(complaints) == tiles["complaints"]["figure"].value
    assert not Complaint.objects.filter(pk__in=complaints).exclude(record__assignee=agent).exists()
    answers, _ctx = listed(client, tiles["csat"]["href"])
    assert _csat(answers) == tiles["csat"]["figure"].value
