from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    """The service audit (服务审核): check forms, quality reviews and the agent scorecard."""

    name = "servicedesk.audit"
    label = "audit"
    verbose_name = _("Service audit")
