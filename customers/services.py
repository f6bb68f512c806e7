"""Writes for the customer archive."""

from django.db import transaction
from django.utils import timezone

from .models import ConversionCause, Customer, Lifecycle


@transaction.atomic
def customer_record_conversion(
    *, customer_id: int, cause: str, note: str = "", when=None
) -> tuple[Customer, bool]:
    """A potential customer becomes actual at the first sale or completed service.

    Any app calls this (tickets when a service is resolved, an order integration on a sale). It is
    idempotent: an actual customer keeps the date and cause of their first conversion. Returns the
    customer and whether this call converted them.
    """
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    if customer.lifecycle == Lifecycle.ACTUAL:
        return customer, False
    customer.lifecycle = Lifecycle.ACTUAL
    customer.converted_at = when or timezone.now()
    customer.conversion_cause = ConversionCause(cause)
    customer.conversion_note = note[:200]
    customer.version += 1
    customer._change_reason = f"converted: {cause}"
    customer.save()
    return customer, True
