from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Satisfaction surveys")

    def ready(self) -> None:
        from customers import timeline
        from servicedesk.core import events, navigation, periodic
        from servicedesk.core.roles import Role, grant

        from . import privacy, sections, subscribers

        # The template editor and the survey settings are the administrators' (Django admin);
        # everyone reads invitations and responses through the desk's own pages and API.
        grant(
            Role.ADMINISTRATOR,
            *(
                f"surveys.{verb}_{model}"
                for model in ("surveytemplate", "question", "surveypolicy")
                for verb in ("add", "change", "view")
            ),
            "surveys.view_surveyinvitation",
            "surveys.view_surveyresponse",
            "surveys.view_answer",
        )

        navigation.register(navigation.NavItem("surveys", _("Surveys"), "surveys:index", order=50))
        timeline.register_section(
            timeline.Section(
                "surveys",
                _("Survey answers"),
                "surveys/customer_section.html",
                sections.customer_section,
                40,
            )
        )
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
        periodic.register(
            periodic.PeriodicTask(
                "surveys-roll-days", "surveys.roll_days", 3600.0, "closed days' survey sums"
            )
        )
        periodic.register(
            periodic.PeriodicTask(
                "surveys-purge-free-text",
                "surveys.purge_free_text",
                86400.0,
                "typed answers past SURVEY_FREE_TEXT_RETENTION_DAYS",
            )
        )
        privacy.register_part()  # the answers' part of a customer's export and erasure
        # A response changed or deleted (also by a cascade: a customer erased with their answers)
        # reopens its day if it was summed: figures stay exact until the next roll.
        post_save.connect(_reopen, sender="surveys.SurveyResponse", dispatch_uid="surveys.reopen")
        post_delete.connect(
            _reopen, sender="surveys.SurveyResponse", dispatch_uid="surveys.reopen_deleted"
        )
        # An invitation sent, answered, cancelled or deleted reopens its day of invitation sums.
        post_save.connect(
            _reopen_invitation, sender="surveys.SurveyInvitation", dispatch_uid="surveys.reopen_inv"
        )
        post_delete.connect(
            _reopen_invitation,
            sender="surveys.SurveyInvitation",
            dispatch_uid="surveys.reopen_inv_deleted",
        )


def _reopen(sender, instance, **kwargs) -> None:
    from . import rollups

    rollups.reopen(instance.submitted_at)


def _reopen_invitation(sender, instance, **kwargs) -> None:
    from . import rollups

    rollups.reopen_invitations(instance.created_at)
