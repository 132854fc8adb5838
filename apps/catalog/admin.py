from django.contrib import admin

from .models import DocumentType, Field, Offering, Procedure
from .selectors import forget_catalog_cache


class ForgetCatalogCacheMixin:
    """Intake caches offerings per process; an admin edit is visible at once in this one."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        forget_catalog_cache()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        forget_catalog_cache()


class DocumentTypeInline(admin.TabularInline):
    model = DocumentType
    extra = 0


@admin.register(Procedure)
class ProcedureAdmin(ForgetCatalogCacheMixin, admin.ModelAdmin):
    list_display = ("code", "name", "field", "online_level", "service_class", "processing_days", "fee", "is_active")
    list_filter = ("online_level", "service_class", "is_active", "field")
    search_fields = ("code", "name")
    inlines = [DocumentTypeInline]


@admin.register(Field)
class FieldAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")


@admin.register(Offering)
class OfferingAdmin(ForgetCatalogCacheMixin, admin.ModelAdmin):
    list_display = ("agency", "procedure", "online_level", "service_class", "processing_days", "is_active")
    list_editable = ("service_class",)  # Decree 42/2022 class, set per offering
    list_filter = ("online_level", "service_class", "is_active")
    search_fields = ("agency__code", "procedure__code", "procedure__name")
    raw_id_fields = ("agency", "procedure")
