from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import OuterRef

from servicedesk.core.compiled import CompiledQuery
from servicedesk.core.models import DepartmentMembership
from servicedesk.core.roles import remember_role

from .services import guarded_sign_in

_SIGNED_IN = CompiledQuery(
    lambda user_id: (
        get_user_model()
        ._default_manager.annotate(
            desk_groups=ArraySubquery(Group.objects.filter(user=OuterRef("pk")).values("name")),
            desk_departments=ArraySubquery(
                DepartmentMembership.objects.filter(user=OuterRef("pk")).values("department_id")
            ),
        )
        .filter(pk=user_id)
    ),
    "user_id",
)


class ThrottledModelBackend(ModelBackend):
    """Django's model backend behind the lock-out, so every sign-in form (the desk's, the admin's)
    is limited alike. A locked attempt never checks the password."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None

        def check():
            return super(ThrottledModelBackend, self).authenticate(
                request, username=username, password=password
            )

        user, lock = guarded_sign_in(request, username, check)
        if lock is not None:
            if request is not None:
                request.signin_lock = lock  # the login form says why
            raise PermissionDenied  # authenticate() stops here: no other backend is tried
        return user

    def get_user(self, user_id):
        """The signed-in user of each request, with their role's group names and department ids
        in the same query on PostgreSQL: every staff page reads both, which otherwise cost a
        query each (roles.user_role, selectors.user_department_ids). The query is compiled once
        (core.compiled says why)."""
        if connection.vendor != "postgresql":
            return super().get_user(user_id)
        try:
            user_id = int(user_id)
        except (TypeError, ValueError):
            return None  # a session from another user model's keys: signed out, as Django does
        found = _SIGNED_IN.instances(user_id=user_id)
        user = found[0] if found else None
        if user is None or not self.user_can_authenticate(user):
            return None
        remember_role(user, user.desk_groups)
        user._desk_department_ids = list(user.desk_departments)
        return user
