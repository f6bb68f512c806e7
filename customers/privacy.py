"""Personal information (issue 13, item 7; PIPL and GDPR): export everything held about one
customer, and erase a customer.

`customers` knows no app above it (ARCHITECTURE.md), so the apps that hold a customer's data
(tickets, followups, surveys) register a Part from their AppConfig.ready(): what they export
(`export(customer) -> dict[str, list]`, a fixed number of queries however many rows) and how they
erase (`erase(ctx)`, inside the erasure's transaction, with the customer row locked).

What erasure means here:
- the customer's personal fields are anonymised (name → "Erased customer #id"; notes, preferences,
  conversion note and contact hours emptied); contacts keep their rows (records and interactions
  point at them) but lose name, title and notes; phones, e-mails and addresses are deleted;
  interactions keep kind and date but lose summary and notes; products owned lose serial and notes;
- records, complaints, visits and survey answers are kept for the statistics, but their free
  text is emptied, because what a customer said or wrote is personal data (each app's part);
- django-simple-history keeps every old value: the historical rows of every anonymised object
  get the same anonymised values, and change reasons naming the customer are cleared. Otherwise
  it would not be an erasure;
- e-mails the desk wrote to the customer's addresses (core.OutboundEmail) are scrubbed, and
  those not yet sent are given up;
- the customer is archived and marked `erased_at`: services refuse to change them afterwards
  (customers.services.refuse_if_erased); there is no restore;
- a SecurityEvent ERASURE records who, when and which customer id — no personal value.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk.core.exceptions import DomainError
from servicedesk.core.models import EmailState, OutboundEmail
from servicedesk.securitylog import services as securitylog
from servicedesk.securitylog.models import EventKind

from .models import (
    Address,
    Contact,
    ContactPoint,
    ContactPointKind,
    Customer,
    Interaction,
    ProductOwned,
)

FORMAT = "servicedesk.customer-export"
FORMAT_VERSION = 1
ERASED = "[erased]"


@dataclass
class ErasureContext:
    """What the parts of one erasure share: the locked customer, who erases, and the e-mail
    addresses found on the way (each part adds those it holds; all are scrubbed at the end)."""

    customer: Customer
    by: object = None
    emails: set[str] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Part:
    key: str
    export: Callable[[Customer], dict[str, list]]
    erase: Callable[[ErasureContext], None]
    order: int = 100


_parts: dict[str, Part] = {}


def register(part: Part) -> None:
    _parts[part.key] = part


def parts() -> list[Part]:
    return sorted(_parts.values(), key=lambda p: (p.order, p.key))


def scrub_history(model, ids, **values) -> int:
    """Give the historical rows of `model`'s objects `ids` the anonymised `values` too, and
    clear their change reasons (a reason may name the customer). Returns the rows changed."""
    ids = list(ids)
    if not ids:
        return 0
    history = model.history.model
    changes = dict(values)
    if any(f.name == "history_change_reason" for f in history._meta.fields):
        changes["history_change_reason"] = None
    return history.objects.filter(id__in=ids).update(**changes)


# --- export -----------------------------------------------------------------------------------


def _customer_values(customer: Customer) -> dict:
    fields = [f.attname for f in Customer._meta.concrete_fields]
    data = {name: getattr(customer, name) for name in fields}
    data["tags"] = [t.name for t in customer.tags.all()]
    data["classifications"] = {
        "kind": customer.get_kind_display(),
        "management_tier": customer.get_management_tier_display(),
        "lifecycle": customer.get_lifecycle_display(),
        "transaction_progress": customer.get_transaction_progress_display(),
        "chain_position": customer.get_chain_position_display(),
        "marketing_type": customer.get_marketing_type_display(),
        "party": customer.get_party_display(),
    }
    return data


def _own_export(customer: Customer) -> dict[str, list]:
    points = Prefetch(
        "points",
        queryset=ContactPoint.objects.order_by("kind", "-is_primary", "pk"),
    )
    contacts = [
        {
            "id": contact.pk,
            "name": contact.name,
            "title": contact.title,
            "is_primary": contact.is_primary,
            "notes": contact.notes,
            "created_at": contact.created_at,
            "phones_and_emails": [
                {"kind": p.kind, "value": p.value, "label": p.label, "is_primary": p.is_primary}
                for p in contact.points.all()
            ],
        }
        for contact in Contact.objects.filter(customer=customer).prefetch_related(points)
    ]
    return {
        "contacts": contacts,
        "addresses": list(
            Address.objects.filter(customer=customer).values(
                "id", "label", "line", "city", "province", "postal_code", "is_primary"
            )
        ),
        "products_owned": list(
            ProductOwned.objects.filter(customer=customer).values(
                "id",
                "product__sku",
                "product__name_en",
                "product__name_zh",
                "serial",
                "purchase_date",
                "warranty_end",
                "notes",
                "created_at",
            )
        ),
        "interactions": list(
            Interaction.objects.filter(customer=customer)
            .order_by("occurred_at", "pk")
            .values(
                "id", "kind", "occurred_at", "contact_id", "staff__username", "summary", "notes"
            )
        ),
    }


def customer_export(*, customer_id: int, by=None, request=None) -> dict:
    """Everything held about one customer, as plain data for a JSON file (DjangoJSONEncoder).

    A fixed number of queries: two for the customer and tags, four for this app's rows, and each
    registered part's own fixed number. Logged as an EXPORT security event (ids only).
    """
    customer = Customer.objects.prefetch_related("tags").get(pk=customer_id)
    data = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "exported_at": timezone.now(),
        "customer": _customer_values(customer),
    }
    data.update(_own_export(customer))
    for part in parts():
        data.update(part.export(customer))
    securitylog.record(
        EventKind.EXPORT,
        request=request,
        user=by if getattr(by, "is_authenticated", False) else None,
        what="customer_personal_data",
        customer=customer.pk,
    )
    return data


# --- erasure ----------------------------------------------------------------------------------


class ErasureRefused(DomainError):
    pass


def erased_name(customer_id: int) -> str:
    return f"Erased customer #{customer_id}"


def confirmation_matches(customer: Customer, typed: str) -> bool:
    """The erasure page asks for the customer's name, typed (spaces around it do not matter)."""
    return (typed or "").strip().casefold() == customer.name.strip().casefold()


