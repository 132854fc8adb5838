"""Reading the audit log: administrators only."""
from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from apps.accounts.roles import Role

from .models import AuditEntry


def user_is_administrator(user: Any) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or user.has_role(Role.ADMINISTRATOR)))


def audit_entries() -> QuerySet[AuditEntry]:
    return AuditEntry.objects.all()
