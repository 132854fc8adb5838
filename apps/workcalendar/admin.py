from django.contrib import admin

from .models import CalendarException
from .services import calendar_exception_set


@admin.register(CalendarException)
class CalendarExceptionAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "reason")
    list_filter = ("kind",)
    date_hierarchy = "date"

    def save_model(self, request, obj, form, change):
        obj.pk = calendar_exception_set(day=obj.date, kind=obj.kind, reason=obj.reason).pk
