"""Every dashboard figure recounted by brute force: all rows read into Python and each definition
applied by hand, with none of kpis' queries, so the two can only agree if both are right."""

import math
from datetime import timedelta

from django.utils import timezone

from followups.models import CallbackVisit
from servicedesk.core.models import StatusChange
from surveys.models import InvitationStatus, SurveyInvitation, SurveyResponse
from tickets.complaints.models import STEPS, ComplaintAction, Outcome, Step
from tickets.models import ServiceRecord

RUNNING = ("new", "open", "pending")


def _day(moment):
    return timezone.localdate(moment)


def _rate(part, whole):
    return round(part / whole, 4) if whole else None


def _pct(values, fraction):
    if not values:
        return None
    values = sorted(values)
    k = (len(values) - 1) * fraction
    lo, hi = math.floor(k), math.ceil(k)
    return round((values[lo] + (values[hi] - values[lo]) * (k - lo)) / 3600, 1)


def _matches(record, f) -> bool:
    if f.department_id and f"d{f.department_id}" not in record.audience:
        return False
    if f.agent_id and record.assignee_id != f.agent_id:
        return False
    if f.stage and record.stage != f.stage:
        return False
    if f.category_id and record.category_id != f.category_id:
        return False
    return not (f.tier and record.customer.management_tier != f.tier)


