"""The customers API: thin views over the same selectors and services as the staff pages."""

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from servicedesk.core.api.lean import paginate_values, respond
from servicedesk.core.api.schema import error_response
from servicedesk.core.api.serializers import ID_PATTERN
from servicedesk.core.roles import is_manager_or_admin

from .. import selectors, services
from ..filters import CustomerFilter
from ..models import Contact, ContactPoint
from . import lists
from .serializers import (
    ContactInputSerializer,
    ContactOutputSerializer,
    CustomerCreateInputSerializer,
    CustomerOutputSerializer,
    CustomerUpdateInputSerializer,
    InteractionInputSerializer,
    InteractionOutputSerializer,
    ProductOwnedInputSerializer,
    ProductOwnedOutputSerializer,
)

ARCHIVED_PARAM = OpenApiParameter(
    "archived",
    bool,
    description="Managers and administrators: list archived customers instead of active ones.",
)


STALE = error_response("Stale version: `changes` says what changed since yours.")


def _sees_archived(request) -> bool:
    return is_manager_or_admin(request.user)


@extend_schema_view(
    list=extend_schema(parameters=[ARCHIVED_PARAM]),
    create=extend_schema(
        request=CustomerCreateInputSerializer,
        responses={201: CustomerOutputSerializer},
        description="Phones are normalised (CN by default); a phone or e-mail already on file "
        "answers 400 on `phones`/`emails` unless `allow_duplicate` is true.",
    ),
    update=extend_schema(
        request=CustomerUpdateInputSerializer,
        responses={200: CustomerOutputSerializer, 409: STALE},
    ),
    partial_update=extend_schema(
        request=CustomerUpdateInputSerializer,
        responses={200: CustomerOutputSerializer, 409: STALE},
    ),
    destroy=extend_schema(
        description="Soft-archive: the customer leaves lists and duplicate checks; history stays.",
        responses={204: None},
    ),
)
class CustomerViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Customers of the archive. Agents and managers read and write; tokens act with their role."""

    serializer_class = CustomerOutputSerializer
    lookup_value_regex = ID_PATTERN
    filter_backends = [DjangoFilterBackend]
    filterset_class = CustomerFilter

    def get_queryset(self):
        if self.action == "list":
            archived = self.request.query_params.get("archived") in (
                "true",
                "1",
            ) and _sees_archived(self.request)
            return selectors.customer_list(archived=archived)
        # Agents see active customers only; managers also open archived ones (merged records).
        qs = selectors.customer_base(archived=None if _sees_archived(self.request) else False)
        return selectors.with_list_data(qs)

    def list(self, request, *args, **kwargs):
        # Rows as values with their tags and primary points: the serializer's items without a
        # model instance or serializer field walk per row (customers.api.lists).
        qs = self.filter_queryset(self.get_queryset()).prefetch_related(None)
        rows = paginate_values(self, qs, lists.CUSTOMER_COLUMNS)
        return respond(self, lists.customer_items(rows))

    def create(self, request, *args, **kwargs):
        data = self._valid(CustomerCreateInputSerializer, request.data)
        customer = services.customer_create(**data, by=request.user)
        return self._out(customer.pk, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        customer = self.get_object()
        partial = kwargs.pop("partial", False)
        data = self._valid(CustomerUpdateInputSerializer, request.data, partial=partial)
        if "version" not in data:
            # Even a partial update must say which version it read: no blind overwrites.
            raise ValidationError({"version": [_("This field is required.")]})
        version = data.pop("version")
        tags = data.pop("tags", None)
        services.customer_update(
            customer_id=customer.pk, version=version, changes=data, tags=tags, by=request.user
        )
        return self._out(customer.pk)

    def perform_destroy(self, instance):
        services.customer_archive(customer_id=instance.pk, by=self.request.user)

    def _valid(self, serializer_class, data, partial=False) -> dict:
        serializer = serializer_class(data=data, partial=partial)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _out(self, pk, code=status.HTTP_200_OK):
        customer = selectors.with_list_data(selectors.customer_base(archived=None)).get(pk=pk)
        return Response(CustomerOutputSerializer(customer).data, status=code)


class _CustomerChildViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Rows belonging to customers, filtered with `?customer=<id>`."""

    lookup_value_regex = ID_PATTERN
    filter_backends = [DjangoFilterBackend]
    filterset_fields = ["customer"]
    input_serializer_class = None

    def scope(self, qs):
        return qs if _sees_archived(self.request) else qs.filter(customer__is_archived=False)

    def create(self, request, *args, **kwargs):
        serializer = self.input_serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        obj = self.perform_service(dict(serializer.validated_data))
        obj = self.get_queryset().get(pk=obj.pk)
        return Response(self.get_serializer(obj).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    create=extend_schema(request=ContactInputSerializer, responses={201: ContactOutputSerializer})
)
class ContactViewSet(_CustomerChildViewSet):
    """Contacts with their phones and e-mails; a customer has one primary contact."""

    serializer_class = ContactOutputSerializer
    input_serializer_class = ContactInputSerializer

    def get_queryset(self):
        qs = Contact.objects.prefetch_related(
            Prefetch("points", queryset=ContactPoint.objects.order_by("kind", "-is_primary", "pk"))
        ).order_by("customer_id", "-is_primary", "name", "pk")
        return self.scope(qs)

    def perform_service(self, data):
        return services.contact_add(**data)


@extend_schema_view(
    create=extend_schema(
        request=InteractionInputSerializer, responses={201: InteractionOutputSerializer}
    )
)
class InteractionViewSet(_CustomerChildViewSet):
    """The interaction log: calls, visits, greetings, e-mails, meetings; newest first."""

    serializer_class = InteractionOutputSerializer
    input_serializer_class = InteractionInputSerializer

    def get_queryset(self):
        return self.scope(selectors.interaction_list())

    def perform_service(self, data):
        return services.interaction_log(staff=self.request.user, **data)


@extend_schema_view(
    create=extend_schema(
        request=ProductOwnedInputSerializer, responses={201: ProductOwnedOutputSerializer}
    )
)
class ProductOwnedViewSet(_CustomerChildViewSet):
    """Products customers own; the warranty end defaults from the product's warranty months."""

    serializer_class = ProductOwnedOutputSerializer
    input_serializer_class = ProductOwnedInputSerializer

    def get_queryset(self):
        return self.scope(selectors.product_owned_list().order_by("-purchase_date", "pk"))

    def perform_service(self, data):
        return services.product_owned_add(**data)
