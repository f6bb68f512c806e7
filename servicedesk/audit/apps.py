from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    """The service audit (服务审核): check forms, quality reviews and the agent scorecard."""

    name = "servicedesk.audit"
    label = "audit"
    verbose_name = _("Service audit")

    def ready(self) -> None:
        from servicedesk.core import navigation
        from servicedesk.core.roles import Role, grant

        # Forms, their items and the scorecard are the administrators' (Django admin, and the
        # scorecard page); reviews are written by managers through the desk's pages and API, so
        # the admin only reads them.
        grant(
            Role.ADMINISTRATOR,
            *(
                f"audit.{verb}_{model}"
                for model in ("checkform", "checkitem", "scorecard")
                for verb in ("add", "change", "view")
            ),
            "audit.view_review",
            "audit.view_reviewscore",
        )
        navigation.register(
            navigation.NavItem(
                "audit",
                _("Service audit"),
                "audit:index",
                (Role.MANAGER, Role.ADMINISTRATOR),
                order=70,
            )
        )
        navigation.register(
            navigation.NavItem("my_reviews", _("My reviews"), "audit:mine", (Role.AGENT,), order=70)
        )
