from django.contrib import admin, messages

from .models import OutboxMessage, OutboxStatus, PortalKey
from .services import outbox_replay


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "event", "dossier", "status", "attempts", "next_attempt_at", "delivered_at", "last_error")
    list_filter = ("status",)
    search_fields = ("=event__id", "payload__MaHoSo")
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    actions = ["replay_dead"]
    show_full_result_count = False  # no COUNT(*) over millions of delivered rows per page view

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
