"""The reviews' API list filters."""

import django_filters
from django.utils.translation import gettext_lazy as _

from servicedesk.core.models import Department
from surveys.api.filters import IdChoiceFilter

from ..models import CheckForm, Review


class ReviewFilter(django_filters.FilterSet):
    form = IdChoiceFilter(queryset=CheckForm.objects.all())
    department = IdChoiceFilter(queryset=Department.objects.all())
    agent = django_filters.NumberFilter(field_name="agent_id", min_value=1)
    acknowledged = django_filters.BooleanFilter(
        field_name="acknowledged_at",
        lookup_expr="isnull",
        exclude=True,
        help_text=_("Acknowledged by the agent (true) or not yet (false)."),
    )

    class Meta:
        model = Review
        fields: list[str] = []
