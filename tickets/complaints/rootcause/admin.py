"""Administrators edit the fishbone's bones; causes and workshops are read here, written on the
desk's pages (their services hold the rules)."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from servicedesk.core.admin import ReadOnlyAdmin

from .models import CauseBone, ComplaintCause, FishboneWorkshop


@admin.register(CauseBone)
class CauseBoneAdmin(SimpleHistoryAdmin):
    list_display = ["code", "name_en", "name_zh", "order", "is_active"]
    list_editable = ["order", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name_en", "name_zh"]

    def has_delete_permission(self, request, obj=None) -> bool:
        # A bone holding causes is retired (unticked "active"), not deleted: PROTECT would refuse.
        return False


@admin.register(ComplaintCause)
class ComplaintCauseAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["complaint", "bone", "filed_by", "filed_at", "version"]
    list_filter = ["bone"]
    raw_id_fields = ["complaint"]


@admin.register(FishboneWorkshop)
class FishboneWorkshopAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    list_display = ["problem", "held_on", "department", "facilitator"]
    list_filter = ["department"]
