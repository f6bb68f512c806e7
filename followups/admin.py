"""Administrators tune the callback rules and greeting dates here; visits are only read."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from servicedesk.core.admin import ReadOnlyAdmin

from .models import CallbackRule, CallbackVisit, GreetingDate


@admin.register(CallbackRule)
class CallbackRuleAdmin(admin.ModelAdmin):
    list_display = [
        "code", "name_en", "name_zh", "trigger", "customer_tier", "interval_days",
        "delay_days", "window_days", "method", "assign_to", "department", "is_active",
        "is_desk_default",
    ]  # fmt: skip
    list_filter = ["trigger", "is_active", "method", "assign_to"]
    search_fields = ["code", "name_en", "name_zh"]
    filter_horizontal = ["categories"]
    readonly_fields = ["is_desk_default", "version"]

    def save_model(self, request, obj, form, change):
        # The API's PATCH checks `version`: an edit here must make its copy stale too.
        if change:
            obj.version += 1
        super().save_model(request, obj, form, change)


@admin.register(GreetingDate)
class GreetingDateAdmin(admin.ModelAdmin):
    list_display = ["date", "name_en", "name_zh", "is_active"]
    list_filter = ["is_active"]
    date_hierarchy = "date"


@admin.register(CallbackVisit)
class CallbackVisitAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["id", "customer", "purpose", "method", "status", "due_at", "assignee"]
    list_select_related = ["customer", "assignee"]  # assignee is nullable: not followed by default
    list_filter = ["status", "purpose", "method"]
    raw_id_fields = ["customer", "contact", "source_record", "new_issue_record", "new_need_record"]
    date_hierarchy = "due_at"
