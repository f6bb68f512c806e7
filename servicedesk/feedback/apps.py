from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    """Staff feedback (员工信息反馈) and internal customers (内部客户)."""

    name = "servicedesk.feedback"
    label = "feedback"
    verbose_name = _("Staff feedback")

    def ready(self) -> None:
        from servicedesk.core import navigation

        # Every desk role: agents tell cases and make suggestions, managers share and decide.
        navigation.register(navigation.NavItem("team", _("Team"), "feedback:index", order=65))
