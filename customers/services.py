"""Writes for the customer archive. Pages, the API, the import task and demo data all call these."""

import calendar
import datetime
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk.core.concurrency import versioned_update
from servicedesk.core.exceptions import DomainError
from servicedesk.securitylog import services as securitylog
from servicedesk.securitylog.models import EventKind

from .contactpoints import clean_points, digits_reversed, normalise_email, normalise_phone
from .models import (
    Contact,
    ContactPoint,
    ContactPointKind,
    ConversionCause,
    Customer,
    CustomerKind,
    Interaction,
    Lifecycle,
    Product,
    ProductOwned,
    Tag,
)

# What a caller may set on a customer through create/update; everything else is managed here.
EDITABLE_FIELDS = (
    "kind",
    "name",
    "organisation",
    "management_tier",
    "lifecycle",
    "transaction_progress",
    "chain_position",
    "marketing_type",
    "party",
    "owner",
    "region",
    "language",
    "preferences",
    "notes",
    "contact_from",
    "contact_until",
)


class DuplicateCustomerError(DomainError):
    """A phone or e-mail is already on file: the caller shows `matches` and may insist."""

    def __init__(self, matches, *, field: str = "phones"):
        names = ", ".join(f"{c.name} (#{c.pk})" for c in matches)
        super().__init__(
            _("Already on file for: %(names)s.") % {"names": names}, field=field, code="duplicate"
        )
        self.matches = list(matches)


class ErasedCustomerError(DomainError):
    default_message = _("This customer was erased; their file can no longer be changed.")


def refuse_if_erased(customer) -> None:
    """An erased customer (customers.privacy.customer_erase) is never written again."""
    if customer.erased_at is not None:
        raise ErasedCustomerError(code="erased")


def _refuse_erased_id(customer_id: int) -> None:
    if Customer.objects.filter(pk=customer_id, erased_at__isnull=False).exists():
        raise ErasedCustomerError(code="erased")


def _stamp(obj, by) -> None:
    # Pages get the history user from simple_history's middleware; the API and tasks pass `by`.
    if by is not None and getattr(by, "is_authenticated", False):
        obj._history_user = by


def _contact_hours_errors(start, end) -> dict:
    """The rule of the constraint customer_contact_hours_in_order, as field messages: both times
    or neither, and "until" after "from"."""
    if start is None and end is not None:
        return {"contact_from": [_("Give both times, or leave both empty.")]}
    if start is not None and end is None:
        return {"contact_until": [_("Give both times, or leave both empty.")]}
    if start is not None and end <= start:
        return {"contact_until": [_("Choose a time after “call from”.")]}
    return {}


def _validate_customer(customer: Customer) -> None:
    """Choices, lengths and cross-field rules, as field errors; constraints stay in the database."""
    customer.full_clean(
        exclude=["tags", "version"], validate_unique=False, validate_constraints=False
    )
    errors = {}
    if customer.organisation_id and customer.organisation_id == customer.pk:
        errors["organisation"] = [_("A customer cannot be their own organisation.")]
    if (
        customer.organisation is not None
        and customer.organisation.kind != CustomerKind.ORGANISATION
    ):
        errors["organisation"] = [_("Choose a customer of kind organisation.")]
    errors.update(_contact_hours_errors(customer.contact_from, customer.contact_until))
    if errors:
        raise ValidationError(errors)


def _apply_lifecycle(customer: Customer, previous: str | None) -> None:
    # An "actual" customer always carries the conversion date (a database constraint says so).
    if customer.lifecycle == Lifecycle.ACTUAL and customer.converted_at is None:
        customer.converted_at = timezone.now()
        customer.conversion_cause = ConversionCause.MANUAL
    elif customer.lifecycle == Lifecycle.POTENTIAL and previous == Lifecycle.ACTUAL:
        customer.converted_at = None
        customer.conversion_cause = ""
        customer.conversion_note = ""


def customer_find_duplicates(*, phones=(), emails=(), exclude_id: int | None = None) -> list:
    """Active customers holding any of these phones or e-mails (inputs are normalised first)."""
    clean_phones, clean_emails, _errors = clean_points(phones, emails)
    if not clean_phones and not clean_emails:
        return []
    from django.db.models import Q

    match = Q(kind=ContactPointKind.PHONE, value__in=clean_phones) | Q(
        kind=ContactPointKind.EMAIL, value__in=clean_emails
    )
    ids = ContactPoint.objects.filter(match).values("customer_id")
    qs = Customer.objects.filter(pk__in=ids, is_archived=False).order_by("name", "pk")
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    return list(qs)


