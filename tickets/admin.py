"""Administrators edit the shipped defaults here: categories, calendars, targets, routing."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from servicedesk.core.admin import ReadOnlyAdmin

from .models import (
    BusinessCalendar,
    Complaint,
    ComplaintStepEntry,
    DepartmentRoutingPolicy,
    Holiday,
    ServiceCategory,
    ServiceRecord,
    TargetPolicy,
)


@admin.register(ServiceCategory)
class ServiceCategoryAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name_en", "name_zh", "stage", "lead_department", "is_active"]
    list_filter = ["stage", "is_active", "lead_department"]
    search_fields = ["code", "name_en", "name_zh"]
    filter_horizontal = ["collaborating_departments"]


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 1


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "working_weekdays", "day_start", "day_end", "is_default"]
    inlines = [HolidayInline]


@admin.register(TargetPolicy)
class TargetPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "priority",
        "customer_tier",
        "category",
        "first_response_minutes",
        "resolution_minutes",
    ]


@admin.register(DepartmentRoutingPolicy)
class DepartmentRoutingPolicyAdmin(admin.ModelAdmin):
    list_display = ["department", "mode"]


@admin.register(ServiceRecord)
class ServiceRecordAdmin(SimpleHistoryAdmin):
    list_display = ["pk", "subject", "customer", "status", "lead_department", "assignee"]
    list_filter = ["status", "stage", "lead_department"]
    raw_id_fields = ["customer", "contact", "created_by"]
    search_fields = ["subject"]
    # Status moves only through the transition service (its table, its log, its event); the
    # version is the concurrency check; due times follow the target policy, so what moves them
    # (priority, category, agreed date) is edited on the desk; who may see the record (its
    # departments and assignee, kept in its audience) changes only through the services.
    # None are typed here.
    readonly_fields = [
        "status",
        "assignee",
        "lead_department",
        "collaborating_departments",
        "priority",
        "category",
        "agreed_date",
        "version",
        "first_response_due",
        "resolution_due",
        "first_responded_at",
        "resolved_at",
        "closed_at",
        "created_at",
    ]


class ComplaintStepInline(admin.TabularInline):
    model = ComplaintStepEntry
    fields = ["step", "round", "data", "started_at", "taken_at", "by"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    """Read only: a complaint moves only through its six steps (tickets.complaints.services)."""

    list_display = ["id", "record", "severity", "channel", "step", "step_since", "outcome"]
    list_filter = ["step", "severity", "channel", "outcome"]
    raw_id_fields = ["record", "about_record"]
    inlines = [ComplaintStepInline]


# The fishbone's bones and the root-cause records (tickets/complaints/rootcause/admin.py).
from .complaints.rootcause import admin as rootcause_admin  # noqa: E402, F401
