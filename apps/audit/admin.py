from django.contrib import admin

from .models import AuditEntry
from .selectors import user_is_administrator


class AdministratorsReadOnlyAdmin(admin.ModelAdmin):
    """Shown to administrators only, and read-only: no add, change or delete from the admin."""

    def has_module_permission(self, request) -> bool:
        return user_is_administrator(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return user_is_administrator(request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(AdministratorsReadOnlyAdmin):
    """Read-only, and only for administrators: the log cannot be edited from here (nor anywhere)."""

    list_display = ("at", "actor_username", "action", "object_type", "object_id", "dossier_code", "ip", "request_id")
    list_filter = ("action", "object_type")
    search_fields = ("=actor_username", "=object_id", "=dossier_code", "=request_id")
    date_hierarchy = "at"
    ordering = ("-at", "-id")
    actions = None
    show_full_result_count = False  # no COUNT(*) over a large log per page view