def _add_points(contact: Contact, *, phones: list[str], emails: list[str]) -> None:
    """Normalised values; the first of each kind becomes primary if the contact has none yet."""
    has_primary = set(contact.points.filter(is_primary=True).values_list("kind", flat=True))
    rows = []
    for kind, values in ((ContactPointKind.PHONE, phones), (ContactPointKind.EMAIL, emails)):
        for i, value in enumerate(values):
            rows.append(
                ContactPoint(
                    contact=contact,
                    customer_id=contact.customer_id,
                    kind=kind,
                    value=value,
                    digits_reversed=digits_reversed(value)
                    if kind == ContactPointKind.PHONE
                    else "",
                    is_primary=i == 0 and kind not in has_primary,
                )
            )
    ContactPoint.objects.bulk_create(rows)


@transaction.atomic
def customer_create(
    *,
    name: str,
    by=None,
    tags=(),
    contact_name: str = "",
    phones=(),
    emails=(),
    allow_duplicate: bool = False,
    **fields,
) -> Customer:
    """A customer with a primary contact holding the given phones and e-mails.

    Raises ValidationError (per field) for bad input and DuplicateCustomerError when a phone or
    e-mail is already on file, unless `allow_duplicate`.
    """
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({f: [_("This field cannot be set.")] for f in sorted(unknown)})
    clean_phones, clean_emails, errors = clean_points(phones, emails)
    customer = Customer(name=(name or "").strip(), **fields)
    try:
        _validate_customer(customer)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    if not allow_duplicate:
        matches = customer_find_duplicates(phones=clean_phones, emails=clean_emails)
        if matches:
            phone_hit = ContactPoint.objects.filter(
                kind=ContactPointKind.PHONE, value__in=clean_phones, customer__in=matches
            ).exists()
            raise DuplicateCustomerError(matches, field="phones" if phone_hit else "emails")
    _apply_lifecycle(customer, None)
    customer._change_reason = _("created")
    _stamp(customer, by)
    customer.save()
    if tags:
        customer.tags.set(_tags(tags))
    if clean_phones or clean_emails or contact_name:
        contact = Contact.objects.create(
            customer=customer, name=(contact_name or customer.name)[:120], is_primary=True
        )
        _add_points(contact, phones=clean_phones, emails=clean_emails)
    return customer


def _tags(values) -> list[Tag]:
    out = []
    for value in values:
        if isinstance(value, Tag):
            out.append(value)
        elif str(value).strip():
            out.append(Tag.objects.get_or_create(name=str(value).strip()[:50])[0])
    return out


