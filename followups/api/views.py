"""/api/v1/callbacks/ and /api/v1/callback-rules/: thin shells over followups.selectors and
followups.services, in the shape of the records API (tickets.api.views)."""

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from servicedesk.core.api.lean import paginate_values, respond
from servicedesk.core.api.serializers import ID_PATTERN
from servicedesk.core.api.versioning import CONFLICT, IF_MATCH, version_from, with_etag
from servicedesk.core.roles import Role

from .. import selectors, services
from ..filters import VisitFilter
from ..models import CallbackRule, CallbackVisit
from . import lists
from .serializers import (
    RuleInputSerializer,
    RuleOutputSerializer,
    RuleUpdateInputSerializer,
    VisitAssignInputSerializer,
    VisitCancelInputSerializer,
    VisitCreateInputSerializer,
    VisitNotReachedInputSerializer,
    VisitOutcomeInputSerializer,
    VisitOutputSerializer,
    VisitRescheduleInputSerializer,
)


def _valid(serializer_class, request, **kwargs) -> dict:
    serializer = serializer_class(data=request.data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


ACTION_SCHEMA = {"parameters": [IF_MATCH], "responses": {200: VisitOutputSerializer, 409: CONFLICT}}


class CallbackVisitViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Callback visits the caller may see (their departments', assigned to them, or all for
    administrators), soonest due first. States change only through the actions."""

    serializer_class = VisitOutputSerializer
    lookup_value_regex = ID_PATTERN
    filterset_class = VisitFilter
    # The list's order is visit_due_idx's (due_at, id); the cursor pages along it, with no count.
    filter_backends = [DjangoFilterBackend]

    def get_queryset(self):
        return selectors.visit_list(self.request.user)

    def get_serializer_context(self):
        # One clock per answer, so every row's timing is read at the same moment.
        return {**super().get_serializer_context(), "now": timezone.now()}

    def list(self, request, *args, **kwargs):
        # Rows as values, the timing worked out per row: the serializer's items without model
        # instances or a serializer field walk per row (followups.api.lists).
        qs = self.filter_queryset(self.get_queryset()).prefetch_related(None)
        rows = paginate_values(self, qs, lists.VISIT_COLUMNS)
        return respond(self, lists.visit_items(rows, timezone.now()))

    def _visible_id(self, pk) -> int:
        """The visit's id once the caller may see it: anyone else's is a 404, as on GET."""
        if not selectors.visit_visible(self.request.user).filter(pk=pk).exists():
            raise Http404
        return int(pk)

    def _output(self, visit, status_code=status.HTTP_200_OK, *, reload=True):
        if reload:
            # After a write, which its service has authorised: re-read by key with the list's
            # data, without the visibility predicate (an agent may add a visit to another
            # department's queue and still gets the answer).
            visit = selectors.with_list_data(CallbackVisit.objects.all()).get(pk=visit.pk)
        data = VisitOutputSerializer(visit, context=self.get_serializer_context()).data
        return with_etag(Response(data, status=status_code), visit)

    def retrieve(self, request, *args, **kwargs):
        try:
            visit = selectors.visit_get(request.user, kwargs["pk"])
        except CallbackVisit.DoesNotExist:
            raise Http404 from None
        return self._output(visit, reload=False)

    @extend_schema(request=VisitCreateInputSerializer, responses={201: VisitOutputSerializer})
    def create(self, request):
        """An ad hoc visit (临时回访), due at the given time, with a window of two working days."""
        v = _valid(VisitCreateInputSerializer, request)
        visit = services.visit_create(
            by=request.user,
            customer_id=v["customer"],
            due_at=v["due_at"],
            method=v["method"],
            department_id=v["department"],
            assignee_id=v.get("assignee"),
            source_record_id=v.get("source_record"),
            address=v["address"],
            notes=v["notes"],
        )
        return self._output(visit, status.HTTP_201_CREATED)

    def _act(self, request, pk, serializer_class, service, **renamed):
        """One action: the caller must see the visit (else 404), the input is validated, the
        version is required, and the service gets the input's fields (`renamed` maps a field to
        the service's argument where the names differ)."""
        visit_id = self._visible_id(pk)
        v = _valid(serializer_class, request)
        version = version_from(request, v.pop("version", None))
        kwargs = {renamed.get(name, name): value for name, value in v.items()}
        visit = service(by=request.user, visit_id=visit_id, version=version, **kwargs)
        return self._output(visit)

    @extend_schema(request=VisitOutcomeInputSerializer, **ACTION_SCHEMA)
    @action(detail=True, methods=["post"])
    def outcome(self, request, pk=None):
        """The customer was reached: record what they said. A new issue or need opens its record
        in the same write; a cancelled or done visit is a 400 on `status`."""
        return self._act(
            request,
            pk,
            VisitOutcomeInputSerializer,
            services.visit_complete,
            new_issue_category="new_issue_category_id",
        )

    @extend_schema(request=VisitNotReachedInputSerializer, **ACTION_SCHEMA)
    @action(detail=True, methods=["post"], url_path="not-reached", url_name="not-reached")
    def not_reached(self, request, pk=None):
        """An attempt that reached nobody: due again after a backoff inside the window; the
        last allowed attempt marks the visit missed."""
        return self._act(request, pk, VisitNotReachedInputSerializer, services.visit_not_reached)

    @extend_schema(request=VisitRescheduleInputSerializer, **ACTION_SCHEMA)
    @action(detail=True, methods=["post"])
    def reschedule(self, request, pk=None):
        """An agreed call-back time: not in the past and not after the window ends."""
        return self._act(request, pk, VisitRescheduleInputSerializer, services.visit_reschedule)

    @extend_schema(request=VisitCancelInputSerializer, **ACTION_SCHEMA)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """The visit will not be made; the reason is kept in its history."""
        return self._act(request, pk, VisitCancelInputSerializer, services.visit_cancel)

    @extend_schema(request=VisitAssignInputSerializer, **ACTION_SCHEMA)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Take a visit (agents, for themselves), hand it on (managers) or give it back (null)."""
        return self._act(
            request, pk, VisitAssignInputSerializer, services.visit_assign, assignee="assignee_id"
        )


# --- rules ----------------------------------------------------------------------------------------


class CallbackRuleViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """When callback visits are made, how and by whom. Every desk role reads them; only
    administrators add or change them (deactivate with `is_active`; rules are not deleted)."""

    serializer_class = RuleOutputSerializer
    lookup_value_regex = ID_PATTERN
    filter_backends = [DjangoFilterBackend]
    filterset_fields = ["trigger", "is_active"]

    @property
    def required_roles(self) -> tuple:
        # Read by HasDeskRole: reading needs any desk role, writing the administrator's.
        return (Role.ADMINISTRATOR,) if self.action in ("create", "partial_update") else ()

    def get_queryset(self):
        # By code, which is unique: the cursor pages along it.
        return (
            CallbackRule.objects.select_related("department")
            .prefetch_related("categories")
            .order_by("code")
        )

    def _output(self, pk, status_code=status.HTTP_200_OK):
        rule = get_object_or_404(self.get_queryset(), pk=pk)
        return with_etag(Response(RuleOutputSerializer(rule).data, status=status_code), rule)

    def retrieve(self, request, *args, **kwargs):
        return self._output(kwargs["pk"])

    @extend_schema(request=RuleInputSerializer, responses={201: RuleOutputSerializer})
    def create(self, request):
        rule = services.rule_create(by=request.user, fields=_valid(RuleInputSerializer, request))
        return self._output(rule.pk, status.HTTP_201_CREATED)

    @extend_schema(
        request=RuleUpdateInputSerializer,
        parameters=[IF_MATCH],
        responses={200: RuleOutputSerializer, 409: CONFLICT},
    )
    def partial_update(self, request, pk=None):
        rule = get_object_or_404(CallbackRule, pk=pk)
        fields = _valid(RuleUpdateInputSerializer, request, instance=rule, partial=True)
        version = version_from(request, fields.pop("version", None))
        services.rule_update(by=request.user, rule_id=rule.pk, version=version, fields=fields)
        return self._output(rule.pk)
