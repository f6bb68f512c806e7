from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from . import services
from .models import (
    ApiToken,
    Department,
    DepartmentMembership,
    DomainEvent,
    EmailState,
    EventDelivery,
    OutboundEmail,
    Profile,
    StatusChange,
    TaskOutbox,
    WorkerPing,
)

User = get_user_model()


class MembershipInline(admin.TabularInline):
    model = DepartmentMembership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Department)
class DepartmentAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name_en", "name_zh", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name_en", "name_zh"]
    inlines = [MembershipInline]


class UserMembershipInline(admin.TabularInline):
    model = DepartmentMembership
    extra = 0
    fk_name = "user"
    verbose_name_plural = _("departments")


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False


admin.site.unregister(User)


@admin.register(User)
class DeskUserAdmin(UserAdmin):
    inlines = [ProfileInline, UserMembershipInline]
    list_display = ["username", "first_name", "last_name", "email", "is_active", "is_staff"]
    list_filter = ["groups", "is_active", "is_staff", "departments"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "user__username", "prefix"]
    readonly_fields = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    exclude = ["key_hash"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # keys are shown once to their owner, on the account page

    @admin.action(description=_("Revoke selected tokens"))
    def revoke(self, request, queryset):
        for token in queryset:
            services.api_token_revoke(token=token, request=request)


@admin.register(TaskOutbox)
class TaskOutboxAdmin(admin.ModelAdmin):
    list_display = ["task_name", "args", "created_at", "sent_at", "attempts"]
    list_filter = ["sent_at"]
    readonly_fields = ["task_name", "args", "created_at", "sent_at", "attempts", "last_error"]


@admin.register(WorkerPing)
class WorkerPingAdmin(admin.ModelAdmin):
    list_display = ["id", "created_by", "created_at", "completed_at", "worker"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Logs written by the desk itself: administrators read them, nobody edits them here.

    These tables grow with every write, so the change list shows no exact total (a COUNT(*)).
    """

    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DomainEvent)
class DomainEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "name", "occurred_at", "actor"]
    list_filter = ["name"]
    search_fields = ["name"]
    date_hierarchy = "occurred_at"


@admin.register(EventDelivery)
class EventDeliveryAdmin(ReadOnlyAdmin):
    """Where a subscriber's final failure shows, with its error; "retry now" sends it again."""

    list_display = ["id", "subscriber", "event", "state", "attempts", "next_attempt_at"]
    list_filter = ["state", "subscriber"]
    readonly_fields = ["last_error"]
    list_select_related = ["event"]
    actions = ["retry_now"]

    @admin.action(description=_("Retry the selected failed deliveries now"))
    def retry_now(self, request, queryset):
        from . import events

        done = sum(events.delivery_retry(delivery_id=d.pk) for d in queryset)
        self.message_user(request, _("%(n)d delivered.") % {"n": done})


@admin.register(StatusChange)
class StatusChangeAdmin(ReadOnlyAdmin):
    list_display = ["at", "content_type", "object_id", "field", "from_state", "to_state", "by"]
    list_filter = ["content_type", "field", "to_state"]
    list_select_related = ["content_type", "by"]


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdmin):
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

    @admin.action(description=_("Retry the selected failed e-mails now"))
    def retry_now(self, request, queryset):
        from . import email

        done = sum(
            email.email_retry(email_id=pk)
            for pk in queryset.filter(state=EmailState.FAILED).values_list("pk", flat=True)
        )
        self.message_user(request, _("%(n)d e-mail(s) queued again.") % {"n": done})