@transaction.atomic
def customer_update(
    *, customer_id: int, version: int | None, changes: dict, tags=None, by=None
) -> Customer:
    """Apply `changes` if the caller saw the current `version`, else ConflictError."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({f: [_("This field cannot be changed.")] for f in sorted(unknown)})
    previous = {}

    def validate(obj):
        refuse_if_erased(obj)
        _apply_lifecycle(obj, previous.get("lifecycle"))
        _validate_customer(obj)
        obj._change_reason = _("edited")
        _stamp(obj, by)

    current = Customer.objects.filter(pk=customer_id).values("lifecycle").first()
    if current is None:
        raise Customer.DoesNotExist
    previous.update(current)
    if "name" in changes:
        changes = {**changes, "name": (changes["name"] or "").strip()}
    customer = versioned_update(
        Customer.objects.all(), pk=customer_id, version=version, changes=changes, validate=validate
    )
    if tags is not None:
        customer.tags.set(_tags(tags))
    return customer


@transaction.atomic
def customer_archive(*, customer_id: int, by=None, reason: str = "") -> Customer:
    """Soft delete: the record and its history stay, lists and duplicate checks skip it."""
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    if customer.is_archived:
        return customer
    customer.is_archived = True
    customer.archived_at = timezone.now()
    customer.version += 1
    customer._change_reason = reason or _("archived")
    _stamp(customer, by)
    customer.save()
    return customer


# --- contacts ---------------------------------------------------------------------------------


@transaction.atomic
def contact_add(
    *,
    customer: Customer,
    name: str,
    title: str = "",
    is_primary: bool = False,
    phones=(),
    emails=(),
    notes: str = "",
) -> Contact:
    clean_phones, clean_emails, errors = clean_points(phones, emails)
    if not (name or "").strip():
        errors["name"] = [_("Enter the contact's name.")]
    if errors:
        raise ValidationError(errors)
    # Lock the customer so two people adding a primary contact at once cannot both win.
    refuse_if_erased(Customer.objects.select_for_update().get(pk=customer.pk))
    has_primary = customer.contacts.filter(is_primary=True)
    if is_primary:
        has_primary.update(is_primary=False)
    elif not has_primary.exists():
        is_primary = True  # a customer's first contact is their primary one
    contact = Contact.objects.create(
        customer=customer, name=name.strip()[:120], title=title, is_primary=is_primary, notes=notes
    )
    _add_points(contact, phones=clean_phones, emails=clean_emails)
    return contact


@transaction.atomic
def contact_update(
    *, contact: Contact, name: str, title: str = "", is_primary: bool = False, notes: str = ""
) -> Contact:
    if not (name or "").strip():
        raise ValidationError({"name": [_("Enter the contact's name.")]})
    locked = Customer.objects.select_for_update().filter(pk=contact.customer_id).first()
    if locked is not None:
        refuse_if_erased(locked)
    if is_primary and not contact.is_primary:
        Contact.objects.filter(customer_id=contact.customer_id, is_primary=True).update(
            is_primary=False
        )
    # Unsetting the only primary would leave the customer without one: it stays primary.
    contact.is_primary = is_primary or contact.is_primary and not _other_contacts(contact)
    contact.name, contact.title, contact.notes = name.strip()[:120], title, notes
    contact.save()
    return contact


def _other_contacts(contact) -> bool:
    return Contact.objects.filter(customer_id=contact.customer_id).exclude(pk=contact.pk).exists()


def _clean_point(kind: str, value: str) -> str:
    fn = normalise_phone if kind == ContactPointKind.PHONE else normalise_email
    if kind not in ContactPointKind.values:
        raise ValidationError({"kind": [_("Choose phone or e-mail.")]})
    try:
        return fn(value)
    except ValidationError as exc:
        raise ValidationError({"value": exc.messages}) from exc


@transaction.atomic
def contact_point_add(
    *, contact: Contact, kind: str, value: str, label: str = "", is_primary: bool = False
) -> ContactPoint:
    clean = _clean_point(kind, value)
    _refuse_erased_id(contact.customer_id)
    Contact.objects.select_for_update().filter(pk=contact.pk).first()
    if contact.points.filter(kind=kind, value=clean).exists():
        raise DomainError(_("This contact already has it."), field="value", code="duplicate")
    others = contact.points.filter(kind=kind, is_primary=True)
    if is_primary:
        others.update(is_primary=False)
    else:
        is_primary = not others.exists()
    return ContactPoint.objects.create(
        contact=contact,
        customer_id=contact.customer_id,
        kind=kind,
        value=clean,
        digits_reversed=digits_reversed(clean) if kind == ContactPointKind.PHONE else "",
        label=label,
        is_primary=is_primary,
    )


@transaction.atomic
def contact_point_update(
    *, point: ContactPoint, value: str, label: str = "", is_primary: bool = False
) -> ContactPoint:
    clean = _clean_point(point.kind, value)
    _refuse_erased_id(point.customer_id)
    Contact.objects.select_for_update().filter(pk=point.contact_id).first()
    clash = ContactPoint.objects.filter(contact_id=point.contact_id, kind=point.kind, value=clean)
    if clash.exclude(pk=point.pk).exists():
        raise DomainError(_("This contact already has it."), field="value", code="duplicate")
    if is_primary and not point.is_primary:
        ContactPoint.objects.filter(
            contact_id=point.contact_id, kind=point.kind, is_primary=True
        ).update(is_primary=False)
        point.is_primary = True
    point.value, point.label = clean, label
    point.digits_reversed = digits_reversed(clean) if point.kind == ContactPointKind.PHONE else ""
    point.save()
    return point


# --- interactions and products ----------------------------------------------------------------


@transaction.atomic
def interaction_log(
    *,
    customer: Customer,
    kind: str,
    summary: str,
    staff=None,
    occurred_at: datetime.datetime | None = None,
    notes: str = "",
    contact: Contact | None = None,
) -> Interaction:
    _refuse_erased_id(customer.pk)
    interaction = Interaction(
        customer=customer,
        kind=kind,
        summary=(summary or "").strip(),
        staff=staff,
        occurred_at=occurred_at or timezone.now(),
        notes=notes,
        contact=contact,
    )
    interaction.full_clean(exclude=["customer", "contact", "staff"])
    if contact is not None and contact.customer_id != customer.pk:
        raise ValidationError({"contact": [_("This contact belongs to another customer.")]})
    interaction.save()
    return interaction


def add_months(day: datetime.date, months: int) -> datetime.date:
    """Same day `months` later, clamped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


@transaction.atomic
def product_owned_add(
    *,
    customer: Customer,
    product: Product,
    serial: str = "",
    purchase_date: datetime.date | None = None,
    warranty_end: datetime.date | None = None,
    notes: str = "",
) -> ProductOwned:
    """Record a product the customer owns; the warranty ends `warranty_months` after purchase."""
    _refuse_erased_id(customer.pk)
    if purchase_date is not None and purchase_date > timezone.localdate():
        raise ValidationError({"purchase_date": [_("The purchase date cannot be in the future.")]})
    if warranty_end is None and purchase_date is not None:
        warranty_end = add_months(purchase_date, product.warranty_months)
    if warranty_end and purchase_date and warranty_end < purchase_date:
        raise ValidationError({"warranty_end": [_("The warranty cannot end before purchase.")]})
    serial = (serial or "").strip()
    if serial and ProductOwned.objects.filter(product=product, serial=serial).exists():
        raise ValidationError({"serial": [_("This serial number is already registered.")]})
    try:
        with transaction.atomic():
            return ProductOwned.objects.create(
                customer=customer,
                product=product,
                serial=serial,
                purchase_date=purchase_date,
                warranty_end=warranty_end,
                notes=notes,
            )
    except IntegrityError as exc:  # a concurrent registration of the same serial
        raise ValidationError({"serial": [_("This serial number is already registered.")]}) from exc


