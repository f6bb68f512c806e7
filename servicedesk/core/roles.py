"""Roles are auth groups with permissions; this table is the one place that says who may do what.

Later apps add their permission codenames to ROLE_PERMISSIONS; the groups are re-synced after every
`migrate`, so a fresh database and an upgraded one end up the same.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    AGENT = "agent", _("Agent")
    MANAGER = "manager", _("Manager")
    ADMINISTRATOR = "administrator", _("Administrator")


# Highest first: a user in several groups acts with the highest role.
ROLE_ORDER = [Role.ADMINISTRATOR, Role.MANAGER, Role.AGENT]

# "app_label.codename" per role. Codenames of models not yet installed are skipped at sync time.
ROLE_PERMISSIONS: dict[str, set[str]] = {
    Role.AGENT: {
        "core.view_department",
        "core.add_apitoken",
        "core.view_apitoken",
    },
    Role.MANAGER: {
        "core.view_department",
        "core.add_apitoken",
        "core.view_apitoken",
        "core.view_workerping",
    },
    Role.ADMINISTRATOR: {
        "auth.add_user",
        "auth.change_user",
        "auth.view_user",
        "auth.view_group",
        "core.add_department",
        "core.change_department",
        "core.delete_department",
        "core.view_department",
        "core.add_departmentmembership",
        "core.change_departmentmembership",
        "core.delete_departmentmembership",
        "core.view_departmentmembership",
        "core.add_apitoken",
        "core.view_apitoken",
        "core.change_apitoken",
        "core.add_workerping",
        "core.view_workerping",
        # The desk's own logs, read-only in admin: events, their deliveries, transitions, e-mail.
        "core.view_domainevent",
        "core.view_eventdelivery",
        "core.view_statuschange",
        "core.view_outboundemail",
        "core.view_taskoutbox",
    },
}


def grant(role: str, *perms: str) -> None:
    """Let a later app extend a role's rights from its AppConfig.ready()."""
    ROLE_PERMISSIONS[role].update(perms)


def user_role(user) -> Role | None:
    """The user's highest role, cached on the instance (one group query per request at most)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if not hasattr(user, "_desk_role"):
        names = () if user.is_superuser else user.groups.values_list("name", flat=True)
        remember_role(user, names)
    return user._desk_role


def remember_role(user, group_names) -> None:
    """Cache the role from the user's group names (read here, or with the user: the sign-in
    backend's get_user reads them in the same query)."""
    names = set(group_names)
    user._desk_role = (
        Role.ADMINISTRATOR
        if user.is_superuser
        else next((r for r in ROLE_ORDER if r.value in names), None)
    )


def has_role(user, *roles: str) -> bool:
    role = user_role(user)
    return role is not None and (not roles or role in roles)


def is_manager_or_admin(user) -> bool:
    return has_role(user, Role.MANAGER, Role.ADMINISTRATOR)


def sync_role_groups(sender=None, **kwargs) -> None:
    from django.apps import apps
    from django.contrib.auth.models import Group, Permission

    # post_migrate fires once per app, in INSTALLED_APPS order, and each app's permissions are
    # created by its own firing: sync after the last one (apps without models get no signal).
    last = [c for c in apps.get_app_configs() if c.models_module is not None][-1]
    if sender is not None and sender.label != last.label:
        return
    all_codes = {code for codes in ROLE_PERMISSIONS.values() for code in codes}
    perms = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type")
        if f"{p.content_type.app_label}.{p.codename}" in all_codes
    }
    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.value)
        group.permissions.set([perms[c] for c in ROLE_PERMISSIONS[role] if c in perms])
