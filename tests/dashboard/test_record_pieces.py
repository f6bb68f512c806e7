"""The records' and complaints' figures read from a cached cold part and a live warm part
(servicedesk.dashboard.record_pieces, complaint_pieces): the merge helpers against brute force, and
every KPI against the recount with days rolled, the cache filled, and then a rolled day's record,
complaint or action changed, a complainant back, customers merged and time moved on."""

import random
from datetime import timedelta

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.utils import timezone

from customers.services import customer_merge
from followups.models import CallbackVisit, VisitStatus
from followups.services import _insert
from servicedesk.core.models import StatusChange
from servicedesk.dashboard import kpis, record_pieces, rollups
from servicedesk.dashboard.record_figures import percentile
from surveys.results import Period
from tests.followups.factories import VisitFactory
from tests.tickets.factories import RecordFactory
from tickets.complaints.models import Complaint, ComplaintAction, Outcome, Step

from .conftest import TODAY, at
from .recount import recount
from .test_kpis import _check, filters_of

LAST_30 = Period(TODAY - timedelta(days=29), TODAY)
BOTH = Period(LAST_30.previous().since, TODAY)  # the days both periods' pieces cover

needs_pg = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the pieces are PostgreSQL's (array_agg)"
)


@pytest.mark.parametrize("sizes", [(0, 0), (0, 5), (7, 0), (1, 1), (40, 3), (3, 40), (100, 100)])
def test_kth_and_percentiles_of_two_sorted_lists_are_those_of_their_union(sizes):
    rng = random.Random(sum(sizes))
    for _ in range(30):
        a = sorted(rng.choice([rng.random() * 100, rng.randint(0, 5)]) for _ in range(sizes[0]))
        b = sorted(rng.choice([rng.random() * 100, rng.randint(0, 5)]) for _ in range(sizes[1]))
        union = sorted(a + b)
        assert [record_pieces.kth(a, b, k) for k in range(len(union))] == union
        for fraction in (0.0, 0.5, 0.9, 1.0):
            assert record_pieces.percentile_of(a, b, fraction) == percentile(union, fraction)


def test_the_union_of_two_sorted_id_lists_counts_each_id_once():
    rng = random.Random(7)
    for _ in range(50):
        a = sorted(set(rng.sample(range(200), rng.randint(0, 60))))
        b = sorted(set(rng.sample(range(200), rng.randint(0, 60))))
        assert record_pieces.union_size(a, b) == len(set(a) | set(b))


def _check_both_periods(f, user, now):
    report = kpis.report(f, user)
    _check(report, recount(f, now))
    previous = recount(f.previous(), now)
    for figure in report.figures:
        if figure.compared:
            assert figure.previous == previous[figure.key], figure.key


def _roll_all_closed_days():
    for n in range(1, 70):
        rollups.roll_day(TODAY - timedelta(days=n))


def _cold(day) -> bool:
    """A day of both periods that _cached rolled (today never is)."""
    return BOTH.since <= day < TODAY


def _cached(g, now) -> kpis.Filters:
    """Every closed day rolled and the last 30 days' report read (and checked): the cold
    pieces of both periods are in the cache."""
    _roll_all_closed_days()
    f = kpis.Filters(period=LAST_30)
    _check_both_periods(f, g.administrator, now)
    return f


@needs_pg
@pytest.mark.parametrize("narrowing", [{}, {"department": 1}, {"agent": 0}, {"stage": "in_sale"}])
def test_every_kpi_is_the_recounts_with_the_cold_days_cached(generated, frozen, narrowing):
    # given every closed day of both periods rolled, and a filter the pieces can cache
    g = generated
    _roll_all_closed_days()
    f = filters_of(g, narrowing, LAST_30)
    assert record_pieces.usable(f)
    # when the report is read twice: the cold pieces from the records, then from the cache
    _check_both_periods(f, g.administrator, frozen)
    with CaptureRecordReads() as reads:
        _check_both_periods(f, g.administrator, frozen)
    # then both are the recount's, and the second read only today's records and complaints
    assert len(reads.pieces) == 1, reads.pieces
    assert len(reads.complaint_pieces) == 1, reads.complaint_pieces


