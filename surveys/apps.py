from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Satisfaction surveys")

    def ready(self) -> None:
        from servicedesk.core import events, navigation, periodic

        from . import subscribers

        navigation.register(navigation.NavItem("surveys", _("Surveys"), "surveys:index", order=50))
        for event, name, handler, when in (
            ("record_status_changed", "surveys.invite_after_resolution",
             subscribers.invite_after_resolution, subscribers.is_resolution),
            ("visit_status_changed", "surveys.invite_after_callback",
             subscribers.invite_after_callback, subscribers.is_visit_done),
            ("complaint_step_changed", "surveys.invite_at_recheck",
             subscribers.invite_at_recheck, subscribers.is_recheck),
            ("survey_answered", "surveys.close_the_loop", subscribers.close_the_loop, None),
            ("survey_opted_in", "surveys.after_opt_in", subscribers.after_opt_in, None),
        ):  # fmt: skip
            events.subscribe(event, name, handler, when=when)
        periodic.register(
            periodic.PeriodicTask(
                "surveys-send-unsent", "surveys.send_unsent", 300.0, "survey e-mails not yet sent"
            )
        )
