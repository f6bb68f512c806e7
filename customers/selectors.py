"""Reads for the customer archive: tuned querysets, a fixed number of queries per page."""

from django.db.models import F, Lookup, Prefetch, Q, QuerySet
from django.db.models.lookups import IContains, In

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


class NameContains(IContains):
    """`name__icontains`, and on PostgreSQL also "has every character of the text": a test the
    character index customer_name_chars_idx (GIN on string_to_array(UPPER(name), NULL), migration
    0006) serves. Whoever contains the text has its characters, so the result is the same.

    For a text of one or two characters (a surname: "沈") the trigram index has no trigram to
    look up and PostgreSQL reads all of it (at 1M records 190 ms) or walks the list by name;
    the characters find the 1,287 customers of "沈" in 0.1 ms. The LIKE stays beside it (the
    match itself), which also keeps the planner's estimate small enough to read the matches
    and sort them rather than walk every customer by name hoping to meet them early."""

    def as_postgresql(self, compiler, connection):
        like, like_params = super().as_sql(compiler, connection)
        lhs, lhs_params = compiler.compile(self.lhs)
        chars = f"string_to_array(UPPER({lhs}::text), NULL) @> string_to_array(UPPER(%s), NULL)"
        return f"({like} AND {chars})", (*like_params, *lhs_params, self.rhs)


class InSubquery(In):
    """`field IN (sub-select)`, written on PostgreSQL as `field = ANY(ARRAY(sub-select))`: inside
    an OR, IN (sub-select) is a filter applied row by row (a hashed SubPlan), while = ANY of the
    sub-select's array is an index condition, so the OR becomes a BitmapOr of two index scans."""

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY(ARRAY({rhs}))", (*lhs_params, *rhs_params)


def _name_contains(text: str, *, short: bool) -> Q | Lookup:
    return NameContains(F("name"), text) if short else Q(name__icontains=text)


def customer_search(qs: QuerySet, query: str, *, phones_first: bool = False) -> QuerySet:
    """Name, organisation name, e-mail or phone (whole or its last digits), each index-backed.

    The kind of query decides the one predicate to use, so PostgreSQL can use an index for it:
    - text with "@": exact e-mail (stored lower-case) → contactpoint_value_idx (kind, value);
    - digits (spaces, dashes, a leading + allowed), at least 3: phone ending in those digits →
      contactpoint_digits_rev_idx, a varchar_pattern_ops B-tree on the reversed digits, so
      "ends with" is a prefix LIKE;
    - anything else: name or organisation name contains → customer_name_trgm_idx (GIN trigram
      on UPPER(name), migration 0002) for both; for one or two characters, which have no
      trigram, the character indexes customer_name_chars_idx and (organisations)
      customer_org_chars_idx of migration 0006 (NameContains). The organisations' members come
      through the B-tree on organisation_id with the matching organisations as an array
      (InSubquery), so PostgreSQL ORs two index scans and sorts the few matches.

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
    short = len(query) < 3
    organisations = Customer.objects.filter(
        _name_contains(query, short=short), kind=CustomerKind.ORGANISATION
    ).order_by()
    members = InSubquery(F("organisation_id"), organisations.values("pk"))
    return qs.filter(Q(_name_contains(query, short=short)) | Q(members))


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
