"""Catalogue writes: an idempotent import of fields, agencies, procedures and offerings.

Running the same import twice changes nothing: every row is compared before it is written, so
`updated_at` and the report only move when the data really changed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from apps.agencies.models import Agency
from apps.agencies.services import agency_save
from onestop.errors import DomainError, ErrorCode

from .models import DocumentType, Field, Offering, Procedure, ServiceClass
from .selectors import forget_catalog_cache


@dataclass
class ImportReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, outcome: str) -> None:
        bucket = getattr(self, outcome)
        bucket[kind] = bucket.get(kind, 0) + 1

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


def invalid_entry(where: str, message: str) -> DomainError:
    """A catalogue entry refused, naming where it stands in the file."""
    # `message` is English, or already translated: gettext leaves a translation as it is.
    return DomainError(f"{where}: {_(message)}", code=ErrorCode.VALIDATION, field=where)


def _decimal(value: Any, where: str) -> Decimal:
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise invalid_entry(where, _("not a number: %(value)s") % {"value": repr(value)}) from exc
    if not result.is_finite() or result < 0:
        raise invalid_entry(where, _("must be a non-negative number: %(value)s") % {"value": repr(value)})
    return result


def _date(value: Any, where: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise invalid_entry(where, _("not an ISO date: %(value)s") % {"value": repr(value)}) from exc


def _level(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 4:
        raise invalid_entry(where, _("online level must be 1..4, got %(value)s") % {"value": repr(value)})
    return value


def _service_class(value: Any, where: str) -> str:
    if value not in ServiceClass.values:
        raise invalid_entry(where, _("service class must be one of %(classes)s, got %(value)s")
                       % {"classes": ", ".join(ServiceClass.values), "value": repr(value)})
    return value


def _upsert(model, lookup: dict[str, Any], values: dict[str, Any], kind: str, report: ImportReport):
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model.objects.create(**lookup, **values)
        report.count(kind, "created")
        return obj
    if any(getattr(obj, name) != value for name, value in values.items()):
        for name, value in values.items():
            setattr(obj, name, value)
        obj.save()
        report.count(kind, "updated")
    else:
        report.count(kind, "unchanged")
    return obj


def _sorted_parents_first(agencies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    by_code = {a["code"]: a for a in agencies}
    ordered: list[dict[str, Any]] = []
    seen: set[str] = set()

    def visit(item: dict[str, Any], trail: tuple[str, ...]) -> None:
        code = item["code"]
        if code in seen:
            return
        if code in trail:
            raise invalid_entry(f"agencies[{code}]", "parent cycle")
        parent = item.get("parent")
        if parent and parent in by_code:
            visit(by_code[parent], (*trail, code))
        seen.add(code)
        ordered.append(item)

    for item in agencies:
        visit(item, ())
    return ordered


@transaction.atomic
def catalog_import(*, data: dict[str, Any]) -> ImportReport:
    """Load a catalogue document (see README, "Catalogue format"), or the national portal's TTHC
    list (detected, then mapped: apps/catalog/portal_format.py); all or nothing."""
    from .portal_format import is_portal_catalog, portal_catalog_to_import

    if is_portal_catalog(data):
        data = portal_catalog_to_import(data)
    if not isinstance(data, dict):
        raise invalid_entry("document", "must be a JSON object")
    transaction.on_commit(forget_catalog_cache)
    report = ImportReport()

    fields: dict[str, Field] = {}
    for i, item in enumerate(data.get("fields", [])):
        if not item.get("code") or not item.get("name"):
            raise invalid_entry(f"fields[{i}]", "code and name are required")
        fields[item["code"]] = _upsert(Field, {"code": item["code"]}, {"name": item["name"]}, "field", report)

    for item in _sorted_parents_first(list(data.get("agencies", []))):
        where = f"agencies[{item.get('code')}]"
        for key in ("code", "name", "tier"):
            if not item.get(key):
                raise invalid_entry(where, _("%(key)s is required") % {"key": key})
        parent = None
        if item.get("parent"):
            parent = Agency.objects.filter(code=item["parent"]).first()
            if parent is None:
                raise invalid_entry(where, _("unknown parent %(code)s") % {"code": repr(item["parent"])})
        _agency, outcome = agency_save(
            code=item["code"],
            name=item["name"],
            tier=item["tier"],
            parent=parent,
            address=item.get("address", ""),
            phone=item.get("phone", ""),
            email=item.get("email", ""),
            valid_from=_date(item.get("valid_from"), where + ".valid_from"),
            valid_to=_date(item.get("valid_to"), where + ".valid_to"),
            is_active=bool(item.get("is_active", True)),
        )
        report.count("agency", outcome)

    for i, item in enumerate(data.get("procedures", [])):
        where = f"procedures[{i}]"
        for key in ("code", "name", "field"):
            if not item.get(key):
                raise invalid_entry(where, _("%(key)s is required") % {"key": key})
        field_obj = fields.get(item["field"]) or Field.objects.filter(code=item["field"]).first()
        if field_obj is None:
            raise invalid_entry(where, _("unknown field %(code)s") % {"code": repr(item["field"])})
        procedure = _upsert(
            Procedure,
            {"code": item["code"]},
            {
                "name": item["name"],
                "field": field_obj,
                "online_level": _level(item.get("online_level"), where + ".online_level"),
                "processing_days": _decimal(item.get("processing_days", 0), where + ".processing_days"),
                "fee": _decimal(item.get("fee", 0), where + ".fee"),
                "description": item.get("description", ""),
                "is_active": bool(item.get("is_active", True)),
                # Absent: kept as it is (an administrator may have set it), new rows get "none".
                **({"service_class": _service_class(item["service_class"], where + ".service_class")}
                   if item.get("service_class") is not None else {}),
            },
            "procedure",
            report,
        )
        for position, doc in enumerate(item.get("documents", [])):
            if not doc.get("code") or not doc.get("name"):
                raise invalid_entry(f"{where}.documents[{position}]", "code and name are required")
            _upsert(
                DocumentType,
                {"procedure": procedure, "code": doc["code"]},
                {"name": doc["name"], "required": bool(doc.get("required", True)), "position": position},
                "document_type",
                report,
            )

    for i, item in enumerate(data.get("offerings", [])):
        where = f"offerings[{i}]"
        agency = Agency.objects.filter(code=item.get("agency")).first()
        procedure = Procedure.objects.filter(code=item.get("procedure")).first()
        if agency is None or procedure is None:
            raise invalid_entry(where, "unknown agency or procedure")
        level = _level(item.get("online_level", procedure.online_level), where + ".online_level")
        if level > procedure.online_level:
            raise invalid_entry(where, "an agency cannot offer a procedure above its catalogue level")
        days = item.get("processing_days")
        if item.get("service_class") is not None:
            service_class = {"service_class": _service_class(item["service_class"], where + ".service_class")}
        elif not Offering.objects.filter(agency=agency, procedure=procedure).exists():
            service_class = {"service_class": procedure.service_class}  # a new offering starts from the catalogue's
        else:
            service_class = {}  # kept as it is (an administrator may have set it)
        _upsert(
            Offering,
            {"agency": agency, "procedure": procedure},
            {
                **service_class,
                "online_level": level,
                "processing_days": None if days is None else _decimal(days, where + ".processing_days"),
                "valid_from": _date(item.get("valid_from"), where + ".valid_from"),
                "valid_to": _date(item.get("valid_to"), where + ".valid_to"),
                "is_active": bool(item.get("is_active", True)),
            },
            "offering",
            report,
        )
    return report
