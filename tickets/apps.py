from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Service records")

    def ready(self) -> None:
        from customers import timeline
        from servicedesk.core import mywork
        from servicedesk.core.roles import Role, grant

        from . import panels

        staff_perms = (
            "tickets.view_servicerecord",
            "tickets.add_servicerecord",
            "tickets.change_servicerecord",
            "tickets.view_servicecategory",
            "tickets.add_recordmessage",
            "tickets.add_recordattachment",
            "tickets.view_complaint",
            "tickets.view_complaintstepentry",
        )
        grant(Role.AGENT, *staff_perms)
        grant(Role.MANAGER, *staff_perms, "tickets.view_targetpolicy")
        admin_models = (
            "servicecategory",
            "targetpolicy",
            "businesscalendar",
            "holiday",
            "departmentroutingpolicy",
            "causebone",  # the fishbone's bones (tickets.complaints.rootcause.admin)
        )
        grant(
            Role.ADMINISTRATOR,
            *staff_perms,
            *(f"tickets.{verb}_{m}" for m in admin_models for verb in ("add", "change", "view")),
        )

        mywork.register_panel(
            mywork.Panel("records", "tickets/panels/my_work.html", panels.my_work_panel, 10)
        )
        timeline.register_section(
            timeline.Section(
                "records",
                _("Service records"),
                "tickets/panels/customer_records.html",
                panels.customer_section,
                20,
            )
        )
        timeline.register_source("records", panels.customer_timeline)

        from . import privacy

        privacy.register_part()  # the records' part of a customer's export and erasure

        from servicedesk.core import events, navigation, periodic

        from . import subscribers

        navigation.register(
            navigation.NavItem("records", _("Service records"), "tickets:index", order=20)
        )
        navigation.register(
            navigation.NavItem("complaints", _("Complaints"), "tickets:complaints", order=30)
        )
        periodic.register(
            periodic.PeriodicTask(
                "tickets-escalate-breaches",
                "tickets.escalate_breaches",
                300.0,  # a breach is announced within five minutes
                "breached time targets",
            )
        )
        periodic.register(
            periodic.PeriodicTask(
                "tickets-complaint-actions",
                "tickets.complaint_actions",
                900.0,
                "complaint actions due or late",
            )
        )
        periodic.register(
            periodic.PeriodicTask(
                "tickets-purge-attachments",
                "tickets.purge_attachments",
                86400.0,
                "attachments past ATTACHMENT_RETENTION_DAYS",
            )
        )
        events.subscribe(
            "record_created",
            "tickets.notify_department",
            subscribers.notify_department_of_new_record,
        )
        events.subscribe(
            "record_assigned", "tickets.notify_assignee", subscribers.notify_new_assignee
        )
