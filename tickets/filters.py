"""The record filters, shared by the list page and the API so both filter the same way."""

import re

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from customers.models import Customer, ManagementTier
from customers.selectors import customer_search
from servicedesk.core.filters import UserIdFilter
from servicedesk.core.models import Department, bilingual
from servicedesk.core.users import person_name

from . import selectors
from .models import Priority, ServiceCategory, ServiceRecord, Stage, Status
from .visibility import department_key


@extend_schema_field(OpenApiTypes.INT)
class DepartmentIdFilter(django_filters.ModelChoiceFilter):
    """A department id; matches records it leads or collaborates on."""


# A record number as people say it: "SR-000301", "sr-301", "SR301" or just "301". At most 15
# digits, so a long number can never overflow the bigint key.
RECORD_NUMBER = re.compile(r"^(?:SR-?)?(\d{1,15})$", re.IGNORECASE)
# Phone searches need this many digits: fewer match far too many customers to be useful.
PHONE_DIGITS = 4


class RecordFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_q")
    stage = django_filters.ChoiceFilter(label=_("Stage"), choices=Stage.choices)
    category = django_filters.ModelChoiceFilter(
        label=_("Category"), queryset=ServiceCategory.objects.order_by("stage", "sort_order")
    )
    # distinct=False: no join can repeat a record here, and a DISTINCT over every column would
    # sort the whole filtered set instead of walking the list's index.
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"), choices=Status.choices, distinct=False
    )
    priority = django_filters.ChoiceFilter(label=_("Priority"), choices=Priority.choices)
    department = DepartmentIdFilter(
        label=_("Department (lead or collaborating)"),
        queryset=Department.objects.filter(is_active=True),
        method="filter_department",
    )
    assignee = UserIdFilter(
        label=_("Assignee"),
        queryset=get_user_model()
        .objects.filter(is_active=True)
        .order_by("first_name", "last_name", "username"),
    )
    unassigned = django_filters.BooleanFilter(
        label=_("Unassigned"), field_name="assignee", lookup_expr="isnull"
    )
    customer = django_filters.NumberFilter(label=_("Customer id"), field_name="customer_id")
    customer_tier = django_filters.ChoiceFilter(
        label=_("Customer tier"),
        choices=ManagementTier.choices,
        field_name="customer__management_tier",
    )
    breached = django_filters.BooleanFilter(label=_("Breached"), method="filter_breached")
    due_soon = django_filters.BooleanFilter(label=_("Due soon"), method="filter_due_soon")
    created_after = django_filters.DateFilter(
        label=_("Created from"), field_name="created_at", lookup_expr="date__gte"
    )
    created_before = django_filters.DateFilter(
        label=_("Created until"), field_name="created_at", lookup_expr="date__lte"
    )

    class Meta:
        model = ServiceRecord
        fields = []

    def filter_q(self, qs, name, value):
        """A record number, a customer's phone (its last 4+ digits) or e-mail, or words of the
        subject or the customer's name. Customers are found by customers.selectors.
        customer_search, the desk's one customer search, as an id sub-select its indexes serve."""
        value = value.strip()
        if not value:
            return qs
        number = RECORD_NUMBER.match(value)
        if number and not value.isdigit():
            return qs.filter(pk=int(number.group(1)))  # "SR-…": only ever a record number
        digits = sum(c.isdigit() for c in value)
        if not value.strip("+-() 0123456789"):
            # Only digits and phone punctuation: a record number and/or the end of a phone.
            cond = Q(pk=int(value)) if number else Q(pk__in=[])
            if digits >= PHONE_DIGITS:
                customers = customer_search(Customer.objects.all(), value)
                cond |= Q(customer_id__in=customers.values("pk"))
            return qs.filter(cond)
        customers = customer_search(Customer.objects.all(), value)
        return qs.filter(Q(subject__icontains=value) | Q(customer_id__in=customers.values("pk")))

    def filter_department(self, qs, name, value):
        # The audience holds the lead and the collaborating departments (tickets.visibility).
        return qs.filter(audience__has_key=department_key(value.pk))

    def filter_breached(self, qs, name, value):
        return qs.filter(selectors.breached_q()) if value else qs.exclude(selectors.breached_q())

    def filter_due_soon(self, qs, name, value):
        return qs.filter(selectors.due_soon_q()) if value else qs.exclude(selectors.due_soon_q())


# --- the list page's filter bar, written by Jinja2 (templates/jinja2/tickets/record_filters.html)
# Django's widgets rendered the bar's fourteen fields through its template engine, and the three
# model choices built a model instance per option (every active user, for "assignee"): together
# the largest part of the list page's time. The form still binds and validates the query; only the
# writing-out changes. The model choices are read as values, from the field's own queryset (same
# rows, same order), labelled as the field labels them.
MODEL_CHOICE_LABELS = {
    # field: (columns after the id, label from those columns)
    "category": (("name_en", "name_zh"), bilingual),
    "department": (("name_en", "name_zh"), bilingual),
    "assignee": (("first_name", "last_name", "username"), person_name),
}


def _choices(field) -> list[tuple[str, str]]:
    spec = MODEL_CHOICE_LABELS.get(field.name) if hasattr(field.field, "queryset") else None
    if spec is None:
        return [(str(value), text) for value, text in field.field.widget.choices]
    columns, name = spec
    empty = field.field.empty_label
    return [
        *([("", empty)] if empty is not None else []),
        *((str(pk), name(*rest)) for pk, *rest in field.field.queryset.values_list("pk", *columns)),
    ]


def filter_bar(form) -> list[dict]:
    """Each field of the filter form as the Jinja template writes it: what Django's widget would
    render, worked out from the bound field. A field with errors is rendered by Django itself
    (its error attributes included): that only happens on a filter that cannot be read."""
    fields = []
    for bf in form:
        widget = bf.field.widget
        entry = {
            "id": bf.id_for_label,
            "label": bf.label,
            "errors": bf.errors,
            "html": None,
            "options": None,
        }
        if bf.errors:
            entry["html"] = str(bf)
        else:
            attrs = {**widget.attrs, "id": bf.auto_id}
            value = widget.format_value(bf.value())
            if isinstance(widget, forms.Select):
                if widget.allow_multiple_selected:
                    attrs["multiple"] = True
                entry["options"] = _choices(bf)
                if isinstance(value, str):  # NullBooleanSelect's one value
                    value = [value]
                # A single select shows its first match only, as Django's does.
                entry["selected"] = set(value) if widget.allow_multiple_selected else set(value[:1])
            else:
                entry["type"] = widget.input_type
                entry["value"] = value
            entry["name"] = bf.html_name
            entry["attrs"] = attrs
        fields.append(entry)
    return fields
