"""What tickets contributes to other apps' pages: the My work panel and the customer 360° page."""

from django.utils.translation import gettext as _

from customers.timeline import TimelineEntry
from servicedesk.core.users import display_name

from . import selectors


def my_work_panel(user) -> dict:
    return selectors.my_work(user)


def customer_section(customer, user) -> dict:
    return {"records": selectors.customer_records(customer, user=user)}


def customer_timeline(customer, limit: int, user):
    rows = (
        selectors.record_visible(user)
        .filter(customer=customer)
        .select_related("category", "created_by")
        .order_by("-created_at", "-pk")[:limit]
    )
    for r in rows:
        yield TimelineEntry(
            when=r.created_at,
            kind="record",
            title=_("%(ref)s %(subject)s") % {"ref": r.reference, "subject": r.subject},
            url=r.get_absolute_url(),
            actor=display_name(r.created_by),
            detail=f"{r.category.name} · {r.get_status_display()}",
        )
