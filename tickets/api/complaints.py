"""/api/v1/complaints/: list, create and read complaints with every step; POST .../steps/ takes
the next step. Thin shells over tickets.complaints (services decide the order and the data)."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from customers.api.serializers import BlankAsNullChoiceField
from servicedesk.core.api.lean import paginate_values, respond
from servicedesk.core.api.serializers import (
    ID_PATTERN,
    BoundedDateField,
    DepartmentRefSerializer,
    IdField,
    InputSerializer,
    UserRefSerializer,
)
from servicedesk.core.api.versioning import (
    CONFLICT,
    IF_MATCH,
    VERSION_HELP,
    version_from,
    with_etag,
)
from servicedesk.core.exceptions import ConflictError, DomainError
from servicedesk.core.limits import LONG_TEXT_MAX
from servicedesk.core.models import Department

from ..complaints import services
from ..complaints.models import (
    Channel,
    Complaint,
    ComplaintAction,
    ComplaintStepEntry,
    Outcome,
    Severity,
    Step,
)
from ..complaints.selectors import complaint_narrow, complaint_visible
from ..filters import DepartmentIdFilter
from ..models import Stage


class ComplaintRecordSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    subject = serializers.CharField()
    stage = serializers.CharField()


class CustomerBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class EntrySerializer(serializers.ModelSerializer):
    by = UserRefSerializer(allow_null=True)
    data = serializers.DictField(help_text=_("What the step recorded."))

    class Meta:
        model = ComplaintStepEntry
        fields = ["step", "round", "data", "started_at", "taken_at", "by", "version"]


class ActionSerializer(serializers.ModelSerializer):
    owner = UserRefSerializer()

    class Meta:
        model = ComplaintAction
        fields = [
            "id", "round", "description", "owner", "due_date", "record", "done_at", "told_at",
            "original_due_date",
        ]  # fmt: skip


class ComplaintOutputSerializer(serializers.ModelSerializer):
    record = ComplaintRecordSerializer()
    customer = CustomerBriefSerializer(source="record.customer")
    about_record = ComplaintRecordSerializer(allow_null=True)
    responsible_department = DepartmentRefSerializer(allow_null=True)
    steps = EntrySerializer(source="entries", many=True)
    actions = ActionSerializer(many=True)
    outcome = BlankAsNullChoiceField(Outcome.choices)
    step_due_at = serializers.DateTimeField(
        allow_null=True,
        help_text=_("The current step's time target; null for steps 5 and 6 and when closed."),
    )

    class Meta:
        model = Complaint
        fields = [
            "id", "record", "customer", "about_record", "responsible_department", "channel",
            "severity", "wants_manager", "step", "step_since", "step_due_at", "outcome",
            "close_reason",
            "closed_at", "steps", "actions", "version", "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class ComplaintCreateInputSerializer(InputSerializer):
    output_serializer = ComplaintOutputSerializer

    customer = IdField()
    stage = serializers.ChoiceField(choices=Stage.choices)
    category = IdField(help_text=_("A category of that stage."))
    subject = serializers.CharField(max_length=200)
    description = serializers.CharField(
        max_length=LONG_TEXT_MAX, required=False, allow_blank=True, default=""
    )
    channel = serializers.ChoiceField(choices=Channel.choices)
    severity = serializers.ChoiceField(choices=Severity.choices)
    wants_manager = serializers.BooleanField(required=False, default=False)
    about_record = IdField(required=False, allow_null=True, default=None)
    responsible_department = IdField(required=False, allow_null=True, default=None)


class StepInputSerializer(InputSerializer):
    output_serializer = ComplaintOutputSerializer

    step = serializers.ChoiceField(
        choices=Step.choices,
        help_text=_("The complaint's next step; any other is refused, naming the one expected."),
    )
    data = serializers.DictField(help_text=_("What the step asks for (see the complaint guide)."))
    version = serializers.IntegerField(min_value=1, required=False, help_text=VERSION_HELP)


class ActionNewDateInputSerializer(InputSerializer):
    output_serializer = ComplaintOutputSerializer

    new_due_date = BoundedDateField(help_text=_("The new date the customer was told; not past."))


class ComplaintFilter(filters.FilterSet):
    step = filters.MultipleChoiceFilter(choices=Step.choices, distinct=False)
    # Department ids, checked against the departments: an unknown or unreadable one is a 400.
    department = DepartmentIdFilter(
        field_name="record__lead_department",
        queryset=Department.objects.all(),
        help_text=_("The record's lead department."),
    )
    responsible_department = DepartmentIdFilter(
        queryset=Department.objects.all(), help_text=_("The responsible department.")
    )
    state = filters.ChoiceFilter(
        choices=[("open", _("Open")), ("closed", _("Closed"))],
        method="_narrow",
        help_text=_("Open (any of the six steps) or closed."),
    )
    overdue = filters.BooleanFilter(
        method="_narrow", help_text=_("With an action past its date and not done.")
    )
    breached = filters.BooleanFilter(
        method="_narrow",
        help_text=_("With an action that broke its date without the customer being told."),
    )
    recovered = filters.BooleanFilter(
        method="_narrow", help_text=_("Closed with the customer satisfied.")
    )

    def _narrow(self, queryset, name, value):
        return complaint_narrow(queryset, **{name: value})

    class Meta:
        model = Complaint
        fields: list[str] = []


class ComplaintViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Complaints the caller may see (as their records), newest first, each with its steps."""

    serializer_class = ComplaintOutputSerializer
    lookup_value_regex = ID_PATTERN
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = ComplaintFilter

    def get_queryset(self):
        return (
            complaint_visible(self.request.user)
            .select_related("record__customer", "about_record", "responsible_department")
            .prefetch_related(
                Prefetch("entries", queryset=ComplaintStepEntry.objects.select_related("by")),
                Prefetch("actions", queryset=ComplaintAction.objects.select_related("owner")),
            )
            .order_by("-id")
        )

    def list(self, request, *args, **kwargs):
        # Rows as values with their steps and actions: the serializer's items without model
        # instances (tickets.api.lists, held equal to the serializer by a test).
        from . import lists  # here: lists imports this module's serializers

        qs = self.filter_queryset(complaint_visible(request.user).order_by("-id"))
        rows = paginate_values(self, qs, lists.COMPLAINT_COLUMNS)
        return respond(self, lists.complaint_items(rows))

    def _output(self, pk, status_code=status.HTTP_200_OK):
        complaint = self.get_queryset().filter(pk=pk).first()
        if complaint is None:
            raise Http404
        return with_etag(
            Response(ComplaintOutputSerializer(complaint).data, status=status_code), complaint
        )

    def retrieve(self, request, *args, **kwargs):
        return self._output(kwargs["pk"])

    @extend_schema(
        request=ComplaintCreateInputSerializer, responses={201: ComplaintOutputSerializer}
    )
    def create(self, request):
        """受理: a complaint on a new record of any stage; severity sets the record's priority."""
        serializer = ComplaintCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        complaint = services.complaint_open(
            by=request.user,
            customer_id=v["customer"],
            stage=v["stage"],
            category_id=v["category"],
            subject=v["subject"],
            description=v["description"],
            channel=v["channel"],
            severity=v["severity"],
            wants_manager=v["wants_manager"],
            about_record_id=v["about_record"],
            responsible_department_id=v["responsible_department"],
        )
        return self._output(complaint.pk, status.HTTP_201_CREATED)

    @extend_schema(
        request=StepInputSerializer,
        parameters=[IF_MATCH],
        responses={200: ComplaintOutputSerializer, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def steps(self, request, pk=None):
        """Take the next step with its data and the version read (body or If-Match). Out of
        order: 400 on `step` naming the step expected; missing data: 400 naming each field under
        `data.`; a stale version: 409."""
        if not complaint_visible(request.user).filter(pk=pk).exists():
            raise Http404
        serializer = StepInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        v = serializer.validated_data
        try:
            services.complaint_take_step(
                by=request.user,
                complaint_id=int(pk),
                version=version_from(request, v.get("version")),
                step=v["step"],
                data=v["data"],
            )
        except DjangoValidationError as exc:
            raise ValidationError(
                {f"data.{field}": messages for field, messages in exc.message_dict.items()}
            ) from exc
        except DomainError as exc:
            # The service's refusal of one of the step's fields is named where it was sent.
            if isinstance(exc, ConflictError) or exc.field in (None, "step"):
                raise
            raise ValidationError({f"data.{exc.field}": [str(exc.message)]}) from exc
        return self._output(pk)

    def _visible_action(self, pk, action_id) -> int:
        if not complaint_visible(self.request.user).filter(pk=pk).exists():
            raise Http404
        if not ComplaintAction.objects.filter(pk=action_id, complaint_id=pk).exists():
            raise Http404
        return int(action_id)

    @extend_schema(request=None, responses={200: ComplaintOutputSerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path=r"actions/(?P<action_id>\d{1,18})/done",
        url_name="action-done",
    )
    def action_done(self, request, pk=None, action_id=None):
        """Step 5: an action is done; the last one of the round moves the complaint to step 6."""
        services.complaint_action_done(
            by=request.user, action_id=self._visible_action(pk, action_id)
        )
        return self._output(pk)

    @extend_schema(request=ActionNewDateInputSerializer, responses={200: ComplaintOutputSerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path=r"actions/(?P<action_id>\d{1,18})/new-date",
        url_name="action-new-date",
    )
    def action_new_date(self, request, pk=None, action_id=None):
        """The customer was told in advance that the action needs a new date (not a surprise)."""
        action_pk = self._visible_action(pk, action_id)
        serializer = ActionNewDateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.complaint_action_told(
            by=request.user,
            action_id=action_pk,
            new_due_date=serializer.validated_data["new_due_date"],
        )
        return self._output(pk)
