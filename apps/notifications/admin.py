from django.contrib import admin

from .models import JobCursor, Notification, OverdueMark


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("id", "kind", "channel", "recipient", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status", "kind", "channel")
    search_fields = ("key", "recipient")
    readonly_fields = [f.name for f in Notification._meta.fields]
    show_full_result_count = False


@admin.register(OverdueMark)
class OverdueMarkAdmin(admin.ModelAdmin):
    list_display = ("dossier", "due_at", "agency", "detected_at")
    readonly_fields = ("dossier", "due_at", "agency", "detected_at")


@admin.register(JobCursor)
class JobCursorAdmin(admin.ModelAdmin):
    list_display = ("name", "position", "updated_at")
