from django.contrib import admin

from servicedesk.core.roles import Role, has_role

from .models import SecurityEvent


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):
    """Searchable by administrators, changed by no one: no add, change or delete."""

    list_display = ["at", "kind", "username", "address", "detail"]
    list_filter = ["kind", "at"]
    search_fields = ["username", "=address"]
    # The log grows without end: no COUNT(*) of every row for the paginator's total.
    show_full_result_count = False
    list_select_related = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser or has_role(request.user, Role.ADMINISTRATOR)

    def has_module_permission(self, request):
        return self.has_view_permission(request)
