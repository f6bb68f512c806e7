"""The customers' API list read as values (servicedesk.core.api.lean): the same items as
CustomerOutputSerializer gives for those rows, held equal by tests/customers/test_api_fast.py."""

from collections import defaultdict

from servicedesk.core.api.lean import Shape

from ..models import CLASSIFICATIONS, ContactPoint, Customer
from .serializers import ContactPointSerializer, CustomerOutputSerializer

CUSTOMER_SHAPE = Shape(
    CustomerOutputSerializer,
    columns={"organisation_name": "organisation__name", "owner_username": "owner__username"},
    computed=("tags", "primary_points"),
)
CUSTOMER_COLUMNS = (
    "id",
    "kind",
    "name",
    "organisation",
    "organisation__name",
    *CLASSIFICATIONS,
    "converted_at",
    "conversion_cause",
    "owner",
    "owner__username",
    "region",
    "contact_from",
    "contact_until",
    "preferences",
    "notes",
    "is_archived",
    "archived_at",
    "merged_into",
    "version",
    "created_at",
    "updated_at",
)
POINT_SHAPE = Shape(ContactPointSerializer)
POINT_COLUMNS = ("customer_id", "id", "kind", "value", "label", "is_primary")


def _tags(customer_ids) -> dict[int, list[str]]:
    # Tag's order (name), as `customer.tags.all()` reads them.
    through = Customer.tags.through
    rows = (
        through.objects.filter(customer_id__in=customer_ids)
        .order_by("tag__name", "tag_id")
        .values_list("customer_id", "tag__name")
    )
    found = defaultdict(list)
    for customer_id, name in rows:
        found[customer_id].append(name)
    return found


def _primary_points(customer_ids) -> dict[int, list[dict]]:
    # customers.selectors.with_list_data's prefetch: the primary contact's primary points.
    rows = list(
        ContactPoint.objects.filter(
            customer_id__in=customer_ids, is_primary=True, contact__is_primary=True
        ).values(*POINT_COLUMNS)
    )
    found = defaultdict(list)
    for row, item in zip(rows, POINT_SHAPE.items(rows), strict=True):
        found[row["customer_id"]].append(item)
    return found


def customer_items(rows: list[dict]) -> list[dict]:
    """CustomerOutputSerializer's items for rows of CUSTOMER_COLUMNS (two more queries, as the
    prefetches of tags and primary points)."""
    ids = [r["id"] for r in rows]
    tags = _tags(ids) if ids else {}
    points = _primary_points(ids) if ids else {}
    for row in rows:
        row["tags"] = tags.get(row["id"], [])
        row["primary_points"] = points.get(row["id"], [])
    return CUSTOMER_SHAPE.items(rows)
