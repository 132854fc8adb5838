from django.contrib import admin

from .models import Agency
from .services import agency_save


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "tier", "parent", "is_active", "valid_to")
    list_filter = ("tier", "is_active")
    search_fields = ("code", "name")
    raw_id_fields = ("parent", "successor")
    readonly_fields = ("path",)

    def get_readonly_fields(self, request, obj=None):
        # The code is the identity used by dossiers and the portal: fixed once created.
        return ("path", "code") if obj is not None else ("path",)

    def save_model(self, request, obj, form, change):
        # The tree path is maintained by the service, also when an admin moves a subtree.
        saved, _ = agency_save(
            code=obj.code, name=obj.name, tier=obj.tier, parent=obj.parent, address=obj.address,
            phone=obj.phone, email=obj.email, valid_from=obj.valid_from, valid_to=obj.valid_to,
            is_active=obj.is_active,
        )
        if obj.successor_id != saved.successor_id:
            saved.successor_id = obj.successor_id
            saved.save(update_fields=["successor", "updated_at"])
        obj.pk = saved.pk
