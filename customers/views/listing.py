"""The customer list with search, filters, sorting and pagination, and its CSV export."""

import csv

from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk.core.pagination import window_page
from servicedesk.core.roles import is_manager_or_admin
from servicedesk.core.views import DeskView

from .. import csvio, selectors
from ..filters import CustomerFilter
from ..models import ContactPoint

PAGE_SIZE = 25


def filtered_customers(request):
    """(filterset, queryset): archived customers only when a manager asks for them."""
    archived = request.GET.get("archived") == "1" and is_manager_or_admin(request.user)
    base = selectors.customer_list(archived=archived)
    filterset = CustomerFilter(request.GET or None, queryset=base)
    qs = filterset.qs if filterset.is_bound and filterset.is_valid() else base
    return filterset, qs


class CustomerListView(DeskView):
    section = "customers"

    def get(self, request):
        filterset, qs = filtered_customers(request)
        page = window_page(qs, request.GET.get("page"), PAGE_SIZE)
        params = request.GET.copy()
        params.pop("page", None)
        active_filters = [k for k, v in request.GET.items() if v and k not in ("page", "sort", "q")]
        return render(
            request,
            "customers/list.html",
            {
                "filter": filterset,
                "page": page,
                "customers": page.object_list,
                "query": params.urlencode(),
                "searching": bool(request.GET.get("q")),
                "filtering": bool(active_filters),
                "can_see_archived": is_manager_or_admin(request.user),
            },
        )


class _Echo:
    def write(self, value):
        return value


class CustomerExportView(DeskView):
    """The filtered list as CSV, streamed so a large archive does not sit in memory."""

    def get(self, request):
        from django.db.models import Prefetch

        _filterset, qs = filtered_customers(request)
        qs = qs.prefetch_related(
            Prefetch("contact_points", queryset=ContactPoint.objects.order_by("kind", "pk"))
        )
        writer = csv.writer(_Echo())

        def lines():
            yield "\ufeff"  # a BOM, so Excel opens the UTF-8 file with Chinese names intact
            for row in csvio.export_rows(qs.iterator(chunk_size=500)):
                yield writer.writerow([csvio.neutralise_cell(v) for v in row])

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="customers-{stamp}.csv"'
        response["X-Export-Title"] = _("Customers")
        return response