# --- merge ------------------------------------------------------------------------------------

# Apps above register steps that must run before a merge moves their rows (e.g. followups cancels
# a periodic visit both customers have, which the move would otherwise make a duplicate of).
_merge_hooks: dict[str, Callable] = {}


def register_merge_hook(name: str, hook: Callable) -> None:
    """`hook(survivor_id=, duplicate_id=, by=)` runs inside the merge's transaction."""
    _merge_hooks[name] = hook


# Blank text fields of the survivor are filled from the duplicate; notes are concatenated.
_FILL_FIELDS = ("region", "preferences")


@transaction.atomic
def customer_merge(*, survivor_id: int, duplicate_id: int, by=None, request=None) -> Customer:
    """Move every row that points at the duplicate to the survivor, then archive the duplicate.

    Relations are found through Customer._meta.related_objects, so foreign keys that later apps
    add (service records, callbacks, survey invitations) move too without this app knowing them.
    Moved rows are updated in bulk, which writes no history rows for them; the merge itself is in
    both customers' history with its reason.
    """
    if survivor_id == duplicate_id:
        raise DomainError(_("Choose two different customers."), field="duplicate")
    # Lock both in primary-key order so two opposite merges cannot deadlock.
    locked = {
        c.pk: c
        for c in Customer.objects.select_for_update()
        .filter(pk__in=[survivor_id, duplicate_id])
        .order_by("pk")
    }
    if len(locked) != 2:
        raise DomainError(_("Customer not found."), field="duplicate", code="not_found")
    survivor, duplicate = locked[survivor_id], locked[duplicate_id]
    if survivor.is_archived or duplicate.is_archived:
        raise DomainError(_("Archived customers cannot be merged."), field="duplicate")

    for hook in _merge_hooks.values():
        hook(survivor_id=survivor.pk, duplicate_id=duplicate.pk, by=by)

    # One primary contact / address per customer: the survivor's stay primary.
    for related in ("contacts", "addresses"):
        if getattr(survivor, related).filter(is_primary=True).exists():
            getattr(duplicate, related).filter(is_primary=True).update(is_primary=False)

    for rel in Customer._meta.related_objects:
        if rel.many_to_many:
            continue  # none point at Customer today; tags are a forward field, handled below
        model, field = rel.related_model, rel.field.name
        rows = model._base_manager.filter(**{field: duplicate})
        if model is Customer:
            rows = rows.exclude(pk=survivor.pk)  # the survivor cannot become its own member
        rows.update(**{field: survivor})
    survivor.tags.add(*duplicate.tags.all())

    for name in _FILL_FIELDS:
        if not getattr(survivor, name) and getattr(duplicate, name):
            setattr(survivor, name, getattr(duplicate, name))
    if duplicate.notes:
        survivor.notes = "\n".join(n for n in (survivor.notes, duplicate.notes) if n)
    if survivor.owner_id is None:
        survivor.owner_id = duplicate.owner_id
    if survivor.lifecycle == Lifecycle.POTENTIAL and duplicate.lifecycle == Lifecycle.ACTUAL:
        survivor.lifecycle = Lifecycle.ACTUAL
        survivor.converted_at = duplicate.converted_at
        survivor.conversion_cause = duplicate.conversion_cause
        survivor.conversion_note = duplicate.conversion_note
    reason = _("merged #%(dup)s %(name)s into #%(survivor)s") % {
        "dup": duplicate.pk,
        "name": duplicate.name,
        "survivor": survivor.pk,
    }
    survivor.version += 1
    survivor._change_reason = reason
    _stamp(survivor, by)
    survivor.save()

    duplicate.refresh_from_db()
    duplicate.is_archived = True
    duplicate.archived_at = timezone.now()
    duplicate.merged_into = survivor
    duplicate.version += 1
    duplicate._change_reason = reason
    _stamp(duplicate, by)
    duplicate.save()
    # In the merge's transaction: logged if and only if the merge commits. Ids only, no names.
    securitylog.record(
        EventKind.MERGE,
        request=request,
        user=by if getattr(by, "is_authenticated", False) else None,
        survivor=survivor.pk,
        duplicate=duplicate.pk,
    )
    return survivor


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
