"""One mixin for the API views that show personal data to staff: each read writes one audit entry.

A view names its `audit_action` and calls `audit_dossier_read(dossier)` once it has found the
dossier (a 404 discloses nothing and is not logged), or `audit_staff_query()` for searches and
exports over many dossiers. Applicants reading their own dossiers are not logged.
"""
from __future__ import annotations

from typing import Any

from apps.accounts.selectors import user_is_staff_reader

from .models import AuditAction, AuditEntry
from .services import audit_dossier_read, audit_record


def query_detail(query_params: Any) -> dict[str, Any]:
    """The filters a staff member used, as JSON (a parameter given twice keeps both values)."""
    return {key: values[0] if len(values) == 1 else values for key, values in query_params.lists()}


class AuditedReadMixin:
    audit_action: AuditAction
    request: Any

    def audit_dossier_read(self, dossier: Any, **detail: Any) -> AuditEntry | None:
        return audit_dossier_read(self.request, self.audit_action, dossier, detail)

    def audit_staff_query(self, *, dossier_code: str = "", **detail: Any) -> AuditEntry | None:
        if not user_is_staff_reader(self.request.user):
            return None  # an applicant's (empty) view of the queue shows nobody's data
        return audit_record(
            self.request, self.audit_action, object_type="dossiers.dossier", dossier_code=dossier_code,
            detail={"filters": query_detail(self.request.query_params), **detail},
        )
