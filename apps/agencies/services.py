"""Writes to the agency tree. The materialised path is kept right here and nowhere else."""
from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _

from onestop.errors import DomainError, ErrorCode

from .models import Agency, Tier


def _path_for(code: str, parent: Agency | None) -> str:
    return (parent.path if parent else "/") + code + "/"


@transaction.atomic
def agency_save(
    *,
    code: str,
    name: str,
    tier: str,
    parent: Agency | None = None,
    address: str = "",
    phone: str = "",
    email: str = "",
    valid_from: date | None = None,
    valid_to: date | None = None,
    is_active: bool = True,
) -> tuple[Agency, str]:
    """Create or update an agency by code; returns (agency, "created"|"updated"|"unchanged")."""
    if tier not in Tier.values:
        raise DomainError(_("Unknown tier %(tier)s.") % {"tier": repr(tier)}, code=ErrorCode.VALIDATION, field="tier")
    agency = Agency.objects.select_for_update().filter(code=code).first()
    new_path = _path_for(code, parent)
    if parent is not None and agency is not None and parent.path.startswith(agency.path):
        raise DomainError(
            "An agency cannot be placed under its own subtree.", code=ErrorCode.VALIDATION, field="parent"
        )
    values = {
        "name": name,
        "tier": tier,
        "parent": parent,
        "address": address,
        "phone": phone,
        "email": email,
        "valid_from": valid_from,
        "valid_to": valid_to,
        "is_active": is_active,
    }
    if agency is None:
        return Agency.objects.create(code=code, path=new_path, **values), "created"

    changed = any(getattr(agency, field) != value for field, value in values.items())
    old_path = agency.path
    if old_path != new_path:
        # Rewrite the prefix of every descendant in one statement.
        Agency.objects.filter(path__startswith=old_path).exclude(pk=agency.pk).update(
            path=Concat(Value(new_path), Substr("path", len(old_path) + 1))
        )
        agency.path = new_path
        changed = True
    if changed:
        for field, value in values.items():
            setattr(agency, field, value)
        agency.save()
    return agency, "updated" if changed else "unchanged"


@transaction.atomic
def agency_set_successor(*, agency: Agency, successor: Agency, valid_to: date) -> Agency:
    """Close an agency (merger, abolished tier); its history stays, new work goes to the successor."""
    if successor.pk == agency.pk:
        raise DomainError("An agency cannot succeed itself.", code=ErrorCode.VALIDATION, field="successor")
    agency.successor = successor
    agency.valid_to = valid_to
    agency.is_active = False
    agency.save(update_fields=["successor", "valid_to", "is_active", "updated_at"])
    return agency
