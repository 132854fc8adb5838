"""Dossiers in the admin, for administrators: read-only (every change goes through the services), with
the history and the documents, and every read audited like the API's (a list is a search of personal
data, a detail page a dossier read)."""
from __future__ import annotations

from functools import cached_property

from django.contrib import admin
from django.core.paginator import Paginator
from django.urls import reverse
from django.utils.html import format_html

from apps.audit.admin import AdministratorsReadOnlyAdmin
from apps.audit.mixins import query_detail
from apps.audit.models import AuditAction
from apps.audit.services import audit_dossier_read, audit_record

from .models import Dossier, DossierDocument, DossierEvent, DossierPause

#: How far the list counts: past it, the administrator narrows the list with filters or a search.
COUNT_LIMIT = 10_000


class CappedCountPaginator(Paginator):
    """Counts at most COUNT_LIMIT + 1 rows: no COUNT(*) over tens of millions of dossiers per page."""

    @cached_property
    def count(self) -> int:
        return len(self.object_list.order_by().values("pk")[: COUNT_LIMIT + 1])


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class DossierEventInline(_ReadOnlyInline):
    model = DossierEvent
    fields = readonly_fields = ("at", "action", "from_status", "to_status", "actor", "actor_role", "agency", "payload")
    ordering = ("id",)
    verbose_name_plural = "Quá trình xử lý"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor", "agency")


class DossierDocumentInline(_ReadOnlyInline):
    model = DossierDocument
    fields = readonly_fields = ("document_type", "stage", "download", "content_type", "size", "sha256", "uploaded_at")
    verbose_name_plural = "Thành phần hồ sơ"

    @admin.display(description="Tệp")
    def download(self, document: DossierDocument) -> str:
        url = reverse("dossier-document-download", args=[document.dossier_id, document.pk])
        return format_html('<a href="{}">{}</a>', url, document.original_name)


class DossierPauseInline(_ReadOnlyInline):
    model = DossierPause
    fields = readonly_fields = ("started_at", "ended_at", "reason", "requested_items", "due_at_before",
                                "due_at_after")
    verbose_name_plural = "Tạm dừng (bổ sung hồ sơ)"


@admin.register(Dossier)
class DossierAdmin(AdministratorsReadOnlyAdmin):
    list_display = ("code", "status", "channel", "procedure_code", "agency_code", "applicant_name", "received_at",
                    "due_at", "timeliness")
    list_filter = ("status", "channel", "online_level", "service_class", "timeliness", "rejected_at_intake")
    search_fields = ("=code", "=applicant_id_number", "applicant_name", "=agency__code", "=procedure__code")
    list_select_related = ("procedure", "agency")
    ordering = ("-id",)
    paginator = CappedCountPaginator
    show_full_result_count = False
    actions = None
    inlines = (DossierPauseInline, DossierDocumentInline, DossierEventInline)
    readonly_fields = [f.name for f in Dossier._meta.fields]

    @admin.display(description="Thủ tục", ordering="procedure__code")
    def procedure_code(self, dossier: Dossier) -> str:
        return dossier.procedure.code

    @admin.display(description="Cơ quan", ordering="agency__code")
    def agency_code(self, dossier: Dossier) -> str:
        return dossier.agency.code

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        if getattr(response, "status_code", None) == 200 and hasattr(response, "context_data"):
            codes = [d.code for d in response.context_data["cl"].result_list]
            audit_record(request, AuditAction.DOSSIER_SEARCH, object_type="dossiers.dossier",
                         dossier_code=codes[0] if len(codes) == 1 else "",
                         detail={"filters": query_detail(request.GET), "codes": codes, "page": "admin"})
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if getattr(response, "status_code", None) == 200 and hasattr(response, "context_data"):
            dossier = response.context_data["original"]
            audit_dossier_read(request, AuditAction.DOSSIER_READ, dossier, {"page": "admin"})
        return response
