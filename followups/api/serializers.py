"""Explicit input and output shapes: inputs validate form, followups.services decide what is
allowed (a cancelled visit takes no outcome, a new time stays inside the window, …)."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from customers.api.serializers import BlankAsNullChoiceField
from customers.models import ManagementTier
from servicedesk.core.api.serializers import (
    BoundedDateTimeField,
    DepartmentRefSerializer,
    IdField,
    InputSerializer,
    RowField,
    StrictInputMixin,
    UserRefSerializer,
)
from servicedesk.core.limits import LONG_TEXT_MAX
from servicedesk.core.models import Department
from tickets.models import ServiceCategory, ServiceRecord, Stage

from ..models import CallbackRule, CallbackVisit, Expectation, Method, ProductState, Trigger

# "timing" answers one of these (CallbackVisit.timing): the clock's view of a scheduled visit, or
# the state of a finished one.
TIMINGS = [
    ("upcoming", _("Upcoming")),
    ("due", _("Due")),
    ("overdue", _("Overdue")),
    ("done", _("Done")),
    ("missed", _("Missed")),
    ("cancelled", _("Cancelled")),
]
VERSION_HELP = _("The version you last read; or send it as an If-Match header.")


# A pattern, not an enum: the schema hook turns every enum named "status" into one shared
# component, and the records' status values would clash with these (see MessageKindField).
@extend_schema_field(
    {
        "type": "string",
        "pattern": "^(scheduled|done|missed|cancelled)$",
        "description": "`scheduled`, `done`, `missed` or `cancelled`",
    }
)
class VisitStatusField(serializers.CharField):
    pass


class VisitCustomerSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class RecordRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()


def record_ref(pk: int | None) -> dict | None:
    # From the key alone, with the record's own reference rule: the list loads no record rows
    # for the outcome's new-issue and new-need links.
    return None if pk is None else {"id": pk, "reference": ServiceRecord(pk=pk).reference}


class VisitOutputSerializer(serializers.ModelSerializer):
    reference = serializers.CharField()
    customer = VisitCustomerSerializer()
    phone = serializers.SerializerMethodField(
        help_text=_("The primary phone of the customer's primary contact, if any.")
    )
    status = VisitStatusField()
    timing = serializers.SerializerMethodField(
        help_text=_(
            "upcoming / due / overdue for a scheduled visit (against due_at and window_end); "
            "the status otherwise."
        )
    )
    department = DepartmentRefSerializer()
    assignee = UserRefSerializer(allow_null=True)
    source_record = serializers.SerializerMethodField()
    product_state = BlankAsNullChoiceField(ProductState.choices)
    expectation = BlankAsNullChoiceField(Expectation.choices)
    new_issue_record = serializers.SerializerMethodField()
    new_need_record = serializers.SerializerMethodField()
    url = serializers.CharField(
        source="get_absolute_url", help_text=_("The visit's page in the desk.")
    )

    class Meta:
        model = CallbackVisit
        fields = [
            "id",
            "reference",
            "customer",
            "phone",
            "purpose",
            "method",
            "status",
            "timing",
            "due_at",
            "window_end",
            "attempts",
            "department",
            "assignee",
            "source_record",
            "address",
            "reached",
            "reached_person",
            "product_state",
            "questions_answered",
            "satisfaction",
            "expectation",
            "notes",
            "new_issue_record",
            "new_need_record",
            "completed_at",
            "created_at",
            "updated_at",
            "version",
            "url",
        ]
        read_only_fields = fields

    def get_phone(self, visit) -> str | None:
        # Loaded by followups.selectors.with_list_data (customer.primary_phones).
        phones = getattr(visit.customer, "primary_phones", None) or []
        return phones[0].value if phones else None

    @extend_schema_field(serializers.ChoiceField(choices=TIMINGS))
    def get_timing(self, visit) -> str:
        return visit.timing(self.context.get("now"))

    @extend_schema_field(RecordRefSerializer(allow_null=True))
    def get_source_record(self, visit) -> dict | None:
        return record_ref(visit.source_record_id)

    @extend_schema_field(RecordRefSerializer(allow_null=True))
    def get_new_issue_record(self, visit) -> dict | None:
        return record_ref(visit.new_issue_record_id)

    @extend_schema_field(RecordRefSerializer(allow_null=True))
    def get_new_need_record(self, visit) -> dict | None:
        return record_ref(visit.new_need_record_id)


# A pattern, not an enum: the schema names the tier's choices ManagementTierEnum after the
# customer's field, and the same choices under a second name warn (check --deploy fails on it).
@extend_schema_field(
    {
        "type": "string",
        "pattern": f"^({'|'.join(ManagementTier.values)})?$",
        "description": ", ".join(f"`{v}`" for v in ManagementTier.values) + " or empty",
    }
)
class TierField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(ManagementTier.choices, allow_blank=True, **kwargs)


# --- inputs ---------------------------------------------------------------------------------------

ACTION_HINT = _(
    "A visit's state changes only through its actions: outcome, not-reached, reschedule, cancel."
)


class VisitCreateInputSerializer(InputSerializer):
    output_serializer = VisitOutputSerializer
    refused_fields = {
        "status": ACTION_HINT,
        "purpose": _("A visit added by hand is ad hoc; rules make the other kinds."),
    }

    customer = IdField()
    due_at = BoundedDateTimeField(help_text=_("When to call or visit; not in the past."))
    method = serializers.ChoiceField(choices=Method.choices, default=Method.PHONE)
    department = IdField(help_text=_("Whose queue the visit is in."))
    assignee = IdField(required=False, allow_null=True)
    source_record = IdField(
        required=False, allow_null=True, help_text=_("A record of the same customer.")
    )
    address = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("On site: where to go; empty takes the customer's primary address."),
    )
    notes = serializers.CharField(
        max_length=LONG_TEXT_MAX, required=False, allow_blank=True, default=""
    )


class _VisitActionSerializer(InputSerializer):
    output_serializer = VisitOutputSerializer
    refused_fields = {"status": ACTION_HINT}

    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)


class VisitOutcomeInputSerializer(_VisitActionSerializer):
    reached_person = serializers.CharField(max_length=120, help_text=_("Who you spoke to."))
    product_state = serializers.ChoiceField(
        choices=ProductState.choices, required=False, allow_blank=True, default=""
    )
    questions_answered = serializers.CharField(
        max_length=LONG_TEXT_MAX, required=False, allow_blank=True, default=""
    )
    satisfaction = serializers.IntegerField(
        min_value=1, max_value=5, required=False, allow_null=True, default=None
    )
    expectation = serializers.ChoiceField(
        choices=Expectation.choices, required=False, allow_blank=True, default=""
    )
    notes = serializers.CharField(
        max_length=LONG_TEXT_MAX, required=False, allow_blank=True, default=""
    )
    new_issue = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("A problem the customer raised: opens an after-sale record."),
    )
    new_issue_category = IdField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("The new issue record's after-sale category; the desk's repair by default."),
    )
    new_need = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text=_("A need the customer mentioned: opens a pre-sale record for sales."),
    )

    def validate(self, attrs):
        if attrs.get("new_issue_category") and not attrs["new_issue"].strip():
            raise serializers.ValidationError(
                {"new_issue": [_("Describe the new issue to open it under this category.")]}
            )
        return attrs


class VisitNotReachedInputSerializer(_VisitActionSerializer):
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class VisitRescheduleInputSerializer(_VisitActionSerializer):
    due_at = BoundedDateTimeField(help_text=_("The agreed time: not past, inside the window."))
    # The history keeps at most 100 characters of a reason.
    reason = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class VisitCancelInputSerializer(_VisitActionSerializer):
    # What the status log keeps (core.StatusChange.reason).
    reason = serializers.CharField(max_length=200, help_text=_("Why the visit is not made."))


class VisitAssignInputSerializer(_VisitActionSerializer):
    assignee = IdField(
        allow_null=True, help_text=_("A member of the visit's department; null for the queue.")
    )


# --- rules ----------------------------------------------------------------------------------------


class RuleOutputSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    purpose = serializers.CharField(read_only=True)
    categories = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    department = DepartmentRefSerializer(read_only=True)

    class Meta:
        model = CallbackRule
        fields = [
            "id",
            "code",
            "name",
            "name_en",
            "name_zh",
            "is_active",
            "is_desk_default",
            "trigger",
            "purpose",
            "stage",
            "categories",
            "customer_tier",
            "interval_days",
            "delay_days",
            "window_days",
            "method",
            "assign_to",
            "department",
            "max_attempts",
            "retry_minutes",
            "remind_minutes",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class RuleInputSerializer(StrictInputMixin, serializers.ModelSerializer):
    """Validation only: the model's own validators and choices, and the rules its constraints
    hold, as field messages. The view writes (servicedesk.core.concurrency for updates)."""

    output_serializer = RuleOutputSerializer

    stage = serializers.ChoiceField(
        choices=Stage.choices,
        required=False,
        allow_blank=True,
        help_text=_("For records: only this stage; empty for any."),
    )
    categories = RowField(
        many=True,
        required=False,
        queryset=ServiceCategory.objects.all(),
        help_text=_("For records: only these categories; none for any."),
    )
    customer_tier = TierField(
        required=False,
        help_text=_("For periodic visits and greetings: only this tier; empty for all."),
    )
    department = RowField(
        queryset=Department.objects.filter(is_active=True),
        help_text=_("Whose queue the visits are in, whoever makes them."),
    )
    # At most a year: the scheduler looks ten years ahead at most, and no real delay comes close.
    delay_days = serializers.IntegerField(
        min_value=0,
        max_value=365,
        required=False,
        error_messages={"min_value": _("A delay cannot be negative.")},
        help_text=CallbackRule._meta.get_field("delay_days").help_text,
    )

    class Meta:
        model = CallbackRule
        fields = [
            "code",
            "name_en",
            "name_zh",
            "is_active",
            "trigger",
            "stage",
            "categories",
            "customer_tier",
            "interval_days",
            "delay_days",
            "window_days",
            "method",
            "assign_to",
            "department",
            "max_attempts",
            "retry_minutes",
            "remind_minutes",
        ]
        # Bounds the model leaves to the database's integer range: the scheduler computes dates
        # from these, and ten years of days, twenty attempts or a week's wait are past any real
        # rule (a first retry of a million minutes would overflow the date arithmetic).
        extra_kwargs = {
            "interval_days": {"max_value": 3650},
            "max_attempts": {"max_value": 20},
            "retry_minutes": {"max_value": 7 * 24 * 60},
        }

    def validate(self, attrs):
        # A PATCH names some fields: the rule that must hold is checked on the rule as it will be.
        def value(name):
            if name in attrs:
                return attrs[name]
            return getattr(self.instance, name, None)

        if value("trigger") == Trigger.PERIODIC and not value("interval_days"):
            raise serializers.ValidationError(
                {"interval_days": [_("A periodic rule needs an interval in days.")]}
            )
        return attrs


class RuleUpdateInputSerializer(RuleInputSerializer):
    version = serializers.IntegerField(required=False, min_value=1, help_text=VERSION_HELP)

    class Meta(RuleInputSerializer.Meta):
        fields = [*RuleInputSerializer.Meta.fields, "version"]
