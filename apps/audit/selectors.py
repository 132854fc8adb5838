"""Reading the audit log: administrators only."""
from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from apps.accounts.roles import Role
from apps.common.search import search_folded

from .models import AuditEntry


def user_is_administrator(user: Any) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or user.has_role(Role.ADMINISTRATOR)))


def audit_entries() -> QuerySet[AuditEntry]:
    return AuditEntry.objects.all()


def audit_entries_by_actor(queryset: QuerySet[AuditEntry], text: str) -> QuerySet[AuditEntry]:
    """Entries whose actor's username holds every word typed, diacritics and case aside."""
    return search_folded(queryset, text, "actor_username")
