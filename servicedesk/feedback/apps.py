from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    """Staff feedback (员工信息反馈) and internal customers (内部客户)."""

    name = "servicedesk.feedback"
    label = "feedback"
    verbose_name = _("Staff feedback")
