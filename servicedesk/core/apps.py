from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "servicedesk.core"
    label = "core"
    verbose_name = _("Desk core")

    def ready(self) -> None:
        from . import periodic, roles, signals  # noqa: F401  (connects receivers)

        periodic.register(
            periodic.PeriodicTask(
                "core-outbox-resend", "core.outbox_resend", 60.0, "tasks Redis missed"
            )
        )
        periodic.register(
            periodic.PeriodicTask(
                "core-events-retry", "core.events_retry", 30.0, "event deliveries due again"
            )
        )
        periodic.register(
            periodic.PeriodicTask(
                "core-email-retry", "core.email_retry_due", 60.0, "e-mails due (again) to send"
            )
        )

        # Permissions only exist after every app has migrated, so the role groups are synced then.
        post_migrate.connect(roles.sync_role_groups, dispatch_uid="core.sync_role_groups")
