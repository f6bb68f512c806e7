from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupsConfig(AppConfig):
    name = "followups"
    verbose_name = _("Callback visits")

    def ready(self) -> None:
        from customers import services as customer_services
        from customers import timeline
        from servicedesk.core import events, mywork, navigation, periodic
        from servicedesk.core.roles import Role, grant
        from tickets import sections as record_sections

        from . import panels, privacy, services, subscribers

        staff = ("followups.view_callbackvisit", "followups.change_callbackvisit",
                 "followups.add_callbackvisit", "followups.view_callbackrule")  # fmt: skip
        grant(Role.AGENT, *staff)
        grant(Role.MANAGER, *staff)
        grant(
            Role.ADMINISTRATOR,
            *staff,
            *(
                f"followups.{verb}_{m}"
                for m in ("callbackrule", "greetingdate")
                for verb in ("add", "change", "view")
            ),  # fmt: skip
        )
        mywork.register_panel(
            mywork.Panel("callbacks", "followups/panels/my_work.html", panels.my_work_panel, 30)
        )
        timeline.register_section(
            timeline.Section(
                "callbacks",
                _("Callback visits"),
                "followups/panels/customer_visits.html",
                panels.customer_section,
                30,
            )
        )
        timeline.register_source("callbacks", panels.customer_timeline)
        record_sections.register(
            record_sections.RecordSection(
                "callbacks",
                _("Callback visits"),
                "followups/panels/record_visits.html",
                panels.record_section,
                10,
            )
        )
        navigation.register(
            navigation.NavItem("callbacks", _("Callbacks"), "followups:index", order=40)
        )
        events.subscribe(
            "record_status_changed",
            "followups.schedule_after_resolution",
            subscribers.schedule_after_resolution,
            when=subscribers.is_resolution,
        )
        events.subscribe(
            "complaint_step_changed",
            "followups.schedule_complaint_recheck",
            subscribers.schedule_complaint_recheck,
            when=subscribers.is_complaint_recheck,
        )
        customer_services.register_merge_hook("followups", services.visits_before_merge)
        privacy.register_part()  # the visits' part of a customer's export and erasure
        for name, task, seconds, why in (
            ("followups-scan", "followups.scan", 900.0, "periodic and greeting visits"),
            ("followups-remind", "followups.remind", 300.0, "callbacks about to fall due"),
            ("followups-mark-missed", "followups.mark_missed", 900.0, "closed windows"),
        ):
            periodic.register(periodic.PeriodicTask(name, task, seconds, why))