@needs_pg
def test_a_change_to_a_cached_days_record_is_counted(
    generated, frozen, django_capture_on_commit_callbacks
):
    # given the cold pieces cached
    g = generated
    f = _cached(g, frozen)
    # when a record of a cached day is resolved late, and another one's customer changes
    days_ago = [r for r in g.records if TODAY - timedelta(days=20) < r.created_at.date() < TODAY]
    late, moved = days_ago[0], days_ago[1]
    late.resolved_at = frozen
    moved.customer = g.records[-1].customer
    with django_capture_on_commit_callbacks(execute=True):
        late.save()
        moved.save()
    # then the figures are still the recount's
    _check_both_periods(f, g.administrator, frozen)


@needs_pg
def test_a_complaint_an_action_and_a_returning_customer_on_cached_days_are_counted(
    generated, frozen, django_capture_on_commit_callbacks
):
    # given the cold pieces, the complaints' among them, cached
    g = generated
    f = _cached(g, frozen)
    cold = [c for c in g.complaints if _cold(timezone.localdate(c.record_created_at))]
    recovered = [c for c in cold if c.step == Step.CLOSED and c.outcome == Outcome.SATISFIED]
    later = {r.customer_id for r in g.records if r.created_at > frozen - timedelta(days=2)}
    returning = next(c for c in recovered if c.record.customer_id not in later)
    overdue = ComplaintAction.objects.filter(complaint__in=cold, done_at=None, due_date__lt=TODAY)
    action = overdue.first()
    # when an open complaint of a cached day is closed recovered (a step in its log), an overdue
    # action is done, and a recovered complainant comes back today with a new record
    with django_capture_on_commit_callbacks(execute=True):
        closing = next(c for c in cold if c.step != Step.CLOSED)
        StatusChange.objects.create(
            content_type=ContentType.objects.get_for_model(Complaint), object_id=closing.pk,
            field="step", from_state=closing.step, to_state=Step.CLOSED,
            at=frozen - timedelta(hours=1),
        )  # fmt: skip
        closing.step, closing.outcome = Step.CLOSED, Outcome.SATISFIED
        closing.closed_at = closing.step_since = frozen - timedelta(hours=1)
        closing.save()
        action.done_at = frozen - timedelta(hours=1)
        action.save()
        RecordFactory(customer=returning.record.customer, created_at=frozen - timedelta(hours=2))
    # then every figure of both periods is the recount's
    _check_both_periods(f, g.administrator, frozen)


@needs_pg
def test_a_period_cached_as_the_previous_one_is_read_with_its_step_log(generated, frozen):
    # given the last 30 days' report read with every closed day rolled: the 30 days before were
    # cached as its previous period, whose piece needs no step log
    g = generated
    _cached(g, frozen)
    # when those 30 days are read as the period itself, then every figure is the recount's,
    # the average time in each step among them
    _check_both_periods(kpis.Filters(period=LAST_30.previous()), g.administrator, frozen)


def _recovered_complainant(g, closed_at):
    """A new customer whose one record (on the day before `closed_at`) is a complaint closed
    recovered then, with the step log the flow leaves."""
    record = RecordFactory(category=g.categories[0], created_at=closed_at - timedelta(days=1))
    complaint = Complaint.objects.create(
        record=record, channel="phone", severity="general", step=Step.CLOSED,
        step_since=closed_at, outcome=Outcome.SATISFIED, closed_at=closed_at,
    )  # fmt: skip
    StatusChange.objects.create(
        content_type=ContentType.objects.get_for_model(Complaint), object_id=complaint.pk,
        field="step", from_state=Step.RECHECK, to_state=Step.CLOSED, at=closed_at,
    )  # fmt: skip
    return record.customer


def _stop_retaining(record, change: str, other_customer) -> None:
    if change == "deleted":
        record.delete()
    elif change == "moved":
        record.customer = other_customer
        record.save()
    else:
        Complaint.objects.create(record=record, channel="phone", severity="general")


@needs_pg
@pytest.mark.parametrize("change", ["deleted", "moved", "complained of"])
def test_a_record_that_retained_stops_when_deleted_moved_or_complained_of(
    generated, frozen, django_capture_on_commit_callbacks, change
):
    # given a recovered complainant of a cached day back with a record today, and the report
    # read once with every closed day rolled: the pair is kept as found retained
    g = generated
    customer = _recovered_complainant(g, frozen - timedelta(days=12))
    with django_capture_on_commit_callbacks(execute=True):
        back = RecordFactory(
            customer=customer, category=g.categories[0], created_at=frozen - timedelta(hours=2)
        )
    f = _cached(g, frozen)
    # when that record is deleted, moved to another customer or complained of
    with django_capture_on_commit_callbacks(execute=True):
        _stop_retaining(back, change, g.records[-1].customer)
    # then it retains no more: every figure is the recount's again
    _check_both_periods(f, g.administrator, frozen)


