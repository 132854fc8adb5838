from django.contrib import admin

from .models import IndicatorTarget


@admin.register(IndicatorTarget)
class IndicatorTargetAdmin(admin.ModelAdmin):
    list_display = ("indicator", "target_value", "agency", "note", "updated_at")
    list_filter = ("indicator",)
    search_fields = ("agency__code", "agency__name", "note")
    raw_id_fields = ("agency",)
