"""What followups contributes to other apps' pages: My work, the customer 360° page, the record."""

from django.utils.translation import gettext as _

from customers.timeline import TimelineEntry
from servicedesk.core.users import display_name

from . import selectors

PANEL_ROWS = 10


def my_work_panel(user) -> dict:
    """Today's callbacks: the agent's own due by tonight (late ones first) and the queue's."""
    lists = selectors.agent_callbacks(user, until=selectors.end_of_today(), limit=PANEL_ROWS)
    return {"mine": list(lists["mine"]), "queue": list(lists["queue"])}


def customer_section(customer, user) -> dict:
    return {"visits": selectors.customer_visits(customer, user)}


def record_section(record, user) -> dict:
    return {"visits": selectors.record_visits(record, user)}


def customer_timeline(customer, limit: int, user):
    """Each visit once, at its completion if done, else at its due time."""
    rows = (
        selectors.visit_visible(user)
        .filter(customer=customer)
        .select_related("assignee", "completed_by")
        .order_by("-due_at", "-id")[:limit]
    )
    # Sorted by the time shown, so the merge with the other sources stays newest first.
    for v in sorted(rows, key=lambda v: v.completed_at or v.due_at, reverse=True):
        detail = v.get_status_display()
        if v.satisfaction:
            detail += " · " + _("satisfaction %(n)s/5") % {"n": v.satisfaction}
        yield TimelineEntry(
            when=v.completed_at or v.due_at,
            kind="callback",
            title=_("%(ref)s %(purpose)s, %(method)s")
            % {
                "ref": v.reference,
                "purpose": v.get_purpose_display(),
                "method": v.get_method_display(),
            },
            url=v.get_absolute_url(),
            actor=display_name(v.completed_by or v.assignee),
            detail=detail,
        )
