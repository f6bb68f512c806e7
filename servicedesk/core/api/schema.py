"""The OpenAPI schema says what the API really answers, so generated clients and fuzzers agree.

- Every operation lists the errors it can answer (400, 401, 403, 404, 415, 429), each in the one
  error shape (servicedesk.core.api.errors), next to its success and any 409 a view declares.
- Inputs built on StrictInputMixin refuse unknown fields, and their request schemas say so with
  `additionalProperties: false`.
- Path ids (`lookup_value_regex = ID_PATTERN`) are integers, not strings with a digits pattern.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import force_instance
from drf_spectacular.utils import OpenApiResponse
from rest_framework.permissions import AllowAny

from .serializers import ID_PATTERN, MAX_ID, ApiErrorSerializer, StrictInputMixin

ERRORS = {
    "400": _("The input is not valid: `fields` names each refused input with its messages."),
    "401": _("No credentials, or a token that is unknown or revoked."),
    "403": _("Your role does not allow this (or, with a session, the CSRF check failed)."),
    "404": _("Not found, or not visible to you; for a list, a page past the end."),
    "415": _("The body is not in a media type this operation reads."),
    "429": _("Too many requests for this token this minute (settings.API_RATE_PER_MINUTE)."),
}


def error_response(description) -> OpenApiResponse:
    return OpenApiResponse(ApiErrorSerializer, description=description)


# An upload the server has no room for (servicedesk.core.exceptions.StorageFull): retry later.
STORAGE_FULL = error_response(
    _("The server has no room to store the file now (a full disk): nothing was saved; retry later.")
)


class DeskAutoSchema(AutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        for code in self._error_codes(operation):
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    error_response(ERRORS[code]), code, direction="response"
                )
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _error_codes(self, operation) -> list[str]:
        locations = {p["in"] for p in operation.get("parameters", ())}
        has_body = "requestBody" in operation
        codes = []
        if has_body or locations & {"query", "header"}:
            codes.append("400")
        if not all(isinstance(p, AllowAny) for p in self.view.get_permissions()):
            codes += ["401", "403", "429"]
        if "path" in locations or self._is_list_view():
            codes.append("404")
        if has_body:
            codes.append("415")
        return codes

    def _resolve_path_parameters(self, variables):
        parameters = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            if parameter["schema"].get("pattern") == f"^{ID_PATTERN}$":
                parameter["schema"] = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
        return parameters

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "request" and isinstance(force_instance(serializer), StrictInputMixin):
            schema["additionalProperties"] = False
        return schema
