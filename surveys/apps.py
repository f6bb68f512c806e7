from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Satisfaction surveys")

    def ready(self) -> None:
        from servicedesk.core import navigation

        navigation.register(navigation.NavItem("surveys", _("Surveys"), "surveys:index", order=50))
