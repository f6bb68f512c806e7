"""Explicit input and output shapes for the audit API: inputs check form, the services decide."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from servicedesk.core.api.serializers import (
    DepartmentRefSerializer,
    IdField,
    InputSerializer,
    UserRefSerializer,
)

from ..models import (
    MAX_COMMENT,
    MAX_ITEM_POINTS,
    MAX_REPLY,
    CheckForm,
    CheckItem,
    FormKind,
    Review,
)
from ..selectors import form_max_points


# Declared inline, not as a named enum: `kind` already names other models' enums in the schema.
@extend_schema_field({"type": "string", "enum": list(FormKind.values)})
class FormKindField(serializers.CharField):
    pass


class CheckItemOutputSerializer(serializers.ModelSerializer):
    label = serializers.CharField(help_text=_("In the request's language."))

    class Meta:
        model = CheckItem
        fields = ["id", "position", "label", "label_en", "label_zh", "max_points"]
        read_only_fields = fields


class CheckFormOutputSerializer(serializers.ModelSerializer):
    name = serializers.CharField(help_text=_("In the request's language."))
    kind = FormKindField(
        help_text=_("`check`: a check form for daily work; `grade`: a grade form.")
    )
    max_points = serializers.SerializerMethodField()
    items = CheckItemOutputSerializer(many=True)

    class Meta:
        model = CheckForm
        fields = ["id", "key", "kind", "name", "name_en", "name_zh", "is_active", "max_points",
                  "items"]  # fmt: skip
        read_only_fields = fields

    def get_max_points(self, form) -> int:
        return form_max_points(form)


class CheckFormRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    key = serializers.CharField()
    name = serializers.CharField(help_text=_("In the request's language."))


class ReviewScoreOutputSerializer(serializers.Serializer):
    item = serializers.IntegerField(source="item_id")
    label = serializers.CharField(source="item.label")
    points = serializers.IntegerField()
    max_points = serializers.IntegerField()


class ReviewOutputSerializer(serializers.ModelSerializer):
    form = CheckFormRefSerializer()
    subject = serializers.CharField(
        source="subject_key", help_text=_("record:<id> or complaint:<id>.")
    )
    record = serializers.IntegerField(source="record_id", allow_null=True)
    complaint = serializers.IntegerField(source="complaint_id", allow_null=True)
    agent = UserRefSerializer()
    reviewer = UserRefSerializer(allow_null=True)
    department = DepartmentRefSerializer(allow_null=True)
    share = serializers.FloatField(help_text=_("points / max_points, 0 to 1."))
    scores = ReviewScoreOutputSerializer(many=True)

    class Meta:
        model = Review
        fields = [
            "id", "form", "subject", "record", "complaint", "agent", "reviewer", "department",
            "points", "max_points", "share", "comment", "scores", "created_at",
            "acknowledged_at", "agent_reply",
        ]  # fmt: skip
        read_only_fields = fields


class ScoreInputSerializer(InputSerializer):
    item = IdField(help_text=_("An item of the form."))
    points = serializers.IntegerField(min_value=0, max_value=MAX_ITEM_POINTS)


class ReviewCreateInputSerializer(InputSerializer):
    output_serializer = ReviewOutputSerializer
    refused_fields = {
        "agent": _("The agent is the assignee of the record or complaint."),
        "points": _("The total is the sum of `scores`."),
    }

    form = IdField(help_text=_("An active check form."))
    record = IdField(
        required=False, allow_null=True, default=None,
        help_text=_("A resolved or closed service record; or name a complaint."),
    )  # fmt: skip
    complaint = IdField(
        required=False, allow_null=True, default=None,
        help_text=_("A complaint at step 5 (act) or later, or closed."),
    )  # fmt: skip
    scores = ScoreInputSerializer(
        many=True, min_length=1, max_length=50, help_text=_("One score for every item of the form.")
    )
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=MAX_COMMENT
    )

    def validate_scores(self, scores):
        items = [s["item"] for s in scores]
        if len(set(items)) != len(items):
            raise serializers.ValidationError(_("Score each item once."))
        return scores

    def validate(self, attrs):
        if bool(attrs.get("record")) == bool(attrs.get("complaint")):
            raise serializers.ValidationError(
                {"record": [_("Name either a service record or a complaint.")]}
            )
        return attrs


class AcknowledgeInputSerializer(InputSerializer):
    output_serializer = ReviewOutputSerializer

    reply = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=MAX_REPLY,
        help_text=_("Optional: what the agent says about the review."),
    )  # fmt: skip
