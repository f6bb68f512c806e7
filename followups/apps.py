from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupsConfig(AppConfig):
    name = "followups"
    verbose_name = _("Callback visits")

    def ready(self) -> None:
        from servicedesk.core import navigation

        navigation.register(
            navigation.NavItem("callbacks", _("Callbacks"), "followups:index", order=40)
        )
