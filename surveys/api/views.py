"""/api/v1/survey-templates/, /api/v1/survey-invitations/ and /api/v1/survey-responses/: thin
shells over surveys.services (invitations and templates) and the reads in
surveys.api.queries, in the shape of the records and callbacks APIs."""

from django.http import Http404
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from followups.selectors import visit_visible
from servicedesk.core.api.lean import paginate_values, respond
from servicedesk.core.api.serializers import ID_PATTERN
from servicedesk.core.api.versioning import CONFLICT, IF_MATCH, version_from, with_etag
from servicedesk.core.roles import Role
from tickets.complaints.selectors import complaint_visible
from tickets.selectors import record_visible

from .. import services
from ..delivery import invitation_link
from ..models import Channel, SurveyInvitation, SurveyTemplate
from . import lists, queries
from .filters import InvitationFilter, ResponseFilter
from .serializers import (
    InvitationCreatedSerializer,
    InvitationCreateInputSerializer,
    InvitationOutputSerializer,
    ResponseOutputSerializer,
    TemplateCreateInputSerializer,
    TemplateOutputSerializer,
    TemplateUpdateInputSerializer,
)


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# --- templates ------------------------------------------------------------------------------------


class SurveyTemplateViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Survey templates with their questions in order. Every desk role reads them; only
    administrators add or change them (deactivate with `is_active`; templates are not deleted)."""

    serializer_class = TemplateOutputSerializer
    lookup_value_regex = ID_PATTERN
    filter_backends = [DjangoFilterBackend]
    filterset_fields = ["is_active"]

    @property
    def required_roles(self) -> tuple:
        # Read by HasDeskRole: reading needs any desk role, writing the administrator's.
        return (Role.ADMINISTRATOR,) if self.action in ("create", "partial_update") else ()

    def get_queryset(self):
        # By key, which is unique: the cursor pages along it.
        return queries.template_list()

    def _output(self, pk, status_code=status.HTTP_200_OK):
        template = queries.template_list().filter(pk=pk).first()
        if template is None:
            raise Http404
        data = TemplateOutputSerializer(template).data
        return with_etag(Response(data, status=status_code), template)

    def retrieve(self, request, *args, **kwargs):
        return self._output(kwargs["pk"])

    @extend_schema(request=TemplateCreateInputSerializer, responses={201: TemplateOutputSerializer})
    def create(self, request):
        """A template and its questions, asked in the order given (about six keep it short)."""
        fields = _valid(TemplateCreateInputSerializer, request)
        questions = fields.pop("questions")
        template = services.template_create(by=request.user, fields=fields, questions=questions)
        return self._output(template.pk, status.HTTP_201_CREATED)

    @extend_schema(
        request=TemplateUpdateInputSerializer,
        parameters=[IF_MATCH],
        responses={200: TemplateOutputSerializer, 409: CONFLICT},
    )
    def partial_update(self, request, pk=None):
        """Change a template with the version read (body or If-Match): a stale one is a 409.
        `questions`, when sent, is the whole list in order."""
        if not SurveyTemplate.objects.filter(pk=pk).exists():
            raise Http404
        fields = _valid(TemplateUpdateInputSerializer, request)
        version = version_from(request, fields.pop("version", None))
        questions = fields.pop("questions", None)
        services.template_update(
            by=request.user,
            template_id=int(pk),
            version=version,
            fields=fields,
            questions=questions,
        )
        return self._output(pk)


# --- invitations ----------------------------------------------------------------------------------


def _follows(request, v: dict) -> dict:
    """The record, visit or complaint the invitation follows, once the caller may see it (that
    it is the customer's own, services.survey_invite checks); a refusal is a 400 on its field."""
    found = {}
    sources = {
        "record": record_visible(request.user),
        "visit": visit_visible(request.user),
        "complaint": complaint_visible(request.user).select_related("record"),
    }
    for name, queryset in sources.items():
        pk = v.get(name)
        if pk is None:
            continue
        obj = queryset.filter(pk=pk).first()
        if obj is None:
            raise ValidationError({name: [_("Not found, or not visible to you.")]})
        found[name] = obj
    return found


class SurveyInvitationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Invitations the caller may see (managers and administrators all; agents their departments',
    theirs, and those they made), newest first. The token is never shown here: only its hash is
    stored, and a `link` invitation's address is answered once, by the POST that makes it."""

    serializer_class = InvitationOutputSerializer
    lookup_value_regex = ID_PATTERN
    filter_backends = [DjangoFilterBackend]
    filterset_class = InvitationFilter

    def get_queryset(self):
        return queries.invitation_list(self.request.user)

    @extend_schema(
        request=InvitationCreateInputSerializer, responses={201: InvitationCreatedSerializer}
    )
    def create(self, request):
        """Invite a customer to a survey about a record, a visit or a complaint (or in general).
        Refused with a 400 naming the field when the customer has an open invitation about the
        same thing, was asked in the last days (the survey policy), has no e-mail address for
        `email`, or the template is inactive."""
        v = _valid(InvitationCreateInputSerializer, request)
        template = SurveyTemplate.objects.filter(pk=v["template"]).first()
        if template is None:
            raise ValidationError({"template": [_("Choose a survey template.")]})
        follows = _follows(request, v)
        try:
            invitation = services.survey_invite(
                template=template,
                customer_id=v["customer"],
                channel=v["channel"],
                by=request.user,
                **follows,
            )
        except services.NotInvited as exc:
            # "subject" is what the invitation follows: the input named it (or only the customer).
            field = exc.field
            if field == "subject":
                field = next(iter(follows), "customer")
            raise ValidationError({field or "non_field_errors": [str(exc.message)]}) from exc
        invitation = SurveyInvitation.objects.select_related(
            "template", "customer", "department", "agent"
        ).get(pk=invitation.pk)
        invitation.link = (
            invitation_link(invitation) if invitation.channel == Channel.LINK else None
        )
        data = InvitationCreatedSerializer(invitation).data
        return Response(data, status=status.HTTP_201_CREATED)


# --- responses ------------------------------------------------------------------------------------


class SurveyResponseViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Answers the caller may see (managers and administrators all; agents their departments'
    and those of invitations naming them), newest first, each with its answers in question order.
    Staff-entered answers (read out on a call) are marked and can be filtered apart."""

    serializer_class = ResponseOutputSerializer
    lookup_value_regex = ID_PATTERN
    filter_backends = [DjangoFilterBackend]
    filterset_class = ResponseFilter

    def get_queryset(self):
        return queries.with_response_data(queries.response_list(self.request.user))

    def list(self, request, *args, **kwargs):
        # Rows as values with their answers: the serializer's items without model instances
        # (surveys.api.lists, held equal to the serializer by a test).
        qs = self.filter_queryset(queries.response_list(request.user))
        rows = paginate_values(self, qs, lists.RESPONSE_COLUMNS)
        return respond(self, lists.response_items(rows))
