"""Reads for the customer archive: tuned querysets, a fixed number of queries per page."""

from django.db.models import Prefetch, Q, QuerySet

from .models import (
    Contact,
    ContactPoint,
    ContactPointKind,
    Customer,
    CustomerKind,
    ImportJob,
    Interaction,
    Product,
    ProductOwned,
)


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def customer_search(qs: QuerySet, query: str, *, phones_first: bool = False) -> QuerySet:
    """Name, organisation name, e-mail or phone (whole or its last digits), each index-backed.

    The kind of query decides the one predicate to use, so PostgreSQL can use an index for it:
    - text with "@": exact e-mail (stored lower-case) → contactpoint_value_idx (kind, value);
    - digits (spaces, dashes, a leading + allowed), at least 3: phone ending in those digits →
      contactpoint_digits_rev_idx, a varchar_pattern_ops B-tree on the reversed digits, so
      "ends with" is a prefix LIKE;
    - anything else: name or organisation name contains → customer_name_trgm_idx (GIN trigram
      on UPPER(name), migration 0002) for both, the organisation through a sub-select that the
      same index serves, OR-ed with the B-tree on organisation_id.

    `phones_first`: the customer lists read the matching phones in a query of their own (see
    below); the record search keeps them as a sub-select, which its own plan serves well.
    """
    query = (query or "").strip()
    if not query:
        return qs
    if "@" in query:
        ids = ContactPoint.objects.filter(kind=ContactPointKind.EMAIL, value=query.lower())
        return qs.filter(pk__in=ids.values("customer_id"))
    digits = _digits(query)
    if len(digits) >= 3 and not query.strip("+-() 0123456789"):
        if phones_first:
            # Read on their own: inside a list ordered by name the planner may over-estimate a
            # suffix (at 1M records 1,003 phones for "7536" against 11) and walk every customer
            # by name instead, 660 ms. A few digits match few customers.
            return qs.filter(pk__in=list(phone_customer_ids(digits)))
        phones = ContactPoint.objects.filter(digits_reversed__startswith=digits[::-1])
        return qs.filter(pk__in=phones.values("customer_id"))
    organisations = Customer.objects.filter(kind=CustomerKind.ORGANISATION, name__icontains=query)
    return qs.filter(Q(name__icontains=query) | Q(organisation_id__in=organisations.values("pk")))


# A phone suffix of three digits matches about one phone in a thousand; past this many the
# search asks for more digits rather than list them all.
PHONE_MATCHES = 500


def phone_customer_ids(digits: str) -> QuerySet:
    """Customers with a phone ending in `digits`: a prefix LIKE on the reversed digits, served
    by contactpoint_digits_rev_idx. No kind filter: only phones carry digits_reversed, and a
    `kind` predicate would tempt the planner onto the (kind, value) index instead."""
    return (
        ContactPoint.objects.filter(digits_reversed__startswith=digits[::-1])
        .values_list("customer_id", flat=True)
        .distinct()[:PHONE_MATCHES]
    )


def customer_base(*, archived: bool | None = False) -> QuerySet:
    qs = Customer.objects.all()
    if archived is not None:
        qs = qs.filter(is_archived=archived)
    return qs


def with_list_data(qs: QuerySet) -> QuerySet:
    """What a list row shows: owner, organisation, tags, the primary phone and e-mail."""
    return qs.select_related("owner", "organisation").prefetch_related(
        "tags",
        Prefetch(
            "contact_points",
            queryset=ContactPoint.objects.filter(is_primary=True, contact__is_primary=True),
            to_attr="primary_points",
        ),
    )


def customer_list(
    *,
    search: str = "",
    filters: dict | None = None,
    order: str = "name",
    archived=False,
    related: bool = True,
) -> QuerySet:
    """Active customers (or archived ones), searched, filtered by field lookups and sorted.
    related=False leaves out with_list_data, for a page that reads its rows as values and their
    tags and contact points itself (customers.rows)."""
    qs = customer_search(customer_base(archived=archived), search, phones_first=True)
    if filters:
        qs = qs.filter(**filters)
    if related:
        qs = with_list_data(qs)
    return qs.order_by(*ORDERINGS.get(order, ORDERINGS["name"]))


# Sort keys users can choose; the pk tiebreak keeps pages stable.
ORDERINGS = {
    "name": ("name", "pk"),
    "-name": ("-name", "-pk"),
    "created": ("created_at", "pk"),
    "-created": ("-created_at", "-pk"),
    "updated": ("updated_at", "pk"),
    "-updated": ("-updated_at", "-pk"),
    "tier": ("management_tier", "name", "pk"),
}


def customer_get_360(*, customer_id: int, archived=None) -> Customer:
    """One customer with everything the 360° page's own sections show, in a fixed set of queries."""
    return (
        customer_base(archived=archived)
        .select_related("owner", "organisation", "merged_into")
        .prefetch_related(
            "tags",
            Prefetch(
                "contacts",
                queryset=Contact.objects.prefetch_related("points"),
            ),
            "addresses",
            Prefetch(
                "products_owned",
                queryset=ProductOwned.objects.select_related("product"),
            ),
            Prefetch("members", queryset=Customer.objects.filter(is_archived=False)),
        )
        .get(pk=customer_id)
    )


def interaction_list(*, customer_id: int | None = None) -> QuerySet:
    qs = Interaction.objects.select_related("staff", "contact", "customer")
    return qs.filter(customer_id=customer_id) if customer_id else qs


def contact_list(*, customer_id: int | None = None) -> QuerySet:
    qs = Contact.objects.prefetch_related("points").select_related("customer")
    return qs.filter(customer_id=customer_id) if customer_id else qs


def product_owned_list(*, customer_id: int | None = None) -> QuerySet:
    qs = ProductOwned.objects.select_related("product", "customer")
    return qs.filter(customer_id=customer_id) if customer_id else qs


def product_list(*, active_only: bool = True) -> QuerySet:
    qs = Product.objects.all()
    return qs.filter(is_active=True) if active_only else qs


def import_job_get(*, job_id: int, user) -> ImportJob:
    """A user sees their own imports; managers and administrators see every import."""
    from servicedesk.core.roles import is_manager_or_admin

    qs = ImportJob.objects.all()
    if not is_manager_or_admin(user):
        qs = qs.filter(created_by=user)
    return qs.get(pk=job_id)
