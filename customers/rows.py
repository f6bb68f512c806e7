"""The customer list's rows, read as plain values rather than model instances.

Through select_related and two prefetches a page of 25 customers built some 150 model instances
(customer, owner, organisation, tags, contact points), and the template called
get_FOO_display twice a row; that was most of the page's time (bench/where_time_goes.py
customer_list). The rows read only the columns the list shows; the tags and the primary phone
and e-mail of the page's customers come in two narrow reads of their own (`page_rows`).
"""

import functools
from dataclasses import dataclass, field

from servicedesk.core.choices import label
from servicedesk.core.users import person_name

from .models import ContactPoint, ContactPointKind, Customer
from .templatetags.customer_tags import phone

ROW_FIELDS = (
    "id",
    "name",
    "organisation_id",
    "organisation__name",
    "is_archived",
    "management_tier",
    "lifecycle",
    "region",
    "owner__first_name",
    "owner__last_name",
    "owner__username",
)

# Formatting a number parses it (phonenumbers, ~60 µs), the dearest call of a row; the same
# numbers come back page after page (customer and callback lists), and the result depends on the
# text alone.
phone_text = functools.lru_cache(maxsize=4096)(phone)


@dataclass(slots=True)
class CustomerRow:
    pk: int
    url: str
    name: str
    organisation_name: str | None
    is_archived: bool
    management_tier: str
    lifecycle: str
    region: str
    owner_name: str
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


def customer_row(values: dict, url) -> CustomerRow:
    """One row; `url` is servicedesk.core.jinja_env.id_url's, made once a page."""
    return CustomerRow(
        pk=values["id"],
        url=url(values["id"]),
        name=values["name"],
        organisation_name=values["organisation__name"] if values["organisation_id"] else None,
        is_archived=values["is_archived"],
        management_tier=label(Customer, "management_tier", values["management_tier"]),
        lifecycle=label(Customer, "lifecycle", values["lifecycle"]),
        region=values["region"],
        owner_name=person_name(
            values["owner__first_name"], values["owner__last_name"], values["owner__username"]
        ),
    )


def add_contacts_and_tags(rows: list[CustomerRow]) -> list[CustomerRow]:
    """Each row's primary phone and e-mail (the primary contact's primary ones, as
    selectors.with_list_data's primary_points) and its tags, by name: two queries for the page."""
    by_pk = {row.pk: row for row in rows}
    if not by_pk:
        return rows
    points = (
        ContactPoint.objects.filter(
            customer_id__in=by_pk, is_primary=True, contact__is_primary=True
        )
        .order_by(*ContactPoint._meta.ordering)
        .values_list("customer_id", "kind", "value")
    )
    for customer_id, kind, value in points:
        row = by_pk[customer_id]
        if kind == ContactPointKind.PHONE:
            row.phones.append(phone_text(value))
        elif kind == ContactPointKind.EMAIL:
            row.emails.append(value)
    tagged = (
        Customer.tags.through.objects.filter(customer_id__in=by_pk)
        .order_by("tag__name")
        .values_list("customer_id", "tag__name")
    )
    for customer_id, name in tagged:
        by_pk[customer_id].tags.append(name)
    return rows
