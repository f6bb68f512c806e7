"""Explicit input and output shapes; the services do the work and the checks of rules."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from servicedesk.core.api.serializers import (
    BoundedDateField,
    BoundedDateTimeField,
    InputSerializer,
    RowField,
)
from servicedesk.core.limits import LONG_TEXT_MAX

from ..models import (
    CLASSIFICATIONS,
    Contact,
    ContactPoint,
    ConversionCause,
    Customer,
    CustomerKind,
    Interaction,
    InteractionKind,
    Product,
    ProductOwned,
)


class ContactPointSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContactPoint
        fields = ["id", "kind", "value", "label", "is_primary"]
        read_only_fields = fields


class BlankAsNullChoiceField(serializers.ChoiceField):
    """An optional choice stored as "" (blank=True): answered as null, so the value is always one of
    the enum's or null. A "" would break clients generated from the schema ("'' is not a valid
    ConversionCauseEnum")."""

    def __init__(self, choices, **kwargs):
        super().__init__(choices, read_only=True, allow_null=True, **kwargs)

    def to_representation(self, value):
        return None if value in ("", None) else super().to_representation(value)


class CustomerOutputSerializer(serializers.ModelSerializer):
    organisation_name = serializers.CharField(
        source="organisation.name", default=None, allow_null=True
    )
    owner_username = serializers.CharField(source="owner.username", default=None, allow_null=True)
    conversion_cause = BlankAsNullChoiceField(
        ConversionCause.choices, help_text=_("Why the customer became actual; null while not.")
    )
    tags = serializers.SerializerMethodField()
    primary_points = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = [
            "id",
            "kind",
            "name",
            "organisation",
            "organisation_name",
            *CLASSIFICATIONS,
            "converted_at",
            "conversion_cause",
            "owner",
            "owner_username",
            "region",
            "contact_from",
            "contact_until",
            "tags",
            "primary_points",
            "preferences",
            "notes",
            "is_archived",
            "archived_at",
            "merged_into",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_tags(self, obj) -> list[str]:
        return [t.name for t in obj.tags.all()]

    @extend_schema_field(ContactPointSerializer(many=True))
    def get_primary_points(self, obj) -> list[dict]:
        """The primary contact's primary phone and e-mail (loaded by the list selector)."""
        points = getattr(obj, "primary_points", None)
        if points is None:
            points = [
                p
                for c in obj.contacts.all()
                if c.is_primary
                for p in c.points.all()
                if p.is_primary
            ]
        return ContactPointSerializer(points, many=True).data


class _CustomerFieldsSerializer(InputSerializer):
    output_serializer = CustomerOutputSerializer

    kind = serializers.ChoiceField(choices=CustomerKind.choices, required=False)
    name = serializers.CharField(max_length=200)
    organisation = RowField(
        queryset=Customer.objects.filter(kind=CustomerKind.ORGANISATION, is_archived=False),
        required=False,
        allow_null=True,
    )
    management_tier = serializers.ChoiceField(
        choices=CLASSIFICATIONS["management_tier"].choices, required=False
    )
    lifecycle = serializers.ChoiceField(
        choices=CLASSIFICATIONS["lifecycle"].choices, required=False
    )
    transaction_progress = serializers.ChoiceField(
        choices=CLASSIFICATIONS["transaction_progress"].choices, required=False
    )
    chain_position = serializers.ChoiceField(
        choices=CLASSIFICATIONS["chain_position"].choices, required=False
    )
    marketing_type = serializers.ChoiceField(
        choices=CLASSIFICATIONS["marketing_type"].choices, required=False
    )
    party = serializers.ChoiceField(choices=CLASSIFICATIONS["party"].choices, required=False)
    owner = RowField(
        queryset=get_user_model().objects.filter(is_active=True), required=False, allow_null=True
    )
    region = serializers.CharField(max_length=80, required=False, allow_blank=True)
    preferences = serializers.CharField(max_length=LONG_TEXT_MAX, required=False, allow_blank=True)
    notes = serializers.CharField(max_length=LONG_TEXT_MAX, required=False, allow_blank=True)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, max_length=50
    )
    contact_from = serializers.TimeField(
        required=False,
        allow_null=True,
        help_text=_(
            "Preferred contact hours, e.g. 18:00 to 20:00: callbacks are scheduled inside them. "
            "Both times, or both null for any business hour."
        ),
    )
    contact_until = serializers.TimeField(required=False, allow_null=True)


class CustomerCreateInputSerializer(_CustomerFieldsSerializer):
    refused_fields = {
        "primary_points": _("Read-only: send the phones in `phones` and e-mails in `emails`."),
    }

    contact_name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    phones = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, max_length=20
    )
    emails = serializers.ListField(
        child=serializers.CharField(max_length=254), required=False, max_length=20
    )
    allow_duplicate = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Create even if a phone or e-mail is already on file for another customer.",
    )


class CustomerUpdateInputSerializer(_CustomerFieldsSerializer):
    version = serializers.IntegerField(
        min_value=1, help_text="The `version` you read; a stale one answers 409 with the changes."
    )


class ContactOutputSerializer(serializers.ModelSerializer):
    points = ContactPointSerializer(many=True, read_only=True)

    class Meta:
        model = Contact
        fields = ["id", "customer", "name", "title", "is_primary", "notes", "points"]
        read_only_fields = fields


class ContactInputSerializer(InputSerializer):
    output_serializer = ContactOutputSerializer
    customer = RowField(queryset=Customer.objects.filter(is_archived=False))
    name = serializers.CharField(max_length=120)
    title = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    is_primary = serializers.BooleanField(required=False, default=False)
    phones = serializers.ListField(child=serializers.CharField(max_length=40), required=False)
    emails = serializers.ListField(child=serializers.CharField(max_length=254), required=False)
    notes = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class InteractionOutputSerializer(serializers.ModelSerializer):
    staff_username = serializers.CharField(source="staff.username", default=None, allow_null=True)

    class Meta:
        model = Interaction
        fields = [
            "id",
            "customer",
            "contact",
            "kind",
            "occurred_at",
            "staff",
            "staff_username",
            "summary",
            "notes",
            "created_at",
        ]
        read_only_fields = fields


class InteractionInputSerializer(InputSerializer):
    output_serializer = InteractionOutputSerializer
    customer = RowField(queryset=Customer.objects.filter(is_archived=False))
    contact = RowField(queryset=Contact.objects.all(), required=False, allow_null=True)
    kind = serializers.ChoiceField(choices=InteractionKind.choices)
    occurred_at = BoundedDateTimeField(required=False, allow_null=True)
    summary = serializers.CharField(max_length=200)
    notes = serializers.CharField(
        max_length=LONG_TEXT_MAX, required=False, allow_blank=True, default=""
    )


class ProductOwnedOutputSerializer(serializers.ModelSerializer):
    product_sku = serializers.CharField(source="product.sku")
    product_name = serializers.CharField(source="product.name")

    class Meta:
        model = ProductOwned
        fields = [
            "id",
            "customer",
            "product",
            "product_sku",
            "product_name",
            "serial",
            "purchase_date",
            "warranty_end",
            "notes",
        ]
        read_only_fields = fields


class ProductOwnedInputSerializer(InputSerializer):
    output_serializer = ProductOwnedOutputSerializer
    customer = RowField(queryset=Customer.objects.filter(is_archived=False))
    product = RowField(queryset=Product.objects.filter(is_active=True))
    serial = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    purchase_date = BoundedDateField(required=False, allow_null=True)
    warranty_end = BoundedDateField(required=False, allow_null=True)
    notes = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
