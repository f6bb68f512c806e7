"""Writes for the core: departments, tokens, profiles, worker pings."""

import secrets
import zoneinfo

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk.securitylog import services as securitylog
from servicedesk.securitylog.models import EventKind

from .exceptions import DomainError
from .models import ApiToken, Department, DepartmentMembership, Profile, WorkerPing, hash_token
from .outbox import enqueue
from .roles import Role

TOKEN_PREFIX = "sdk_"  # noqa: S105 - a public marker, not a secret


@transaction.atomic
def user_set_role(*, user, role: str) -> None:
    """Put the user in exactly one role group."""
    if role not in Role.values:
        raise DomainError(_("Unknown role."), field="role")
    # Only the groups the user is in: the security log records what was really removed.
    user.groups.remove(*user.groups.filter(name__in=Role.values).exclude(name=role))
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    # Administrators manage users and departments in Django admin, which needs is_staff.
    is_staff = role == Role.ADMINISTRATOR or user.is_superuser
    if user.is_staff != is_staff:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])
    user.__dict__.pop("_desk_role", None)


@transaction.atomic
def department_add_member(*, department: Department, user, is_manager: bool = False):
    membership, _created = DepartmentMembership.objects.update_or_create(
        department=department, user=user, defaults={"is_manager": is_manager}
    )
    return membership


@transaction.atomic
def api_token_create(*, user, name: str, request=None) -> tuple[ApiToken, str]:
    """Create a token and return it with its key; the key is never stored or shown again."""
    name = (name or "").strip()
    if not name:
        raise DomainError(
            _("Give the token a name, e.g. the system that will use it."), field="name"
        )
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name[:80], prefix=key[:10], key_hash=hash_token(key)
    )
    securitylog.record(
        EventKind.TOKEN_CREATED, request=request, user=user, token=token.prefix, name=token.name
    )
    return token, key


@transaction.atomic
def api_token_revoke(*, token: ApiToken, request=None) -> ApiToken:
    # A filtered update makes revoking twice a no-op and keeps the first revocation time.
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    token.refresh_from_db(fields=["revoked_at"])
    if revoked:
        securitylog.record(
            EventKind.TOKEN_REVOKED, request=request, user=token.user, token=token.prefix
        )
    return token


def profile_set_time_zone(*, user, time_zone: str) -> Profile:
    if time_zone and time_zone not in zoneinfo.available_timezones():
        raise DomainError(_("Unknown time zone."), field="time_zone")
    profile, _created = Profile.objects.update_or_create(
        user=user, defaults={"time_zone": time_zone}
    )
    return profile


@transaction.atomic
def worker_ping_create(*, user=None) -> WorkerPing:
    ping = WorkerPing.objects.create(created_by=user)
    enqueue("core.worker_ping_complete", ping.pk)
    return ping


def worker_ping_complete(*, ping_id: int, worker: str) -> bool:
    """Idempotent: only the first completion is recorded."""
    updated = WorkerPing.objects.filter(pk=ping_id, completed_at__isnull=True).update(
        completed_at=timezone.now(), worker=worker[:200]
    )
    return bool(updated)


def user_create(*, username: str, password: str, role: str, **fields):
    User = get_user_model()
    user = User.objects.create_user(username=username, password=password, **fields)
    user_set_role(user=user, role=role)
    return user
