"""Django admin for the e-mail outbox: where a failed e-mail shows, with its error.

Registered when servicedesk.core.admin imports this module (`from . import admin_email`).
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import EmailState, OutboundEmail


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    """Written by the desk, read by administrators; "retry now" queues a failed e-mail again."""

    list_display = ["id", "to", "subject", "state", "attempts", "next_attempt_at", "sent_at"]
    list_filter = ["state"]
    search_fields = ["to", "subject"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "to",
        "subject",
        "body",
        "state",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "sent_at",
    ]
    actions = ["retry_now"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Retry the selected failed e-mails now"))
    def retry_now(self, request, queryset):
        from . import email

        done = sum(
            email.email_retry(email_id=pk)
            for pk in queryset.filter(state=EmailState.FAILED).values_list("pk", flat=True)
        )
        self.message_user(request, _("%(n)d e-mail(s) queued again.") % {"n": done})
