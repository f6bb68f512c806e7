"""Every KPI against a brute-force recount (tests/dashboard/recount.py) on generated data, over
several periods and filters, including an empty period and zero divisors."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from servicedesk.dashboard import kpis
from surveys.results import Period

from .conftest import TODAY
from .recount import recount

LAST_90 = Period(TODAY - timedelta(days=89), TODAY)


def _values(report: kpis.Report) -> dict:
    return {f.key: f.value for f in report.figures}


def filters_of(g, narrowing: dict, period: Period) -> kpis.Filters:
    """Filters from a test's narrowing: indexes into the generated departments, agents and
    categories, a stage and a tier as they are."""
    department = narrowing.get("department")
    return kpis.Filters(
        period=period,
        department_id=g.departments[department].pk if department is not None else None,
        agent_id=g.agents[narrowing["agent"]].user.pk if "agent" in narrowing else None,
        stage=narrowing.get("stage", ""),
        category_id=g.categories[narrowing["category"]].pk if "category" in narrowing else None,
        tier=narrowing.get("tier", ""),
    )  # fmt: skip


def _check(report: kpis.Report, expected: dict) -> None:
    values = _values(report)
    for key, value in values.items():
        assert value == expected[key], (key, value, expected[key])
    assert [a["count"] for a in report.ageing] == expected["_ageing"]
    assert {s["step"]: s["count"] for s in report.complaints_by_step} == expected["_steps"]
    averages = {s["step"]: s["average_hours"] for s in report.complaints_by_step}
    for step, hours in expected["_average_hours"].items():
        assert averages[step] == hours, step


@pytest.mark.parametrize(
    "narrowing",
    [
        {},
        {"department": 0},
        {"department": 1},
        {"agent": 1},
        {"stage": "after_sale"},
        {"category": 2},
        {"tier": "key"},
        {"department": 1, "tier": "regular", "stage": "in_sale"},
    ],
)
def test_every_kpi_matches_a_brute_force_recount(generated, frozen, narrowing):
    # given generated desk data and a filter
    g = generated
    f = filters_of(g, narrowing, LAST_90)
    # when the report is computed for an administrator
    report = kpis.report(f, g.administrator)
    # then each figure is the recount's, and the previous period's is its own recount
    expected = recount(f, frozen)
    _check(report, expected)
    previous = recount(f.previous(), frozen)
    for figure in report.figures:
        if figure.compared:
            assert figure.previous == previous[figure.key], figure.key
    assert expected["records"] > 0 or narrowing


def test_the_generated_data_exercises_every_figure(generated, frozen):
    expected = recount(kpis.Filters(period=LAST_90), frozen)
    for key in ("records", "complaints", "overdue_actions", "surprise_breaches", "backlog"):
        assert expected[key] > 0, key
    for key in ("csat", "nps", "response_rate", "retention_after_recovery", "recovery_rate",
                "callback_on_time_rate", "callback_reach_rate", "callback_issue_find_rate",
                "first_response_median", "resolution_p90", "chain_total"):  # fmt: skip
        assert expected[key] is not None, key
    assert 0 < expected["retention_after_recovery"] <= 1


def test_the_satisfaction_chain_and_breakdowns_match_the_recount(generated, frozen):
    g = generated
    f = kpis.Filters(period=LAST_90)
    report = kpis.report(f, g.administrator)
    links = recount(f, frozen)["_links"]
    stages = {s["stage"]: s["csat"] for s in report.by_stage if s["csat"] is not None}
    assert stages == {v: share for (k, v), share in links.items() if k == "stage"}
    departments = {
        d["department_id"]: d["csat"] for d in report.by_department if d["csat"] is not None
    }
    assert departments == {v: share for (k, v), share in links.items() if k == "department_id"}
    weakest = min(links.items(), key=lambda kv: (kv[1], str(kv[0][1])))
    marked = [s["stage"] for s in report.by_stage if s["weakest"]] + [
        d["department_id"] for d in report.by_department if d["weakest"]
    ]
    assert marked == [weakest[0][1]]
    # records per department as the record list counts them: lead or collaborating
    for row in report.by_department:
        expected = recount(kpis.Filters(period=LAST_90, department_id=row["department_id"]), frozen)
        assert row["records"] == expected["records"], row
        assert row["complaints"] == expected["complaints"], row
    for row in report.by_stage:
        expected = recount(kpis.Filters(period=LAST_90, stage=row["stage"]), frozen)
        assert row["records"] == expected["records"], row
    assert sum(w["records"] for w in report.weeks) == recount(f, frozen)["records"]


def test_the_fishbone_counts_closed_complaints_by_cause(generated, frozen):
    from tickets.complaints.models import Step

    g = generated
    f = kpis.Filters(period=LAST_90, department_id=g.departments[1].pk)
    report = kpis.report(f, g.administrator)
    counts = {}
    for c in g.complaints:
        c.refresh_from_db()
        in_period = c.closed_at and LAST_90.since <= timezone.localdate(c.closed_at) <= TODAY
        ours = c.responsible_department_id == f.department_id
        if c.step == Step.CLOSED and in_period and ours and hasattr(c, "cause"):
            counts[c.cause.bone_id] = counts.get(c.cause.bone_id, 0) + 1
    assert {b["bone_id"]: b["count"] for b in report.fishbone if b["count"]} == counts
    assert sum(counts.values()) > 0


def test_an_empty_period_gives_none_not_zero_percent(generated, frozen):
    # given a period before any data
    f = kpis.Filters(period=Period(date(2020, 1, 1), date(2020, 3, 31)))
    report = kpis.report(f, generated.administrator)
    values = _values(report)
    # then counts are 0 and every share, time and rate is None, shown as "—"
    for key in ("records", "complaints", "customers_served", "overdue_actions"):
        assert values[key] == 0, key
    for figure in report.figures:
        if figure.definition.unit in (kpis.Unit.RATE, kpis.Unit.HOURS, kpis.Unit.NPS,
                                      kpis.Unit.PER_1000):  # fmt: skip
            assert figure.value is None, figure.key
            assert figure.text == "—", figure.key
    assert all(w["records"] == 0 for w in report.weeks)
    assert report.figure("calls_answered_effectively").definition.note == "no data source"


def test_zero_divisors_are_none(db, frozen):
    # given a desk with one record answered and nothing resolved, no complaint, no survey
    from tests.factories import UserFactory
    from tests.tickets.factories import RecordFactory

    admin = UserFactory(username="root", role="administrator")
    RecordFactory(created_at=frozen - timedelta(days=1), first_responded_at=frozen)
    report = kpis.report(kpis.Filters(period=LAST_90), admin)
    values = _values(report)
    assert values["records"] == 1
    assert values["complaint_rate"] == 0.0  # customers served: 1; complainants: 0
    assert values["complaints_per_1000"] == 0.0
    for key in ("recovery_rate", "retention_after_recovery", "resolution_median", "csat", "nps",
                "response_rate", "chain_total", "callback_on_time_rate", "callback_reach_rate",
                "callback_issue_find_rate", "first_response_compliance"):  # fmt: skip
        assert values[key] is None, key
    assert values["first_response_median"] == 24.0


def test_percentile_is_percentile_cont():
    assert kpis.percentile([], 0.5) is None
    assert kpis.percentile([4.0], 0.9) == 4.0
    assert kpis.percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert kpis.percentile([10.0, 20.0, 30.0, 40.0, 50.0], 0.9) == pytest.approx(46.0)
