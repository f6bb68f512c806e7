"""The staff shell's sections. Each app points its entry at its own index page."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .roles import Role


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    url_name: str
    roles: tuple[str, ...] = ()  # empty: every desk role


NAV = [
    NavItem("my_work", _("My work"), "core:my_work"),
    NavItem("customers", _("Customers"), "customers:index"),
    NavItem("records", _("Service records"), "tickets:index"),
    NavItem("complaints", _("Complaints"), "tickets:complaints"),
    NavItem("callbacks", _("Callbacks"), "followups:index"),
    NavItem("surveys", _("Surveys"), "surveys:index"),
    NavItem("dashboard", _("Dashboard"), "dashboard:index", (Role.MANAGER, Role.ADMINISTRATOR)),
    NavItem("admin", _("Admin"), "core:system", (Role.ADMINISTRATOR,)),
]
