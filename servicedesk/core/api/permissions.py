from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from ..roles import has_role


class HasDeskRole(BasePermission):
    """Authenticated and holding a desk role; a view narrows it with `required_roles`."""

    message = _("Your role does not allow this.")

    def has_permission(self, request, view) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        return has_role(request.user, *getattr(view, "required_roles", ()))
