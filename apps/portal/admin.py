from django.contrib import admin

from .models import OutboxMessage, PortalKey


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("id", "event", "dossier", "status", "attempts", "next_attempt_at", "delivered_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]


@admin.register(PortalKey)
class PortalKeyAdmin(admin.ModelAdmin):
    list_display = ("key_id", "name", "is_active", "created_at")
