"""One JSON error shape for every API failure:

    {"error": {"status": 400, "code": "invalid", "message": "...", "fields": {"email": ["..."]}}}

`fields` is present for validation errors and maps each input field to its messages.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from ..exceptions import ConflictError, DomainError, StorageFull


def error_body(status_code: int, code: str, message: str, fields=None, **extra) -> dict:
    body = {"status": status_code, "code": code, "message": str(message)}
    if fields:
        body["fields"] = fields
    body.update(extra)
    return {"error": body}


def _as_drf(exc):
    if isinstance(exc, ConflictError | StorageFull):
        return exc
    if isinstance(exc, DomainError):
        return exceptions.ValidationError(exc.as_field_errors())
    if isinstance(exc, DjangoValidationError):
        detail = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        return exceptions.ValidationError(detail)
    return exc


def exception_handler(exc, context):
    exc = _as_drf(exc)
    if isinstance(exc, StorageFull):
        # The server's fault, not the input's: 507, so a client retries later instead of
        # "fixing" a file that was fine.
        return Response(
            error_body(507, exc.code, exc.message, fields=exc.as_field_errors()),
            status=status.HTTP_507_INSUFFICIENT_STORAGE,
        )
    if isinstance(exc, ConflictError):
        return Response(
            error_body(409, "conflict", exc.message, current=exc.current, changes=exc.changes),
            status=status.HTTP_409_CONFLICT,
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real bug: let Django log it and answer 500
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        response.data = error_body(
            response.status_code,
            "invalid",
            _("The input is not valid. See the field messages."),
            fields=detail,
        )
    elif isinstance(exc, exceptions.APIException):
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        response.data = error_body(response.status_code, code, exc.detail)
    elif isinstance(exc, Http404):
        response.data = error_body(404, "not_found", _("Not found."))
    elif isinstance(exc, DjangoPermissionDenied):
        response.data = error_body(403, "permission_denied", _("Your role does not allow this."))
    return response


def json_error(status_code: int, code: str, message: str) -> JsonResponse:
    return JsonResponse(error_body(status_code, code, message), status=status_code)