@needs_pg
def test_callbacks_done_moved_inserted_and_deleted_on_cached_days_are_counted(
    generated, frozen, django_capture_on_commit_callbacks
):
    # given the cold pieces, the callbacks' counts among them, cached
    g = generated
    f = _cached(g, frozen)
    visits = CallbackVisit.objects.filter(
        due_at__gte=at(BOTH.since, 0), due_at__lt=at(TODAY, 0)
    ).order_by("pk")
    inserted_on = TODAY - timedelta(days=3)
    scheduled = visits.filter(status=VisitStatus.SCHEDULED)
    finished = scheduled.first()
    # moved from a day that nothing else here reopens
    moved = next(v for v in scheduled if timezone.localdate(v.due_at) not in
                 (timezone.localdate(finished.due_at), inserted_on))  # fmt: skip
    done = visits.filter(status=VisitStatus.DONE).first()
    # when one scheduled visit of a cached day is done late and reached, then every figure of
    # both periods is the recount's; and so after each of the following in turn
    with django_capture_on_commit_callbacks(execute=True):
        finished.status, finished.reached = VisitStatus.DONE, True
        finished.completed_at = finished.window_end + timedelta(hours=1)
        finished.save()
    _check_both_periods(f, g.administrator, frozen)
    # a visit done on time, due on a cached day, is inserted in bulk (as scans insert them)
    with django_capture_on_commit_callbacks(execute=True):
        due = at(inserted_on, 10)
        _insert([VisitFactory.build(
            department=g.departments[0], customer=done.customer, assignee=g.agents[0].user,
            due_at=due, window_end=due + timedelta(days=1), status=VisitStatus.DONE,
            completed_at=due + timedelta(hours=1), reached=True,
        )])  # fmt: skip
    _check_both_periods(f, g.administrator, frozen)
    # another scheduled one is moved to later today, no longer due (its old day is counted
    # again, without it)
    with django_capture_on_commit_callbacks(execute=True):
        moved.due_at, moved.window_end = frozen + timedelta(hours=1), frozen + timedelta(days=1)
        moved.save()
    _check_both_periods(f, g.administrator, frozen)
    # and a done one is deleted
    with django_capture_on_commit_callbacks(execute=True):
        done.delete()
    _check_both_periods(f, g.administrator, frozen)


@needs_pg
def test_a_merge_of_customers_is_counted(generated, frozen, django_capture_on_commit_callbacks):
    # given the cold pieces cached
    g = generated
    f = _cached(g, frozen)
    # when two customers with records on cached days are merged (their records moved in bulk)
    customers = sorted({r.customer_id for r in g.records if r.created_at.date() < TODAY})
    with django_capture_on_commit_callbacks(execute=True):
        customer_merge(survivor_id=customers[0], duplicate_id=customers[1])
    # then the customers served are the recount's
    _check_both_periods(f, g.administrator, frozen)


@needs_pg
def test_compliance_follows_now_with_the_pieces_cached(generated, frozen):
    # given the cold pieces cached at 15:00
    g = generated
    _cached(g, frozen)
    # when time moves on two days, past more records' due times (the days stay rolled)
    later = frozen + timedelta(days=2)
    with time_machine.travel(later, tick=False):
        # then each period's compliance is the recount's at the new `now`
        f_later = kpis.Filters(period=LAST_30)
        _check_both_periods(f_later, g.administrator, later)


class CaptureRecordReads:
    """The piece reads (array_agg over the records, and over the records with a complaint) run
    inside the block."""

    def __enter__(self):
        self.pieces, self.complaint_pieces = [], []
        self._wrapper = connection.execute_wrapper(self._record)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        self._wrapper.__exit__(*exc)

    def _record(self, execute, sql, params, many, context):
        if "ARRAY_AGG(DISTINCT" in sql and "tickets_servicerecord" in sql:
            complaints = '"tickets_complaint"."record_created_at"' in sql  # complaint_pieces
            (self.complaint_pieces if complaints else self.pieces).append(sql)
        return execute(sql, params, many, context)
