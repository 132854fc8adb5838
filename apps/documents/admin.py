from django.contrib import admin

from .models import DocumentMail


@admin.register(DocumentMail)
class DocumentMailAdmin(admin.ModelAdmin):
    list_display = ("id", "dossier", "form", "event", "to_email", "created_at", "sent_at", "attempts", "last_error")
    list_filter = ("form",)
    search_fields = ("=dossier__code", "to_email")
    readonly_fields = [f.name for f in DocumentMail._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
