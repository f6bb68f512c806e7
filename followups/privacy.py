"""The callback visits' part of a customer's export and erasure (customers.privacy, registered
from FollowupsConfig.ready()).

Erasure keeps every visit with its purpose, method, status, times, reached flag, product state,
satisfaction and expectation (the callback figures); what was written about the customer (the
address visited, who was reached, the answers noted, the notes, each attempt's note) is emptied,
in the visits' history too.
"""

from django.db.models import Prefetch

from customers.privacy import ErasureContext, Part, register, scrub_history

from .models import CallbackAttempt, CallbackVisit

_BLANK = {"address": "", "reached_person": "", "questions_answered": "", "notes": ""}


def export(customer) -> dict[str, list]:
    """Two queries: the visits, their attempts."""
    visits = (
        CallbackVisit.objects.filter(customer=customer)
        .select_related("department", "assignee")
        .prefetch_related(
            Prefetch("attempt_log", queryset=CallbackAttempt.objects.order_by("at", "pk"))
        )
        .order_by("due_at", "pk")
    )
    return {
        "callback_visits": [
            {
                "id": v.pk,
                "purpose": v.purpose,
                "method": v.method,
                "status": v.status,
                "source_record_id": v.source_record_id,
                "department": v.department.name_en if v.department else None,
                "assignee": v.assignee.get_username() if v.assignee else None,
                "address": v.address,
                "due_at": v.due_at,
                "window_end": v.window_end,
                "reached": v.reached,
                "reached_person": v.reached_person,
                "product_state": v.product_state,
                "questions_answered": v.questions_answered,
                "satisfaction": v.satisfaction,
                "expectation": v.expectation,
                "notes": v.notes,
                "attempts": [
                    {"at": a.at, "reached": a.reached, "note": a.note} for a in v.attempt_log.all()
                ],
            }
            for v in visits
        ]
    }


def erase(ctx: ErasureContext) -> None:
    visits = CallbackVisit.objects.filter(customer=ctx.customer)
    ids = list(visits.values_list("pk", flat=True))
    ctx.counts["callback_visits"] = visits.update(**_BLANK)
    scrub_history(CallbackVisit, ids, **_BLANK)
    CallbackAttempt.objects.filter(visit_id__in=ids).update(note="")


def register_part() -> None:
    register(Part("followups", export, erase, order=30))
