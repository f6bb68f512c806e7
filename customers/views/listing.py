"""The customer list with search, filters, sorting and pagination, and its CSV export."""

import csv

from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk.core.jinja_env import id_url
from servicedesk.core.pagination import page_number, window_page
from servicedesk.core.roles import is_manager_or_admin
from servicedesk.core.users import person_name
from servicedesk.core.views import DeskView
from servicedesk.securitylog import services as securitylog
from servicedesk.securitylog.models import EventKind

from .. import csvio, selectors
from ..filters import CustomerFilter
from ..models import ContactPoint, Customer
from ..rows import ROW_FIELDS, add_contacts_and_tags, customer_row

PAGE_SIZE = 25


def filtered_customers(request, *, related: bool = True):
    """(filterset, queryset): archived customers only when a manager asks for them."""
    archived = request.GET.get("archived") == "1" and is_manager_or_admin(request.user)
    base = selectors.customer_list(archived=archived, related=related)
    filterset = CustomerFilter(request.GET or None, queryset=base)
    qs = filterset.qs if filterset.is_bound and filterset.is_valid() else base
    return filterset, qs


class CustomerListView(DeskView):
    section = "customers"

    def get(self, request):
        filterset, qs = filtered_customers(request, related=False)
        url = id_url("customers:detail")
        rows = qs.values(*ROW_FIELDS)
        if request.GET.get("q") and page_number(request.GET.get("page")) == 1:
            # A search's first page as window_page reads the later ones (a deferred join): its
            # matches are read and sorted (selectors.customer_search) on their keys alone, then
            # the page's rows are joined to their organisation and owner. In one query the
            # planner, counting on few matches, joined each of them (at 1M "沈": 1,606, 5 ms).
            keys = qs.values("pk")[: PAGE_SIZE + 1]
            rows = Customer.objects.filter(pk__in=keys).order_by(*qs.query.order_by)
            rows = rows.values(*ROW_FIELDS)
        page = window_page(
            rows,
            request.GET.get("page"),
            PAGE_SIZE,
            row=lambda values: customer_row(values, url),
        )
        add_contacts_and_tags(page.object_list)
        model_choices_as_values(filterset.form)
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


def model_choices_as_values(form) -> None:
    """The filter bar's tag and owner selects, their options read as plain values. Left to
    ModelChoiceField, each is read through a server-side cursor (DECLARE, FETCH, CLOSE on
    PostgreSQL) into model instances, on every page view. Same querysets, same labels (the tag's
    name, the person's display name); only the widgets get them, so a chosen value is still
    checked against the field's queryset."""
    tag, owner = form.fields["tag"], form.fields["owner"]
    tag.widget.choices = _with_empty(tag, tag.queryset.values_list("pk", "name"))
    people = owner.queryset.values_list("pk", "first_name", "last_name", "username")
    owner.widget.choices = _with_empty(owner, [(pk, person_name(*names)) for pk, *names in people])


def _with_empty(field, choices) -> list:
    # As the fields' own iterators: the empty choice first, then django-filter's null choice.
    first = [] if field.empty_label is None else [("", field.empty_label)]
    null_label = getattr(field, "null_label", None)
    if null_label is not None:
        first.append((field.null_value, null_label))
    return [*first, *choices]


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
        # The filters' names only: a search term may be a customer's name or phone number.
        securitylog.record(
            EventKind.EXPORT,
            request=request,
            user=request.user,
            what="customers_csv",
            filters=sorted(k for k, v in request.GET.items() if v),
        )
        return response
