from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "servicedesk.dashboard"
    label = "dashboard"
    verbose_name = _("Dashboard")

    def ready(self) -> None:
        from servicedesk.core import navigation
        from servicedesk.core.roles import Role

        navigation.register(
            navigation.NavItem(
                "dashboard",
                _("Dashboard"),
                "dashboard:index",
                (Role.MANAGER, Role.ADMINISTRATOR),
                order=60,
            )
        )
