"""/api/v1/kpis/: the query it takes and the figures it answers (the page's, from kpis.report)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from customers.models import ManagementTier
from servicedesk.core.api.serializers import BoundedDateField, IdField, InputSerializer
from tickets.complaints.models import Step
from tickets.models import Stage

from ..kpis import DEFINITIONS, Unit


class KpiQueryInputSerializer(InputSerializer):
    # The dashboard's filters as query parameters; the dashboard's form checks them further (the
    # period's length, that the rows exist, what the caller's role may choose).
    ignored_keys = frozenset({"format"})

    since = BoundedDateField(required=False, help_text=_("First day (default: 89 days ago)."))
    until = BoundedDateField(required=False, help_text=_("Last day, inclusive (default: today)."))
    department = IdField(required=False, help_text=_("A department's id."))
    agent = IdField(
        required=False,
        help_text=_("An agent's user id (the records' assignee). Agents may name only themselves."),
    )
    stage = serializers.ChoiceField(choices=Stage.choices, required=False)
    category = IdField(required=False, help_text=_("A service category's id."))
    tier = serializers.ChoiceField(
        choices=ManagementTier.choices, required=False, help_text=_("Customer tier.")
    )


@extend_schema_field({"type": "number", "nullable": True})
class NumberField(serializers.Field):
    """An int or a float as computed, null when there is nothing to divide by."""

    def to_representation(self, value):
        return value


class PeriodSerializer(serializers.Serializer):
    since = serializers.DateField()
    until = serializers.DateField()
    previous_since = serializers.DateField()
    previous_until = serializers.DateField()


class FiltersSerializer(serializers.Serializer):
    period = PeriodSerializer()
    department = serializers.IntegerField(allow_null=True)
    agent = serializers.IntegerField(allow_null=True)
    stage = serializers.CharField()
    category = serializers.IntegerField(allow_null=True)
    tier = serializers.CharField()


class FigureSerializer(serializers.Serializer):
    key = serializers.ChoiceField(choices=[d.key for d in DEFINITIONS])
    group = serializers.CharField()
    label = serializers.CharField(help_text=_("In the request's language."))
    unit = serializers.ChoiceField(
        choices=[Unit.RATE, Unit.COUNT, Unit.HOURS, Unit.PER_1000, Unit.NPS, Unit.ESTIMATE]
    )
    value = NumberField(help_text=_("Rates are 0..1; null when there is nothing to divide by."))
    shown = serializers.CharField(help_text=_("The value as the dashboard shows it."))
    previous = NumberField(help_text=_("The value over the as-long period just before."))
    previous_shown = serializers.CharField()
    change = NumberField()
    note = serializers.CharField(help_text=_('"estimate", "no data source", or empty.'))
    definition = serializers.CharField()


class StepRowSerializer(serializers.Serializer):
    step = serializers.ChoiceField(choices=Step.choices)
    label = serializers.CharField()
    count = serializers.IntegerField()
    average_hours = NumberField()


class AgeRowSerializer(serializers.Serializer):
    low = serializers.IntegerField(help_text=_("Days, inclusive."))
    high = serializers.IntegerField(allow_null=True, help_text=_("Days, exclusive; null: none."))
    count = serializers.IntegerField()


class DepartmentRowSerializer(serializers.Serializer):
    department_id = serializers.IntegerField()
    label = serializers.CharField()
    records = serializers.IntegerField()
    complaints = serializers.IntegerField()
    csat = NumberField()
    weakest = serializers.BooleanField()


class StageRowSerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=Stage.choices)
    label = serializers.CharField()
    records = serializers.IntegerField()
    complaints = serializers.IntegerField()
    csat = NumberField()
    kept = NumberField(help_text=_("The chain so far: the product of the stages' CSAT up to here."))
    weakest = serializers.BooleanField()


class WeekRowSerializer(serializers.Serializer):
    start = serializers.DateField()
    records = serializers.IntegerField()
    complaints = serializers.IntegerField()
    csat = NumberField()


class BoneRowSerializer(serializers.Serializer):
    bone_id = serializers.IntegerField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class KpiReportSerializer(serializers.Serializer):
    filters = FiltersSerializer()
    figures = FigureSerializer(many=True)
    complaints_by_step = StepRowSerializer(many=True)
    ageing = AgeRowSerializer(many=True)
    by_department = DepartmentRowSerializer(many=True)
    by_stage = StageRowSerializer(many=True)
    weeks = WeekRowSerializer(many=True)
    fishbone = BoneRowSerializer(many=True)
