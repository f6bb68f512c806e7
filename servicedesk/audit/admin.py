"""Check forms and their items, and the scorecard, for administrators. Reviews are written by
managers on the desk's pages, so here they are only read."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from servicedesk.core.admin import ReadOnlyAdmin

from .models import CheckForm, CheckItem, Review, ReviewScore, Scorecard


class CheckItemInline(admin.TabularInline):
    model = CheckItem
    extra = 1
    ordering = ["position"]
    fields = ["position", "label_en", "label_zh", "max_points"]


@admin.register(CheckForm)
class CheckFormAdmin(SimpleHistoryAdmin):
    list_display = ["key", "name_en", "name_zh", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["key", "name_en", "name_zh"]
    inlines = [CheckItemInline]


@admin.register(Scorecard)
class ScorecardAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "satisfaction_weight", "updated_at", "updated_by"]
    readonly_fields = ["version", "updated_by"]

    def has_add_permission(self, request):
        # One row (Scorecard.current() reads the first).
        return super().has_add_permission(request) and not Scorecard.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # The desk page reads `version`: an edit here makes its copy stale too.
        if change:
            obj.version += 1
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


class ReviewScoreInline(admin.TabularInline):
    model = ReviewScore
    fields = ["item", "points", "max_points"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("item")


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    list_display = ["id", "agent", "form", "points", "max_points", "created_at", "acknowledged_at"]
    list_select_related = ["agent", "form"]
    list_filter = ["form"]
    raw_id_fields = ["record", "complaint", "agent", "reviewer", "department"]
    date_hierarchy = "created_at"
    inlines = [ReviewScoreInline]

    def has_delete_permission(self, request, obj=None):
        return False
