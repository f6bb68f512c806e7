"""The 360° page: profile, classifications, every app's sections and one timeline."""

from django.http import Http404
from django.shortcuts import render

from servicedesk.core.audit import history_entries
from servicedesk.core.views import DeskView

from .. import selectors
from ..models import Customer, InteractionKind
from ..timeline import customer_timeline, sections

TIMELINE_LIMIT = 50
HISTORY_LIMIT = 15


def get_customer_or_404(pk: int) -> Customer:
    try:
        return selectors.customer_get_360(customer_id=pk)
    except Customer.DoesNotExist as exc:
        raise Http404 from exc


class CustomerDetailView(DeskView):
    section = "customers"

    def get(self, request, pk: int):
        customer = get_customer_or_404(pk)
        panels = [
            {
                "key": s.key,
                "title": s.title,
                "template": s.template,
                "data": s.loader(customer, request.user),
            }
            for s in sections()
        ]
        recent = list(
            customer.history.order_by("-history_date").values_list("pk", flat=True)[:HISTORY_LIMIT]
        )
        return render(
            request,
            "customers/detail.html",
            {
                "customer": customer,
                "panels": panels,
                "timeline": customer_timeline(customer, user=request.user, limit=TIMELINE_LIMIT),
                "history": history_entries(customer.history.filter(pk__in=recent)),
                "interaction_kinds": InteractionKind.choices,
            },
        )
