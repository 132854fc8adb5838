from django.contrib import admin, messages

from .models import OutboxMessage, OutboxStatus, PortalKey
from .services import outbox_replay


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "event", "dossier", "status", "attempts", "next_attempt_at", "delivered_at", "last_error")
    list_filter = ("status",)
    search_fields = ("=event__id", "payload__MaHoSo")
    actions = ["replay_dead"]
    show_full_result_count = False  # no COUNT(*) over millions of delivered rows per page view

    def get_readonly_fields(self, request, obj=None):
        """Everything is read-only, except the payload of a dead row: an administrator reads the
        portal's message (last_error), corrects the data the portal refused, then replays it."""
        names = [f.name for f in OutboxMessage._meta.fields]
        if obj is not None and obj.status == OutboxStatus.DEAD:
            names.remove("payload")
        return names

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and (obj is None or obj.status == OutboxStatus.DEAD)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Replay the selected dead messages (fresh attempts, in order per dossier)")
    def replay_dead(self, request, queryset):
        ids = list(queryset.filter(status=OutboxStatus.DEAD).values_list("id", flat=True))
        count = outbox_replay(ids=ids)
        self.message_user(request, f"{count} dead message(s) queued again.", messages.SUCCESS)


@admin.register(PortalKey)
class PortalKeyAdmin(admin.ModelAdmin):
    list_display = ("key_id", "name", "is_active", "valid_until", "created_at")
    list_filter = ("is_active",)
    search_fields = ("key_id", "name")
