"""API lists page by keyset (cursor): `next` / `previous` links, no count.

A page number needs the total (a COUNT(*) over every visible row) and an OFFSET that reads every
row before the page; at a million records both cost more than the page. A cursor carries the last
row's sort key instead, so each page is one index range read of page_size rows, however deep.
"""

from rest_framework.pagination import CursorPagination


class DeskPagination(CursorPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100  # bounds the work one request can ask for
    ordering = "-pk"  # only for a list whose selector gives no order

    def get_ordering(self, request, queryset, view):
        # The list's own order is the key: its selector's, the `sort` filter's or the `ordering`
        # parameter's (filters run before pagination). The first field must be what an index of
        # that list is sorted by; the rest break ties.
        order = [o for o in queryset.query.order_by if isinstance(o, str)]
        if order and not any("__" in o for o in order):
            return tuple(order)
        return super().get_ordering(request, queryset, view)
