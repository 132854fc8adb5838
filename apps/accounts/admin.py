from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import AgencyMembership, User


class MembershipInline(admin.TabularInline):
    model = AgencyMembership
    extra = 0
    raw_id_fields = ("agency",)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        ("onestop", {"fields": ("full_name", "phone", "applicant_type", "id_number")}),
    )
    list_display = ("username", "full_name", "applicant_type", "id_number", "is_staff")
    search_fields = ("username", "full_name", "id_number", "email")
    inlines = [MembershipInline]
