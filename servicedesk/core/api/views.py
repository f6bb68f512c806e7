from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import selectors, services
from ..models import ApiToken, WorkerPing
from ..roles import Role, user_role
from .serializers import (
    ID_PATTERN,
    DepartmentSerializer,
    MeSerializer,
    WorkerPingInputSerializer,
    WorkerPingSerializer,
)


class MeView(APIView):
    """The caller: who they are, their role and departments, and how they authenticated."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        user = request.user
        data = {
            "id": user.pk,
            "username": user.get_username(),
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "role": user_role(user),
            "departments": selectors.user_departments(user),
            "auth": "token" if isinstance(request.auth, ApiToken) else "session",
        }
        return Response(MeSerializer(data).data)


class DepartmentViewSet(viewsets.ReadOnlyModelViewSet):
    """Departments that lead or collaborate on service records."""

    serializer_class = DepartmentSerializer
    lookup_value_regex = ID_PATTERN
    filterset_fields = ["is_active", "code"]
    search_fields = ["code", "name_en", "name_zh"]
    ordering_fields = ["name_en", "code"]

    def get_queryset(self):
        return selectors.department_list(active_only=False).order_by("name_en", "pk")


class WorkerPingViewSet(
    mixins.CreateModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Round trip through the broker: POST sends a task, GET shows whether a worker ran it."""

    required_roles = (Role.ADMINISTRATOR,)
    serializer_class = WorkerPingSerializer
    lookup_value_regex = ID_PATTERN
    queryset = WorkerPing.objects.all()
    filter_backends = []

    @extend_schema(request=None, responses={201: WorkerPingSerializer})
    def create(self, request, *args, **kwargs):
        WorkerPingInputSerializer(data=request.data).is_valid(raise_exception=True)
        ping = services.worker_ping_create(user=request.user)
        return Response(WorkerPingSerializer(ping).data, status=status.HTTP_201_CREATED)


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@permission_classes([AllowAny])
def api_not_found(request, *args, **kwargs):
    raise NotFound(_("There is no API endpoint at this address. See /api/docs/."))
