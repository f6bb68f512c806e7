"""The callback-visit filters of the API list, in the shape of the records' (tickets.filters)."""

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from servicedesk.core.api.serializers import EARLIEST, LATEST
from servicedesk.core.filters import UserIdFilter
from servicedesk.core.models import Department

from .models import CallbackVisit, Method, Purpose, VisitStatus


class BoundedDateTimeFormField(forms.DateTimeField):
    """A moment from 1970 to 2099, as the API's inputs take (BoundedDateTimeField): year 1 or 9999
    would overflow when PostgreSQL converts it to UTC, a 500 instead of a 400."""

    default_error_messages = {"out_of_range": _("Enter a date and time from 1970 to 2099.")}

    def to_python(self, value):
        result = super().to_python(value)
        if result is not None and not EARLIEST <= result < LATEST:
            raise forms.ValidationError(self.error_messages["out_of_range"], code="out_of_range")
        return result


class BoundedDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = BoundedDateTimeFormField


@extend_schema_field(OpenApiTypes.INT)
class DepartmentIdFilter(django_filters.ModelChoiceFilter):
    """A department id: the visits in that department's queue."""


class VisitFilter(django_filters.FilterSet):
    # distinct=False: no join can repeat a visit, and DISTINCT would sort the whole filtered set
    # instead of walking visit_due_idx.
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"), choices=VisitStatus.choices, distinct=False
    )
    due_after = BoundedDateTimeFilter(
        label=_("Due at or after"), field_name="due_at", lookup_expr="gte"
    )
    due_before = BoundedDateTimeFilter(label=_("Due before"), field_name="due_at", lookup_expr="lt")
    assignee = UserIdFilter(
        label=_("Assignee"),
        queryset=get_user_model()
        .objects.filter(is_active=True)
        .order_by("first_name", "last_name", "username"),
    )
    method = django_filters.ChoiceFilter(label=_("Method"), choices=Method.choices)
    purpose = django_filters.ChoiceFilter(label=_("Purpose"), choices=Purpose.choices)
    customer = django_filters.NumberFilter(label=_("Customer id"), field_name="customer_id")
    department = DepartmentIdFilter(label=_("Department"), queryset=Department.objects.all())

    class Meta:
        model = CallbackVisit
        fields: list[str] = []  # only the declared filters above