def recount(f, now) -> dict:
    since, until = f.period.since, f.period.until
    every = list(ServiceRecord.objects.select_related("customer", "complaint"))
    records = [r for r in every if since <= _day(r.created_at) <= until and _matches(r, f)]
    n = len(records)
    customers = {r.customer_id for r in records}
    out = {"records": n, "customers_served": len(customers)}
    fr = [(r.first_responded_at - r.created_at).total_seconds() for r in records
          if r.first_responded_at]  # fmt: skip
    res = [(r.resolved_at - r.created_at).total_seconds() for r in records if r.resolved_at]
    out |= {
        "first_response_median": _pct(fr, 0.5), "first_response_p90": _pct(fr, 0.9),
        "resolution_median": _pct(res, 0.5), "resolution_p90": _pct(res, 0.9),
    }  # fmt: skip
    for name, due, met in (("first_response", "first_response_due", "first_responded_at"),
                           ("resolution", "resolution_due", "resolved_at")):  # fmt: skip
        judged = [
            r for r in records if getattr(r, due) and (getattr(r, met) or getattr(r, due) < now)
        ]
        ok = [r for r in judged if getattr(r, met) and getattr(r, met) <= getattr(r, due)]
        out[f"{name}_compliance"] = _rate(len(ok), len(judged))
    end_day = until
    backlog = [r for r in every if r.status in RUNNING and _day(r.created_at) <= end_day
               and _matches(r, f)]  # fmt: skip
    out["backlog"] = len(backlog)
    ages = []
    for low, high in ((0, 1), (1, 3), (3, 7), (7, 30), (30, None)):
        ages.append(sum(
            1 for r in backlog
            if r.created_at <= now - timedelta(days=low)
            and (high is None or r.created_at > now - timedelta(days=high))
        ))  # fmt: skip
    out["_ageing"] = ages

    complaints = [r.complaint for r in records if hasattr(r, "complaint")]
    total = len(complaints)
    complainants = {c.record.customer_id for c in complaints}
    out["complaints"] = total
    out["complaint_rate"] = _rate(len(complainants), len(customers))
    out["complaints_per_1000"] = round(total / n * 1000, 1) if n else None
    closed = [c for c in complaints if c.step == Step.CLOSED]
    recovered = [c for c in closed if c.outcome == Outcome.SATISFIED]
    out["recovery_rate"] = _rate(len(recovered), len(closed))
    rec_customers = {c.record.customer_id for c in recovered}
    retained = set()
    for c in recovered:
        for r in every:
            later = c.closed_at < r.created_at <= c.closed_at + timedelta(days=365)
            if r.customer_id == c.record.customer_id and not hasattr(r, "complaint") and later:
                retained.add(r.customer_id)
    out["retention_after_recovery"] = _rate(len(retained), len(rec_customers))
    ids = {c.pk for c in complaints}
    actions = [a for a in ComplaintAction.objects.all() if a.complaint_id in ids]
    today = timezone.localdate()
    out["overdue_actions"] = sum(1 for a in actions if a.done_at is None and a.due_date < today)
    out["surprise_breaches"] = sum(
        1 for a in actions
        if (a.done_at is None and a.due_date < today)
        or (a.done_at is not None and timezone.localdate(a.done_at) > a.due_date)
    )  # fmt: skip
    unrecovered = len(closed) - len(recovered)
    out["estimated_silent_dissatisfied"] = total * 26
    out["estimated_word_of_mouth_low"] = unrecovered * 8
    out["estimated_word_of_mouth_high"] = unrecovered * 16
    steps = {s: 0 for s in [*STEPS, Step.CLOSED]}
    for c in complaints:
        steps[c.step] += 1
    out["_steps"] = steps
    spent, entered = {}, {}
    for c in complaints:
        log = sorted(StatusChange.objects.filter(field="step", object_id=c.pk,
                                                 content_type__model="complaint"),
                     key=lambda s: (s.at, s.pk))  # fmt: skip
        for i, change in enumerate(log):
            end = log[i + 1].at if i + 1 < len(log) else now
            spent[change.to_state] = spent.get(change.to_state, timedelta()) + (end - change.at)
            entered[change.to_state] = entered.get(change.to_state, 0) + 1
    out["_average_hours"] = {
        s: round((spent[s] / entered[s]).total_seconds() / 3600, 1)
        for s in STEPS if entered.get(s)
    }  # fmt: skip

    # callbacks: due in the period and already past, not cancelled
    visits = []
    for v in CallbackVisit.objects.select_related("source_record", "customer"):
        if v.status == "cancelled" or not (since <= _day(v.due_at) <= until) or v.due_at >= now:
            continue
        if f.department_id and v.department_id != f.department_id:
            continue
        if f.agent_id and v.assignee_id != f.agent_id:
            continue
        if f.stage and (v.source_record is None or v.source_record.stage != f.stage):
            continue
        if f.category_id and (
            v.source_record is None or v.source_record.category_id != f.category_id
        ):
            continue
        if f.tier and v.customer.management_tier != f.tier:
            continue
        visits.append(v)
    done = [v for v in visits if v.status == "done"]
    missed = [v for v in visits if v.status == "missed"]
    reached = [v for v in visits if v.reached]
    out["callback_on_time_rate"] = _rate(
        sum(1 for v in done if v.completed_at <= v.window_end), len(visits)
    )
    out["callback_reach_rate"] = _rate(len(reached), len(done) + len(missed))
    out["callback_issue_find_rate"] = _rate(
        sum(1 for v in reached if v.new_issue_record_id), len(reached)
    )

    def survey_ok(row, moment_field, record):
        if not since <= _day(getattr(row, moment_field)) <= until:
            return False
        if f.department_id and row.department_id != f.department_id:
            return False
        if f.agent_id and row.agent_id != f.agent_id:
            return False
        if f.stage and row.stage != f.stage:
            return False
        if f.tier and row.customer.management_tier != f.tier:
            return False
        return not (f.category_id and (record is None or record.category_id != f.category_id))

    responses = [r for r in SurveyResponse.objects.select_related("customer", "invitation__record")
                 if survey_ok(r, "submitted_at", r.invitation.record)]  # fmt: skip
    rated = [r for r in responses if r.rating is not None]
    out["csat"] = _rate(sum(1 for r in rated if r.rating >= 4), len(rated))
    with_nps = [r for r in responses if r.nps is not None]
    nps = (
        round((sum(1 for r in with_nps if r.nps >= 9) - sum(1 for r in with_nps if r.nps <= 6))
              / len(with_nps) * 100, 1)
        if with_nps else None
    )  # fmt: skip
    out["nps"] = nps
    invitations = [i for i in SurveyInvitation.objects.select_related("customer", "record")
                   if i.status != InvitationStatus.CANCELLED
                   and survey_ok(i, "created_at", i.record)]  # fmt: skip
    delivered = [i for i in invitations if i.sent_at or i.channel != "email"]
    out["response_rate"] = _rate(
        # surveys.selectors' rule: every answered invitation over the delivered ones
        sum(1 for i in invitations if i.status == InvitationStatus.ANSWERED),
        len(delivered),
    )
    links = {}
    for key in ("stage", "department_id"):
        groups = {}
        for r in rated:
            value = getattr(r, key)
            if value in ("", None):
                continue
            groups.setdefault(value, []).append(r.rating >= 4)
        for value, oks in groups.items():
            links[(key, value)] = sum(oks) / len(oks)
    out["_links"] = links
    out["chain_total"] = round(math.prod(links.values()), 4) if links else None
    out["calls_answered_effectively"] = None
    return out
