"""/api/v1/reviews/ and /api/v1/check-forms/: thin shells over servicedesk.audit.services and
the reads in servicedesk.audit.selectors."""

from django.http import Http404
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from servicedesk.core.api.serializers import ID_PATTERN
from servicedesk.core.roles import Role

from .. import selectors, services
from .filters import ReviewFilter
from .serializers import (
    AcknowledgeInputSerializer,
    CheckFormOutputSerializer,
    ReviewCreateInputSerializer,
    ReviewOutputSerializer,
)


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class CheckFormViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Check forms with their items in order. Every desk role reads them (an agent may see what
    they are scored against); administrators edit them in the admin."""

    serializer_class = CheckFormOutputSerializer
    lookup_value_regex = ID_PATTERN
    filter_backends = [DjangoFilterBackend]
    filterset_fields = ["is_active"]

    def get_queryset(self):
        # By key, which is unique: the cursor pages along it.
        return selectors.form_list()


class ReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Quality reviews, newest first: managers and administrators see all of them, an agent only
    the reviews of their own work. Managers create them; the reviewed agent acknowledges one,
    once."""

    serializer_class = ReviewOutputSerializer
    lookup_value_regex = ID_PATTERN
    filter_backends = [DjangoFilterBackend]
    filterset_class = ReviewFilter

    @property
    def required_roles(self) -> tuple:
        # Read by HasDeskRole: creating needs a manager's role; the service checks it too.
        return (Role.MANAGER, Role.ADMINISTRATOR) if self.action == "create" else ()

    def get_queryset(self):
        return selectors.with_scores(selectors.review_list(self.request.user))

    def _output(self, pk, status_code=status.HTTP_200_OK):
        review = self.get_queryset().filter(pk=pk).first()
        if review is None:
            raise Http404
        return Response(ReviewOutputSerializer(review).data, status=status_code)

    @extend_schema(request=ReviewCreateInputSerializer, responses={201: ReviewOutputSerializer})
    def create(self, request):
        """Review a handled record (resolved or closed) or complaint (step 5 or later) against
        an active form, with a score for every item. The agent is its assignee. Refused with a
        400 naming the field when it is not reviewable, has nobody assigned, or was already
        reviewed against that form."""
        v = _valid(ReviewCreateInputSerializer, request)
        scores = {s["item"]: s["points"] for s in v["scores"]}
        try:
            review = services.review_create(
                by=request.user,
                form_id=v["form"],
                record_id=v["record"],
                complaint_id=v["complaint"],
                scores=scores,
                comment=v["comment"],
            )
        except services.ScoresInvalid as exc:
            raise ValidationError(
                {
                    "scores": [
                        _("Item %(item)d: %(message)s") % {"item": item, "message": message}
                        for item, message in exc.errors.items()
                    ]
                }
            ) from exc
        return self._output(review.pk, status.HTTP_201_CREATED)

    @extend_schema(request=AcknowledgeInputSerializer, responses={200: ReviewOutputSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """The reviewed agent acknowledges the review, once, with an optional reply (anyone
        else: 403; a second time: 400)."""
        if not selectors.review_visible(request.user).filter(pk=pk).exists():
            raise Http404
        v = _valid(AcknowledgeInputSerializer, request)
        services.review_acknowledge(by=request.user, review_id=int(pk), reply=v["reply"])
        return self._output(pk)
