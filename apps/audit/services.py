"""Writing the audit log. The only code that inserts AuditEntry rows.

Failure policy: an entry is written in the request, before the response leaves, on the same
database the read itself used. If the insert fails the exception propagates and the reader gets a
500 problem instead of the data: personal data is never shown without its trail ("fail closed").
The insert is one row into an append-only table; it fails only when the database does, and then
the read would have failed too. Admin changes are logged inside the admin's own transaction, so a
change that rolls back leaves no entry, and an entry that cannot be written rolls the change back.
"""
from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import models
from django.http import HttpRequest

from apps.common.throttling import client_ip

from .models import AuditAction, AuditEntry

REQUEST_ID_HEADER = "X-Request-ID"
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def _http_request(request: Any) -> HttpRequest:
    return getattr(request, "_request", request)  # a DRF Request wraps Django's


def request_id(request: Any) -> str:
    """The proxy's X-Request-ID when it looks like one, else a fresh id; the same for every entry
    of one request."""
    raw = _http_request(request)
    value = getattr(raw, "audit_request_id", None)
    if value is None:
        header = raw.headers.get(REQUEST_ID_HEADER, "")
        value = header if REQUEST_ID_PATTERN.fullmatch(header) else uuid.uuid4().hex
        raw.audit_request_id = value
    return value


def _ip(request: Any) -> str | None:
    address = client_ip(_http_request(request))
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def object_type_of(obj: models.Model) -> str:
    return obj._meta.label_lower


def _entry(request: Any, action: AuditAction, *, object_type: str, object_id: object = "", dossier_code: str = "",
           detail: dict[str, Any] | None = None) -> AuditEntry:
    user = request.user
    return AuditEntry(
        actor_id=user.pk,
        actor_username=user.get_username(),
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:64],
        dossier_code=dossier_code,
        request_id=request_id(request),
        ip=_ip(request),
        detail=detail or {},
    )


def audit_record(request: Any, action: AuditAction, *, object_type: str, object_id: object = "",
                 dossier_code: str = "", detail: dict[str, Any] | None = None) -> AuditEntry:
    """One entry for what `request.user` did; raises if it cannot be written (see module doc)."""
    entry = _entry(request, action, object_type=object_type, object_id=object_id, dossier_code=dossier_code,
                   detail=detail)
    entry.save(force_insert=True)
    return entry


def reader_is_audited(user: Any, dossier: Any) -> bool:
    """Staff reading someone's dossier are audited; applicants reading their own are not."""
    return not (dossier.applicant_id is not None and dossier.applicant_id == user.pk)


def audit_dossier_read(request: Any, action: AuditAction, dossier: Any, detail: dict[str, Any] | None = None
                       ) -> AuditEntry | None:
    if not reader_is_audited(request.user, dossier):
        return None
    return audit_record(request, action, object_type=object_type_of(dossier), object_id=dossier.pk,
                        dossier_code=dossier.code, detail=detail)


def dossier_code_of(obj: models.Model) -> str:
    """The dossier an admin-edited row belongs to, if any (a dossier, or a row with a `dossier`)."""
    if object_type_of(obj) == "dossiers.dossier":
        return obj.code
    return getattr(getattr(obj, "dossier", None), "code", "") or ""


def audit_admin_changes(request: Any, action: AuditAction, objects: Iterable[models.Model],
                        detail: dict[str, Any] | None = None) -> list[AuditEntry]:
    """One entry per object an admin added, changed or deleted (deletions: called before they happen)."""
    entries = [
        _entry(request, action, object_type=object_type_of(obj), object_id=obj.pk, dossier_code=dossier_code_of(obj),
               detail={"repr": str(obj)[:200], **(detail or {})})
        for obj in objects
    ]
    return AuditEntry.objects.bulk_create(entries)
