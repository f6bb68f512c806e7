"""The customers app's own parts of the 360° page, registered like any other app's."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from servicedesk.core.users import display_name

from .models import Interaction, ProductOwned
from .timeline import Section, TimelineEntry, register_section, register_source


def interactions_source(customer, limit: int, user=None):
    rows = Interaction.objects.filter(customer=customer).select_related("staff")[:limit]
    for i in rows:
        yield TimelineEntry(
            when=i.occurred_at,
            kind="interaction",
            title=f"{i.get_kind_display()}: {i.summary}",
            actor=display_name(i.staff),
            detail=i.notes,
        )


def purchases_source(customer, limit: int, user=None):
    # Purchases are dated, not timed; created_at orders them among the day's other events.
    # The 360° page has read them all already (selectors.customer_get_360): no second query.
    if "products_owned" in getattr(customer, "_prefetched_objects_cache", {}):
        owned = customer.products_owned.all()
        rows = sorted(owned, key=lambda p: (p.created_at, p.pk), reverse=True)[:limit]
    else:
        rows = (
            ProductOwned.objects.filter(customer=customer)
            .select_related("product")
            .order_by("-created_at", "-pk")[:limit]
        )
    for p in rows:
        yield TimelineEntry(
            when=p.created_at,
            kind="product",
            title=str(_("Product registered: %(product)s") % {"product": p.product.name}),
            detail=p.serial,
        )


def _contacts(customer, user=None) -> dict:
    return {
        "contacts": list(customer.contacts.all()),
        "addresses": list(customer.addresses.all()),
        "add_url": reverse("customers:contact_add", args=[customer.pk]),
    }


def _products(customer, user=None) -> dict:
    return {
        "products": list(customer.products_owned.all()),
        "add_url": reverse("customers:product_add", args=[customer.pk]),
    }


def register() -> None:
    register_source("interactions", interactions_source)
    register_source("products", purchases_source)
    register_section(
        Section("contacts", _("Contacts"), "customers/sections/contacts.html", _contacts, 10)
    )
    register_section(
        Section("products", _("Products owned"), "customers/sections/products.html", _products, 20)
    )
