"""/api/v1/service-records/ and /api/v1/categories/: thin shells over the same services."""

from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from servicedesk.core.api.lean import paginate_values, respond
from servicedesk.core.api.schema import STORAGE_FULL
from servicedesk.core.api.serializers import ID_PATTERN, HistoryEntrySerializer
from servicedesk.core.api.versioning import CONFLICT, IF_MATCH, version_from, with_etag

from .. import attachments as files
from .. import selectors, services
from ..filters import RecordFilter
from ..models import RecordAttachment, RecordMessage, ServiceRecord
from ..views import attachment_response
from . import lists
from .serializers import (
    AttachmentInputSerializer,
    AttachmentOutputSerializer,
    CategorySerializer,
    MessageInputSerializer,
    MessageOutputSerializer,
    RecordCreateInputSerializer,
    RecordOutputSerializer,
    RecordUpdateInputSerializer,
    TransitionInputSerializer,
)

DOWNLOAD_TYPES = (
    "application/octet-stream",
    *sorted({t for _magic, t in files.MAGIC} | set(files.OFFICE.values())),
    "text/plain",
    "text/csv",
)


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """Service categories per stage with their defaults and departments (edit in Admin)."""

    serializer_class = CategorySerializer
    lookup_value_regex = ID_PATTERN
    filterset_fields = ["stage", "is_active", "code"]
    search_fields = ["code", "name_en", "name_zh"]
    ordering_fields = ["stage", "sort_order", "code"]

    def get_queryset(self):
        return selectors.category_list(active_only=False).order_by("stage", "sort_order", "pk")


class ServiceRecordViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Service records the caller may see (their departments', assigned to them, or all for
    administrators). Status changes go through the `transition` action."""

    serializer_class = RecordOutputSerializer
    lookup_value_regex = ID_PATTERN
    filterset_class = RecordFilter
    # `q` (RecordFilter) is the search; the newest-first order is the one an index walks, and the
    # cursor pages along it (servicedesk.core.api.pagination).
    filter_backends = [DjangoFilterBackend]

    def get_queryset(self):
        return selectors.record_list(user=self.request.user).prefetch_related(
            "collaborating_departments"
        )

    def list(self, request, *args, **kwargs):
        # Rows as values, the due state worked out per row: the serializer's items without a
        # model instance or serializer field walk per row (tickets.api.lists).
        qs = self.filter_queryset(selectors.record_list(user=request.user, due=False))
        rows = paginate_values(self, qs, lists.RECORD_COLUMNS)
        return respond(self, lists.record_items(rows, timezone.now()))

    def _record(self, pk) -> ServiceRecord:
        return get_object_or_404(self.get_queryset(), pk=pk)

    def _output(self, record_id: int, status_code=200, *, visible_to=None):
        """The record's item read as values (tickets.api.lists), as the list gives it: no model
        instance, no serializer field walk, the due state worked out from the row. After a write,
        which its service has authorised, it is read by key without the visibility predicate."""
        qs = (
            ServiceRecord.objects.all()
            if visible_to is None
            else selectors.record_list(user=visible_to, due=False)
        )
        item = lists.record_item(qs, record_id, timezone.now())
        if item is None:
            raise Http404
        return with_etag(Response(item, status=status_code), item)

    def retrieve(self, request, *args, **kwargs):
        return self._output(kwargs["pk"], visible_to=request.user)

    @extend_schema(request=RecordCreateInputSerializer, responses={201: RecordOutputSerializer})
    def create(self, request):
        data = RecordCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        record = services.record_create(
            by=request.user,
            customer_id=v["customer"],
            contact_id=v.get("contact"),
            stage=v["stage"],
            category_id=v["category"],
            subject=v["subject"],
            description=v["description"],
            priority=v["priority"],
            nature=v.get("nature"),
            place=v.get("place"),
            fee=v.get("fee"),
            fee_amount=v.get("fee_amount"),
            frequency=v.get("frequency"),
            duration=v.get("duration"),
            agreed_date=v.get("agreed_date"),
            collaborating_department_ids=v.get("collaborating_departments"),
            assignee_id=v.get("assignee"),
        )
        return self._output(record.pk, status.HTTP_201_CREATED)

    @extend_schema(
        request=RecordUpdateInputSerializer,
        parameters=[IF_MATCH],
        responses={200: RecordOutputSerializer, 409: CONFLICT},
    )
    def partial_update(self, request, pk=None):
        record = self._record(pk)
        data = RecordUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        version = version_from(request, v.pop("version", None))
        renames = {"contact": "contact_id", "category": "category_id"}
        has_assignee = "assignee" in v
        assignee_id = v.pop("assignee", None)
        changes = {renames.get(k, k): value for k, value in v.items()}
        # One PATCH is one write: an assignee the service refuses must leave the other changes
        # unsaved too. Each service is atomic on its own; this block makes them one transaction.
        with transaction.atomic():
            if changes:
                record = services.record_update(
                    by=request.user, record_id=record.pk, version=version, changes=changes
                )
                version = record.version
            if has_assignee:
                services.record_assign(
                    by=request.user, record_id=record.pk, assignee_id=assignee_id, version=version
                )
        return self._output(record.pk)

    @extend_schema(
        request=RecordUpdateInputSerializer,
        parameters=[IF_MATCH],
        responses={200: RecordOutputSerializer, 409: CONFLICT},
    )
    def update(self, request, pk=None):
        return self.partial_update(request, pk)

    @extend_schema(
        request=TransitionInputSerializer,
        parameters=[IF_MATCH],
        responses={200: RecordOutputSerializer, 409: CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Move the record along the status table; an illegal move is a 400 on `status`."""
        record = self._record(pk)
        data = TransitionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        version = version_from(request, v.get("version"), required=False)
        record = services.record_transition(
            by=request.user,
            record_id=record.pk,
            to_status=v["status"],
            version=version,
            reason=v["reason"],
        )
        return self._output(record.pk)

    @extend_schema(methods=["GET"], request=None, responses=MessageOutputSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request=MessageInputSerializer,
        responses={201: MessageOutputSerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def messages(self, request, pk=None):
        """Replies to the customer and internal notes, oldest first."""
        record = self._record(pk)
        if request.method == "POST":
            data = MessageInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            message = services.message_add(
                by=request.user, record_id=record.pk, **data.validated_data
            )
            return Response(MessageOutputSerializer(message).data, status=201)
        rows = RecordMessage.objects.filter(record=record).select_related("author")
        return Response(MessageOutputSerializer(rows, many=True).data)

    @extend_schema(methods=["GET"], request=None, responses=AttachmentOutputSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": AttachmentInputSerializer},
        responses={201: AttachmentOutputSerializer, 507: STORAGE_FULL},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        pagination_class=None,
        filter_backends=[],
        parser_classes=[MultiPartParser],
    )
    def attachments(self, request, pk=None):
        """Files on the record. Upload as multipart `file`; PDF, images, text/CSV or Office."""
        record = self._record(pk)
        if request.method == "POST":
            data = AttachmentInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            attachment = services.attachment_add(
                by=request.user, record_id=record.pk, upload=data.validated_data["file"]
            )
            return Response(AttachmentOutputSerializer(attachment).data, status=201)
        rows = RecordAttachment.objects.filter(record=record)
        return Response(AttachmentOutputSerializer(rows, many=True).data)

    @extend_schema(
        # The file comes with the type sniffed at upload; octet-stream first, so that clients
        # generated from the schema treat every download as bytes.
        responses={(200, *DOWNLOAD_TYPES): OpenApiTypes.BINARY},
        parameters=[OpenApiParameter("attachment_id", int, OpenApiParameter.PATH)],
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"attachments/(?P<attachment_id>\d+)/download",
        url_name="attachment-download",
        pagination_class=None,
        filter_backends=[],
    )
    def attachment_download(self, request, pk=None, attachment_id=None):
        """The file, always as a download (Content-Disposition: attachment)."""
        record = self._record(pk)
        attachment = get_object_or_404(RecordAttachment, pk=attachment_id, record=record)
        return attachment_response(attachment)

    @extend_schema(request=None, responses=HistoryEntrySerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def history(self, request, pk=None):
        """Who changed what and when, newest first: raw values and the values as people read
        them (names, choice labels, dates in the request's language and time zone)."""
        record = self._record(pk)
        entries = selectors.record_history(record)
        return Response(HistoryEntrySerializer(entries, many=True).data)
