"""The admin site: every registered ModelAdmin records its changes and actions in the audit log,
and its sign-in form is rate-limited like the token endpoint.

Installed in place of `django.contrib.admin` (INSTALLED_APPS names admin_app.AuditedAdminConfig), so the
`@admin.register` of every app, and django.contrib.auth's own, go through `register` below: no
admin can be added without auditing.
"""
from __future__ import annotations

import functools
import json
from typing import Any

from django.contrib import admin
from django.db import router, transaction

from apps.common.throttling import throttle_login_form

from .models import AuditAction
from .services import audit_admin_changes, audit_record

UNAUDITED_ACTIONS = frozenset({"delete_selected"})  # its deletions are logged one by one (log_deletions)
MAX_IDS_IN_DETAIL = 500


def _change_message(message: Any) -> Any:
    """Django's change message: a JSON list naming the changed fields (never their values)."""
    if isinstance(message, str) and message.startswith("["):
        try:
            return json.loads(message)
        except ValueError:
            pass
    return message


class AuditedModelAdminMixin:
    def log_addition(self, request, obj, message):
        entry = super().log_addition(request, obj, message)
        audit_admin_changes(request, AuditAction.ADMIN_ADD, [obj], {"message": _change_message(message)})
        return entry

    def log_change(self, request, obj, message):
        entry = super().log_change(request, obj, message)
        audit_admin_changes(request, AuditAction.ADMIN_CHANGE, [obj], {"message": _change_message(message)})
        return entry

    def log_deletions(self, request, queryset):
        objects = list(queryset)  # called before the deletion: the rows still exist
        entries = super().log_deletions(request, objects)
        audit_admin_changes(request, AuditAction.ADMIN_DELETE, objects)
        return entries

    def get_actions(self, request):
        actions = super().get_actions(request)
        return {
            name: (func if name in UNAUDITED_ACTIONS else _audited_action(func, name), name, description)
            for name, (func, name, description) in actions.items()
        }


def _audited_action(func, name: str):
    """The action and its entry commit together: no change without its trail, no trail without it."""

    @functools.wraps(func)  # keeps allowed_permissions and the description
    def run(modeladmin, request, queryset):
        ids = [str(pk) for pk in queryset.values_list("pk", flat=True)[:MAX_IDS_IN_DETAIL]]
        count = len(ids) if len(ids) < MAX_IDS_IN_DETAIL else queryset.count()
        with transaction.atomic(using=router.db_for_write(queryset.model)):
            response = func(modeladmin, request, queryset)
            audit_record(
                request, AuditAction.ADMIN_ACTION, object_type=queryset.model._meta.label_lower,
                object_id=ids[0] if count == 1 else "", detail={"action": name, "count": count, "ids": ids},
            )
        return response

    return run


def audited_admin_class(admin_class: type[admin.ModelAdmin]) -> type[admin.ModelAdmin]:
    if issubclass(admin_class, AuditedModelAdminMixin):
        return admin_class
    return type(admin_class.__name__, (AuditedModelAdminMixin, admin_class), {"__module__": admin_class.__module__})


class AuditedAdminSite(admin.AdminSite):
    def register(self, model_or_iterable, admin_class=None, **options):
        super().register(model_or_iterable, audited_admin_class(admin_class or admin.ModelAdmin), **options)

    def login(self, request, extra_context=None):
        return throttle_login_form(super().login)(request, extra_context)
