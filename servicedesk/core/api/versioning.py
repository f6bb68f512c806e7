"""Optimistic concurrency over the API, one way for every app: GET answers the row's version as
its ETag, a write sends it back (in the body or as If-Match), and a stale one is a 409."""

import re

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from .schema import error_response

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description='The version you last read, e.g. "3" (the ETag of GET).',
)
CONFLICT = error_response("It changed since your version: see `current` and `changes`.")
VERSION_HELP = _("The version you last read; or send it as an If-Match header.")


def version_from(request, body_version, *, required: bool = True) -> int | None:
    """The version the caller read, from the body or If-Match. Required by default, so no write
    is blind; `required=False` for the older writes that allowed a last-writer-wins update."""
    if body_version is not None:
        return body_version
    match = re.fullmatch(r'\s*(?:W/)?"?(\d{1,18})"?\s*', request.headers.get("If-Match", ""))
    if match:
        return int(match.group(1))
    if not required and "If-Match" not in request.headers:
        return None
    raise ValidationError(
        {"version": [_("Send the version you last read, in the body or as If-Match.")]}
    )


def with_etag(response: Response, obj) -> Response:
    """The version as the ETag; `obj` is a model instance or an item read as values."""
    version = obj["version"] if isinstance(obj, dict) else obj.version
    response["ETag"] = f'"{version}"'
    return response
