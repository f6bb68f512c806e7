from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from servicedesk.securitylog import services as securitylog
from servicedesk.securitylog.models import EventKind

from ..models import ApiToken, hash_token


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token <key>` (or `Bearer <key>`); the token acts with its owner's role."""

    keywords = (b"token", b"bearer")

    def authenticate(self, request):
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].lower() not in self.keywords:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Malformed Authorization header."))
        try:
            key = parts[1].decode()
        except UnicodeError as exc:
            raise exceptions.AuthenticationFailed(_("Malformed Authorization header.")) from exc
        token = (
            ApiToken.objects.active()
            .select_related("user")
            .filter(key_hash=hash_token(key))
            .first()
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        _note_use(request, token)
        return token.user, token

    def authenticate_header(self, request):
        return 'Token realm="api"'


def _note_use(request, token: ApiToken) -> None:
    """A coarse last-used stamp (at most one write a minute per token) and, in the same write,
    an address the token has not been used from; use from a new address is logged, except the
    token's first."""
    now = timezone.now()
    changes = {}
    if not token.last_used_at or (now - token.last_used_at).total_seconds() > 60:
        changes["last_used_at"] = now
    address = securitylog.client_address(request)
    if address and address not in token.addresses:
        changes["addresses"] = [*token.addresses, address][-ApiToken.MAX_ADDRESSES :]
        if token.addresses:
            securitylog.record(
                EventKind.TOKEN_NEW_ADDRESS, request=request, user=token.user, token=token.prefix
            )
    if changes:
        ApiToken.objects.filter(pk=token.pk).update(**changes)


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "servicedesk.core.api.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": _("Personal API token, sent as `Token <key>`."),
        }
