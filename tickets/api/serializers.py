"""Explicit input and output shapes: inputs validate form, services decide what is allowed."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from servicedesk.core.api.serializers import (
    BoundedDateField,
    DepartmentRefSerializer,
    IdField,
    InputSerializer,
    UserRefSerializer,
)
from servicedesk.core.limits import LONG_TEXT_MAX

from ..models import (
    Duration,
    Fee,
    Frequency,
    MessageKind,
    Nature,
    Place,
    Priority,
    RecordAttachment,
    RecordMessage,
    ServiceCategory,
    ServiceRecord,
    Stage,
    Status,
)


# A pattern, not an enum: the schema hook turns every enum named "kind" into a shared component,
# and other apps' "kind" choice sets would clash with this one.
@extend_schema_field(
    {"type": "string", "pattern": "^(reply|note)$", "description": "`reply` or `note`"}
)
class MessageKindField(serializers.CharField):
    default_error_messages = {"invalid_choice": _("“{input}” is not reply or note.")}

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value not in MessageKind.values:
            self.fail("invalid_choice", input=value)
        return value


class CategoryDefaultsSerializer(serializers.Serializer):
    """What a new record of this category takes unless told otherwise."""

    nature = serializers.ChoiceField(choices=Nature.choices, source="default_nature")
    place = serializers.ChoiceField(choices=Place.choices, source="default_place")
    fee = serializers.ChoiceField(choices=Fee.choices, source="default_fee")
    fee_amount = serializers.DecimalField(
        max_digits=10, decimal_places=2, source="default_fee_amount", allow_null=True
    )
    frequency = serializers.ChoiceField(choices=Frequency.choices, source="default_frequency")
    duration = serializers.ChoiceField(choices=Duration.choices, source="default_duration")


class CategorySerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)
    defaults = CategoryDefaultsSerializer(source="*", read_only=True)
    lead_department = DepartmentRefSerializer(read_only=True)
    collaborating_departments = DepartmentRefSerializer(many=True, read_only=True)

    class Meta:
        model = ServiceCategory
        fields = [
            "id",
            "code",
            "stage",
            "name",
            "name_en",
            "name_zh",
            "defaults",
            "lead_department",
            "collaborating_departments",
            "is_active",
        ]
        read_only_fields = fields


class CustomerRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    management_tier = serializers.CharField()


DUE_STATES = [
    ("breached", _("Resolution target missed")),
    ("response_late", _("First-response target missed")),
    ("due_soon", _("Due soon")),
    ("running", _("Running")),
    ("", _("No running target")),
]


class RecordOutputSerializer(serializers.ModelSerializer):
    reference = serializers.CharField()
    customer = CustomerRefSerializer()
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    lead_department = DepartmentRefSerializer()
    collaborating_departments = DepartmentRefSerializer(many=True)
    assignee = UserRefSerializer(allow_null=True)
    breached = serializers.SerializerMethodField()
    due_state = serializers.ChoiceField(
        choices=DUE_STATES,
        read_only=True,
        help_text=_("From the one breach rule (tickets.selectors.with_due_state)."),
    )

    class Meta:
        model = ServiceRecord
        fields = [
            "id",
            "reference",
            "customer",
            "contact",
            "stage",
            "category",
            "nature",
            "place",
            "fee",
            "fee_amount",
            "frequency",
            "duration",
            "subject",
            "description",
            "priority",
            "status",
            "lead_department",
            "collaborating_departments",
            "assignee",
            "agreed_date",
            "first_response_due",
            "resolution_due",
            "first_responded_at",
            "resolved_at",
            "closed_at",
            "breached",
            "due_state",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = fields

    def get_breached(self, record) -> bool:
        return record.due_state in ("breached", "response_late")


class RecordCreateInputSerializer(InputSerializer):
    output_serializer = RecordOutputSerializer
    refused_fields = {
        "status": _("A new record starts as new; change it later with the transition action."),
        "lead_department": _("Set by the category: its lead department leads the record."),
    }

    customer = IdField()
    contact = IdField(required=False, allow_null=True)
    stage = serializers.ChoiceField(choices=Stage.choices)
    category = IdField(help_text=_("A category id of the same stage."))
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(
        max_length=LONG_TEXT_MAX, required=False, allow_blank=True, default=""
    )
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    nature = serializers.ChoiceField(choices=Nature.choices, required=False)
    place = serializers.ChoiceField(choices=Place.choices, required=False)
    fee = serializers.ChoiceField(choices=Fee.choices, required=False)
    fee_amount = serializers.DecimalField(
        max_digits=10, decimal_places=2, required=False, allow_null=True
    )
    frequency = serializers.ChoiceField(choices=Frequency.choices, required=False)
    duration = serializers.ChoiceField(choices=Duration.choices, required=False)
    agreed_date = BoundedDateField(required=False, allow_null=True)
    collaborating_departments = serializers.ListField(
        child=IdField(), required=False, max_length=100
    )
    assignee = IdField(required=False, allow_null=True)


TRANSITION_HINT = _(
    "The status changes only through the transition action: "
    'POST /api/v1/service-records/{id}/transition/ with {"status": ...}.'
)


class RecordUpdateInputSerializer(InputSerializer):
    output_serializer = RecordOutputSerializer
    refused_fields = {
        "status": TRANSITION_HINT,
        "resolved_at": TRANSITION_HINT,
        "closed_at": TRANSITION_HINT,
        "first_responded_at": TRANSITION_HINT,
    }

    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text=_("The version you last read; or send it as an If-Match header."),
    )
    subject = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(max_length=LONG_TEXT_MAX, required=False, allow_blank=True)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    contact = IdField(required=False, allow_null=True)
    category = IdField(required=False)
    nature = serializers.ChoiceField(choices=Nature.choices, required=False)
    place = serializers.ChoiceField(choices=Place.choices, required=False)
    fee = serializers.ChoiceField(choices=Fee.choices, required=False)
    fee_amount = serializers.DecimalField(
        max_digits=10, decimal_places=2, required=False, allow_null=True
    )
    frequency = serializers.ChoiceField(choices=Frequency.choices, required=False)
    duration = serializers.ChoiceField(choices=Duration.choices, required=False)
    agreed_date = BoundedDateField(required=False, allow_null=True)
    assignee = IdField(required=False, allow_null=True)


class TransitionInputSerializer(InputSerializer):
    output_serializer = RecordOutputSerializer

    status = serializers.ChoiceField(choices=Status.choices)
    version = serializers.IntegerField(required=False, min_value=1)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=100, default="")


class MessageInputSerializer(InputSerializer):
    kind = MessageKindField()
    body = serializers.CharField(max_length=LONG_TEXT_MAX)


class MessageOutputSerializer(serializers.ModelSerializer):
    kind = MessageKindField(read_only=True)
    author = UserRefSerializer(allow_null=True)

    class Meta:
        model = RecordMessage
        fields = ["id", "kind", "body", "author", "created_at"]
        read_only_fields = fields


class AttachmentInputSerializer(InputSerializer):
    file = serializers.FileField()


class AttachmentOutputSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = RecordAttachment
        fields = ["id", "original_name", "content_type", "size", "created_at", "download_url"]
        read_only_fields = fields

    def get_download_url(self, obj) -> str:
        from django.urls import reverse

        return reverse(
            "v1:service-record-attachment-download",
            kwargs={"pk": obj.record_id, "attachment_id": obj.pk},
        )
