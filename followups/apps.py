from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupsConfig(AppConfig):
    name = "followups"
    verbose_name = _("Callback visits")

    def ready(self) -> None:
        from servicedesk.core import mywork, navigation

        # Until callbacks land, My work says where today's visits will appear.
        mywork.register_panel(
            mywork.Panel("callbacks", "followups/panels/placeholder.html", lambda user: {}, 30)
        )

        navigation.register(
            navigation.NavItem("callbacks", _("Callbacks"), "followups:index", order=40)
        )
