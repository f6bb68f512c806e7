"""The records' daily sums (servicedesk.dashboard.rollups) against the brute-force recount: the
breakdowns are the same with every day, some days or no day rolled, and a change to a rolled
day's records reopens it so they stay exact before the next roll."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from servicedesk.core import exact_cache
from servicedesk.dashboard import kpis, rollups
from servicedesk.dashboard.models import RecordDay, RecordRolledDay
from surveys.results import Period
from tests.tickets.factories import RecordFactory
from tickets.complaints.models import Complaint

from .conftest import TODAY, at
from .recount import recount

LAST_90 = Period(TODAY - timedelta(days=89), TODAY)


def _tables(report: kpis.Report) -> dict:
    return {
        "departments": {d["department_id"]: (d["records"], d["complaints"])
                        for d in report.by_department},
        "stages": {s["stage"]: (s["records"], s["complaints"]) for s in report.by_stage},
        "weeks": {w["start"]: (w["records"], w["complaints"]) for w in report.weeks},
    }  # fmt: skip


def _check_against_recount(report: kpis.Report, f: kpis.Filters, now) -> None:
    for row in report.by_department:
        if f.department_id and row["department_id"] != f.department_id:
            continue  # the chosen department's records that another one holds too
        expected = recount(kpis.Filters(period=f.period, department_id=row["department_id"],
                                        stage=f.stage), now)  # fmt: skip
        assert (row["records"], row["complaints"]) == (expected["records"], expected["complaints"])
    for row in report.by_stage:
        if f.stage and row["stage"] != f.stage:
            continue
        expected = recount(kpis.Filters(period=f.period, department_id=f.department_id,
                                        stage=row["stage"]), now)  # fmt: skip
        assert (row["records"], row["complaints"]) == (expected["records"], expected["complaints"])
    assert sum(w["records"] for w in report.weeks) == recount(f, now)["records"]


@pytest.mark.parametrize("narrowing", [{}, {"department": 1}, {"stage": "after_sale"}])
def test_breakdowns_are_the_same_with_some_days_rolled_and_some_not(generated, frozen, narrowing):
    # given the breakdowns counted from the records alone (nothing rolled)
    g = generated
    department = narrowing.get("department")
    f = kpis.Filters(
        period=LAST_90,
        department_id=g.departments[department].pk if department is not None else None,
        stage=narrowing.get("stage", ""),
    )
    live = _tables(kpis.report(f, g.administrator))
    # when every other closed day of the period is rolled
    for n in range(1, 90, 2):
        rollups.roll_day(TODAY - timedelta(days=n))
    assert RecordRolledDay.objects.count() == 45
    # then the breakdowns are unchanged and the recount's, for the manager too
    report = kpis.report(f, g.administrator)
    assert _tables(report) == live
    _check_against_recount(report, f, frozen)
    assert _tables(kpis.report(f, g.manager)) == live  # the manager sees every department


def test_the_sums_answer_only_the_filters_they_hold(generated, frozen):
    g = generated
    for n in range(1, 90):
        rollups.roll_day(TODAY - timedelta(days=n))
    by_agent = kpis.Filters(period=LAST_90, agent_id=g.agents[1].user.pk)
    assert not rollups.summable(by_agent)
    report = kpis.report(by_agent, g.administrator)
    # an agent's records are counted from the records: the sums have no agent
    assert sum(w["records"] for w in report.weeks) == recount(by_agent, frozen)["records"]
    assert rollups.summable(kpis.Filters(period=LAST_90, department_id=g.departments[0].pk))


def test_roll_pending_rolls_closed_days_once(generated, frozen):
    # given data up to today, 15:00
    rolled = rollups.roll_pending(limit=10)
    # then the ten closed days before today are rolled, today is not
    days = set(RecordRolledDay.objects.values_list("day", flat=True))
    assert rolled == 10
    assert days == {TODAY - timedelta(days=n) for n in range(1, 11)}
    before = sorted(RecordDay.objects.values_list("day", "stage", "records", "complaints"))
    # and rolling a day again gives the same sums
    rollups.roll_day(TODAY - timedelta(days=1))
    after = sorted(RecordDay.objects.values_list("day", "stage", "records", "complaints"))
    assert after == before
    assert sum(r[2] for r in after) == sum(
        1 for r in generated.records if TODAY - timedelta(days=10) <= timezone.localdate(
            r.created_at) < TODAY
    )  # fmt: skip


def test_a_change_to_a_rolled_days_record_reopens_the_day(
    generated, frozen, django_capture_on_commit_callbacks
):
    # given a rolled day, its week's totals read (and cached, where the cache is Redis)
    g = generated
    day = TODAY - timedelta(days=3)
    rollups.roll_day(day)
    f = kpis.Filters(period=LAST_90)
    kpis.report(f, g.administrator)
    record = next(r for r in g.records if timezone.localdate(r.created_at) == day)
    # when one of its records moves to another stage
    record.stage = "pre_sale" if record.stage != "pre_sale" else "in_sale"
    with django_capture_on_commit_callbacks(execute=True):
        record.save()
    # then the day is no longer read from the sums, and the breakdowns are the recount's
    assert not RecordRolledDay.objects.filter(day=day).exists()
    _check_against_recount(kpis.report(f, g.administrator), f, frozen)


@pytest.mark.skipif(not exact_cache.in_use(), reason="the database cache keeps nothing")
def test_the_rolled_days_totals_are_read_again_only_when_a_day_is_rolled_again(generated, frozen):
    # given every closed day rolled and the breakdowns read once
    g = generated
    for n in range(1, 90):
        rollups.roll_day(TODAY - timedelta(days=n))
    f = kpis.Filters(period=LAST_90, department_id=g.departments[1].pk)
    first = _tables(kpis.report(f, g.manager))
    # when they are read again, the sums are not: their totals come from the cache
    with CaptureQueriesContext(connection) as reads:
        assert _tables(kpis.report(f, g.manager)) == first
    assert not [q for q in reads if "dashboard_recordday" in q["sql"]]
    # and once a day is rolled again (a new stamp), the sums are read and still the recount's
    with time_machine.travel(frozen + timedelta(minutes=5), tick=False):
        rollups.roll_day(TODAY - timedelta(days=8))
    with CaptureQueriesContext(connection) as reads:
        report = kpis.report(f, g.manager)
    assert [q for q in reads if 'FROM "dashboard_recordday"' in q["sql"]]
    assert _tables(report) == first
    _check_against_recount(report, f, frozen)


def test_a_complaint_about_a_rolled_days_record_reopens_the_day(
    generated, frozen, django_capture_on_commit_callbacks
):
    g = generated
    day = TODAY - timedelta(days=5)
    new = RecordFactory(created_at=at(day, 9), category=g.categories[0])
    rollups.roll_day(day)
    with django_capture_on_commit_callbacks(execute=True):
        Complaint.objects.create(
            record=new, responsible_department=g.departments[0], channel="phone",
            severity="general",
        )  # fmt: skip
    assert not RecordRolledDay.objects.filter(day=day).exists()
    f = kpis.Filters(period=LAST_90)
    _check_against_recount(kpis.report(f, g.administrator), f, frozen)


def test_a_day_of_today_is_never_rolled_so_needs_no_reopening(db, frozen):
    record = RecordFactory(created_at=frozen - timedelta(hours=1))
    rollups.reopen(record.created_at)  # no error, nothing scheduled to undo
    assert not RecordRolledDay.objects.exists()