def _erase_own(ctx: ErasureContext) -> None:
    customer = ctx.customer
    points = ContactPoint.objects.filter(customer=customer)
    ctx.emails.update(points.filter(kind=ContactPointKind.EMAIL).values_list("value", flat=True))
    ctx.counts["contact_points"] = points.delete()[0]
    ctx.counts["addresses"] = Address.objects.filter(customer=customer).delete()[0]

    # update() writes no history row; the history rows get the same values just after.
    contact_ids = list(Contact.objects.filter(customer=customer).values_list("pk", flat=True))
    blank_contact = {"name": ERASED, "title": "", "notes": ""}
    ctx.counts["contacts"] = Contact.objects.filter(pk__in=contact_ids).update(**blank_contact)
    scrub_history(Contact, contact_ids, **blank_contact)

    interaction_ids = list(
        Interaction.objects.filter(customer=customer).values_list("pk", flat=True)
    )
    blank_interaction = {"summary": ERASED, "notes": ""}
    ctx.counts["interactions"] = Interaction.objects.filter(pk__in=interaction_ids).update(
        **blank_interaction
    )
    scrub_history(Interaction, interaction_ids, **blank_interaction)

    owned_ids = list(ProductOwned.objects.filter(customer=customer).values_list("pk", flat=True))
    blank_owned = {"serial": "", "notes": ""}
    ctx.counts["products_owned"] = ProductOwned.objects.filter(pk__in=owned_ids).update(
        **blank_owned
    )
    scrub_history(ProductOwned, owned_ids, **blank_owned)


_BLANK_CUSTOMER = {
    "preferences": "",
    "notes": "",
    "conversion_note": "",
    "contact_from": None,
    "contact_until": None,
}


def _scrub_emails(ctx: ErasureContext) -> None:
    addresses = {e.strip().lower() for e in ctx.emails if e and e.strip()}
    if not addresses:
        return
    mails = OutboundEmail.objects.filter(to__in=addresses)
    # Not yet sent: given up (the worker sends queued rows only), so nothing reaches the old
    # address after the erasure.
    mails.filter(state=EmailState.QUEUED).update(
        state=EmailState.FAILED, last_error="customer erased"
    )
    ctx.counts["emails"] = mails.update(to="erased@invalid.invalid", subject=ERASED, body=ERASED)


@transaction.atomic
def customer_erase(*, customer_id: int, confirm: str, by, request=None) -> Customer:
    """Anonymise one customer and everything that identifies them, keeping the statistics.

    One transaction with the customer row locked: a concurrent edit waits and then finds the
    customer erased (the services refuse it). Irreversible: nothing is kept to restore from.
    `confirm` must be the customer's name (the confirmation page's field).
    """
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    if customer.erased_at is not None:
        raise ErasureRefused(_("This customer was already erased."), code="erased")
    if not confirmation_matches(customer, confirm):
        raise ErasureRefused(
            _("Type the customer's name exactly as shown to confirm."), field="confirm"
        )
    old_name = customer.name
    ctx = ErasureContext(customer=customer, by=by)
    # Apps above first: they may read the customer's contact points (e-mails) before they go.
    for part in parts():
        part.erase(ctx)
    _erase_own(ctx)

    now = timezone.now()
    name = erased_name(customer.pk)
    for attr, value in _BLANK_CUSTOMER.items():
        setattr(customer, attr, value)
    customer.name = name
    customer.is_archived = True
    customer.archived_at = customer.archived_at or now
    customer.erased_at = now
    customer.supervisor_since = None
    customer.version += 1
    scrub_history(Customer, [customer.pk], name=name, supervisor_since=None, **_BLANK_CUSTOMER)
    # The erasure's own history row, after the scrub: who erased, and when, without the name.
    customer._change_reason = "erased"
    if getattr(by, "is_authenticated", False):
        customer._history_user = by
    customer.save()
    customer.tags.clear()
    # Other customers' change reasons may name this one ("merged #12 Li Wei into #7").
    if old_name.strip():
        Customer.history.model.objects.filter(history_change_reason__contains=old_name).update(
            history_change_reason=None
        )
    _scrub_emails(ctx)
    securitylog.record(
        EventKind.ERASURE,
        request=request,
        user=by if getattr(by, "is_authenticated", False) else None,
        customer=customer.pk,
    )
    return customer
