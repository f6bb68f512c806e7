import datetime
from collections.abc import Mapping
from functools import cache

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.settings import api_settings

from ..audit import HistoryKind
from ..models import Department, WorkerPing
from ..roles import Role
from ..users import display_name

# The largest key a bigint column holds. Ids are declared within it so the schema tells generated
# clients (and fuzzers) the real range instead of "any integer".
MAX_ID = 2**63 - 1
# Ids in API paths are digits: anything else is the JSON 404 of `api_not_found`, never a lookup
# that fails on the type (a 500). Every viewset of core, customers and tickets sets it as its
# `lookup_value_regex`.
ID_PATTERN = "[0-9]+"


class IdField(serializers.IntegerField):
    """The id of a row named in an input: a positive integer within the bigint range."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


class RowField(serializers.PrimaryKeyRelatedField):
    """A row named by its id. PrimaryKeyRelatedField looks up whatever it is given, and the
    database turns 1.5 (or "1.5", or true) into row 1: a malformed id would name a real row."""

    def to_internal_value(self, data):
        whole = isinstance(data, int) or (
            isinstance(data, str) and data.isascii() and data.isdigit()
        )
        if isinstance(data, bool) or not whole:
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


# Dates and times an input may name. Anything outside is a typo (year 50, year 9999), would
# overflow date arithmetic in the services (warranty ends, business-day targets), and before 1970
# many time zones had offsets with seconds (Shanghai's LMT was +08:05:43), which ISO 8601 output
# with an hh:mm offset cannot carry.
EARLIEST = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
LATEST = datetime.datetime(2100, 1, 1, tzinfo=datetime.UTC)


class BoundedDateTimeField(serializers.DateTimeField):
    default_error_messages = {
        "out_of_range": _("Enter a date and time from 1970 to 2099."),
    }

    def to_internal_value(self, value):
        result = super().to_internal_value(value)
        if result.tzinfo is not None and not EARLIEST <= result < LATEST:
            self.fail("out_of_range")
        return result


class BoundedDateField(serializers.DateField):
    default_error_messages = {"out_of_range": _("Enter a date from 1900 to 2099.")}

    def to_internal_value(self, value):
        result = super().to_internal_value(value)
        if not datetime.date(1900, 1, 1) <= result < datetime.date(2100, 1, 1):
            self.fail("out_of_range")
        return result


class StrictInputMixin:
    # An input that refuses what it does not take, instead of silently dropping it. (Comments, not
    # a docstring: the schema would show a docstring as every input's description.)
    #
    # DRF ignores keys a serializer does not declare, so a misspelt or misplaced field
    # (`primary_points` for `phones`, `status` in a PATCH) answered 2xx with nothing saved. Here
    # each such key is a 400 in the one error shape, next to the other field messages:
    # - `refused_fields` maps a name to a message saying what to do instead;
    # - names the resource shows but this input does not take (the fields of
    #   `output_serializer`, or read-only fields of this serializer) are "read-only";
    # - anything else is an "Unknown field.".

    refused_fields: Mapping[str, str] = {}
    output_serializer: type[serializers.BaseSerializer] | None = None
    # Transport, not data: the browsable API's HTML forms post the CSRF token with the fields.
    ignored_keys = frozenset({"csrfmiddlewaretoken"})

    def to_internal_value(self, data):
        unexpected = self.unexpected_fields(data) if isinstance(data, Mapping) else {}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not unexpected:
                raise
            detail = exc.detail
            if not isinstance(detail, Mapping):
                detail = {api_settings.NON_FIELD_ERRORS_KEY: detail}
            raise serializers.ValidationError({**detail, **unexpected}) from exc
        if unexpected:
            raise serializers.ValidationError(unexpected)
        return value

    def unexpected_fields(self, data: Mapping) -> dict[str, list[str]]:
        shown = _output_field_names(self.output_serializer) if self.output_serializer else ()
        errors = {}
        for key in data:
            field = self.fields.get(key)
            if key in self.ignored_keys or (field is not None and not field.read_only):
                continue
            if key in self.refused_fields:
                message = self.refused_fields[key]
            elif field is not None or key in shown:
                message = _("This field is read-only.")
            else:
                message = _("Unknown field.")
            errors[str(key)] = [str(message)]
        return errors


@cache
def _output_field_names(serializer_class) -> frozenset[str]:
    return frozenset(serializer_class().fields)


class InputSerializer(StrictInputMixin, serializers.Serializer):
    pass  # the base of every API input: explicit fields, unknown or read-only ones refused


class DepartmentRefSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = Department
        fields = ["id", "code", "name", "name_en", "name_zh"]


class DepartmentSerializer(DepartmentRefSerializer):
    class Meta(DepartmentRefSerializer.Meta):
        fields = [*DepartmentRefSerializer.Meta.fields, "email", "is_active"]


class MeSerializer(serializers.ModelSerializer):
    role = serializers.ChoiceField(choices=Role.choices, allow_null=True)
    departments = DepartmentRefSerializer(many=True)
    auth = serializers.ChoiceField(choices=["session", "token"])

    class Meta:
        model = get_user_model()
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "email",
            "role",
            "departments",
            "auth",
        ]


class WorkerPingSerializer(serializers.ModelSerializer):
    class Meta:
        model = WorkerPing
        fields = ["id", "created_at", "completed_at", "worker"]
        read_only_fields = fields


class WorkerPingInputSerializer(InputSerializer):
    # A ping takes no input: the body is empty (or `{}`).
    output_serializer = WorkerPingSerializer


# --- history -------------------------------------------------------------------------------------


class UserRefSerializer(serializers.Serializer):
    """A person named in a body: id, login and display name."""

    id = serializers.IntegerField(source="pk")
    username = serializers.CharField(source="get_username")
    name = serializers.SerializerMethodField(
        help_text=_("How the desk names the person (servicedesk.core.users.display_name).")
    )

    def get_name(self, user) -> str:
        return display_name(user)


class HistoryChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField(help_text=_("The field's name in the request's language."))
    old = serializers.JSONField(
        allow_null=True,
        help_text=_("The raw value: ids for related objects, ISO 8601 for dates and times."),
    )
    new = serializers.JSONField(allow_null=True)
    old_display = serializers.CharField(
        help_text=_("The value as a person reads it: names, choice labels, formatted dates.")
    )
    new_display = serializers.CharField()


class HistoryEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField(source="when")
    by = UserRefSerializer(source="who", allow_null=True)
    kind = serializers.ChoiceField(choices=HistoryKind.choices, source="kind_name")
    reason = serializers.CharField()
    changes = HistoryChangeSerializer(many=True)


# --- the error shape, for the schema (servicedesk.core.api.errors builds it) ---------------------


class ConflictChangeSerializer(serializers.Serializer):
    was = serializers.JSONField(allow_null=True)
    now = serializers.JSONField(allow_null=True)


class ApiErrorDetailSerializer(serializers.Serializer):
    status = serializers.IntegerField()
    code = serializers.CharField()
    message = serializers.CharField()
    # Named `fields` in the body; the serializer metaclass takes declared fields out of the class
    # namespace, so this does not shadow Serializer.fields.
    fields = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        help_text=_("Input field → its messages (a list, or per item for lists)."),
    )
    current = serializers.IntegerField(
        required=False, help_text=_("409: the version the record has now.")
    )
    changes = serializers.DictField(
        child=ConflictChangeSerializer(),
        required=False,
        help_text=_("409: what changed since your version, field → {was, now}."),
    )


class ApiErrorSerializer(serializers.Serializer):
    error = ApiErrorDetailSerializer()
