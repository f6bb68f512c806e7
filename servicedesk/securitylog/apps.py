from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityLogConfig(AppConfig):
    """The security audit log: sign-ins, lock-outs, tokens, roles, exports, merges. Kept apart
    from record history (simple-history), which says what changed on a record, not who got in."""

    name = "servicedesk.securitylog"
    label = "securitylog"
    verbose_name = _("Security log")

    def ready(self) -> None:
        from . import receivers  # noqa: F401 - connects the signal receivers
