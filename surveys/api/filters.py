"""The filters of the invitations' and responses' API lists."""

import datetime

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from servicedesk.core.models import Department

from ..models import (
    NPS_RANGE,
    RATING_RANGE,
    Channel,
    InvitationStatus,
    SurveyInvitation,
    SurveyResponse,
    SurveyTemplate,
)

EARLIEST_DAY = datetime.date(1970, 1, 1)
LATEST_DAY = datetime.date(2099, 12, 31)


class BoundedDateFormField(forms.DateField):
    """A day from 1970 to 2099: year 1 or 9999 would overflow when the day's bounds are made
    aware and sent to the database (a 500 instead of a 400)."""

    default_error_messages = {"out_of_range": _("Enter a date from 1970 to 2099.")}

    def to_python(self, value):
        result = super().to_python(value)
        if result is not None and not EARLIEST_DAY <= result <= LATEST_DAY:
            raise forms.ValidationError(self.error_messages["out_of_range"], code="out_of_range")
        return result


class DayFilter(django_filters.DateFilter):
    field_class = BoundedDateFormField


@extend_schema_field(OpenApiTypes.INT)
class IdChoiceFilter(django_filters.ModelChoiceFilter):
    """A row's id; an unknown one is a 400 naming the filter."""


def _day_start(day: datetime.date) -> datetime.datetime:
    # The desk's days: midnight in the desk's time zone, so a range reads submitted_at's index.
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


class ResponseFilter(django_filters.FilterSet):
    submitted_from = DayFilter(
        method="filter_from", help_text=_("Answered on or after this day (the desk's time zone).")
    )
    submitted_to = DayFilter(
        method="filter_to", help_text=_("Answered on or before this day (the desk's time zone).")
    )
    template = IdChoiceFilter(queryset=SurveyTemplate.objects.all())
    department = IdChoiceFilter(queryset=Department.objects.all())
    rating = django_filters.TypedChoiceFilter(
        choices=[(n, str(n)) for n in RATING_RANGE],
        coerce=int,
        help_text=_("The main rating, 1 to 5."),
    )
    nps = django_filters.TypedChoiceFilter(
        choices=[(n, str(n)) for n in NPS_RANGE],
        coerce=int,
        help_text=_("The likelihood to recommend, 0 to 10."),
    )
    is_low = django_filters.BooleanFilter(help_text=_("A low score (it opens a complaint)."))
    staff_entered = django_filters.BooleanFilter(
        field_name="entered_by",
        lookup_expr="isnull",
        exclude=True,
        help_text=_("Entered by staff from a call (true) or answered by the customer (false)."),
    )
    customer = django_filters.NumberFilter(field_name="customer_id", min_value=1)

    class Meta:
        model = SurveyResponse
        fields: list[str] = []

    def filter_from(self, queryset, name, value):
        return queryset.filter(submitted_at__gte=_day_start(value))

    def filter_to(self, queryset, name, value):
        return queryset.filter(submitted_at__lt=_day_start(value + datetime.timedelta(days=1)))


class InvitationFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=InvitationStatus.choices)
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    template = IdChoiceFilter(queryset=SurveyTemplate.objects.all())
    customer = django_filters.NumberFilter(field_name="customer_id", min_value=1)

    class Meta:
        model = SurveyInvitation
        fields: list[str] = []
