"""The national portal's catalogue JSON (TTHC records) mapped onto `catalog_import`'s own format.

Accepted shapes: a list of procedure records, or an object holding that list under one of
``DanhSachTTHC``, ``data``, ``result`` or ``items``. One record::

    {"MaTTHC": "1.001193", "TenTTHC": "Đăng ký khai sinh", "MaLinhVuc": "HT", "TenLinhVuc": "Hộ tịch",
     "MucDo": 4, "ThoiHanGiaiQuyet": 0, "LePhi": 0, "CapThucHien": "Cấp Xã",
     "CoQuanThucHien": [{"MaCoQuan": "000.31.01.H29", "TenCoQuan": "UBND xã Xuân Quan"}],
     "ThanhPhanHoSo": [{"Ma": "TKKS", "Ten": "Tờ khai đăng ký khai sinh", "BatBuoc": true}]}

Mapping: MaTTHC/TenTTHC → procedure code/name; MaLinhVuc/TenLinhVuc → field; MucDo → online level
(1–4, number or numeric text); ThoiHanGiaiQuyet → processing days (number, or text starting with
one, e.g. "7 ngày làm việc"); LePhi → fee in VND (number or digits with separators; empty/"Không"
= 0); ThanhPhanHoSo → document types (BatBuoc true/1/"1"/"có" = required); each agency of
CoQuanThucHien offers the procedure at the record's level and service class.

Service class (Decree 42/2022): from ``DichVuCongTrucTuyen`` when present ("toàn trình" / "một
phần" / "không", or full / partial / none), else from MucDo when its text names the class, as the
portal now writes it ("Dịch vụ công trực tuyến toàn trình", "… một phần", "… cung cấp thông tin").
Where the record gives a class but no level digit, the level follows the usual correspondence
(full → 4, partial → 3, none → 2). Where it gives no class, the class is left as it is.

An agency we do not know yet is created with the tier named by ``CapCoQuan`` on the agency or
``CapThucHien`` on the record (Tỉnh / Huyện / Xã); without either it is an error, since the tier
drives statistics. Everything then goes through `catalog_import`, so the import stays
all-or-nothing and idempotent.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.utils.translation import gettext as _

from apps.agencies.models import Agency

from .services import invalid_entry

LIST_KEYS = ("DanhSachTTHC", "data", "result", "items")
TIERS = {"tinh": "province", "huyen": "district", "xa": "commune"}


def is_portal_catalog(data: Any) -> bool:
    records = _records(data)
    return bool(records) and all(isinstance(r, dict) and "MaTTHC" in r for r in records)


def _records(data: Any) -> list | None:
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        for key in LIST_KEYS:
            if isinstance(data.get(key), list):
                return data[key]
    return None


def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in text if unicodedata.category(c) != "Mn").lower()


def _tier(value: Any) -> str | None:
    if value in (None, ""):
        return None
    words = _ascii(str(value))
    for word, tier in TIERS.items():
        if word in words.split() or words.endswith(word):
            return tier
    return {"1": "province", "2": "district", "3": "commune"}.get(words.strip())


def _number(value: Any, where: str, *, integer_text: bool = False) -> str:
    if value is None or (isinstance(value, str) and _ascii(value).strip() in ("", "khong", "mien phi")):
        return "0"
    if isinstance(value, bool):
        raise invalid_entry(where, _("not a number: %(value)s") % {"value": repr(value)})
    if isinstance(value, int | float):
        return str(value)
    text = str(value).strip()
    if integer_text:  # "50.000 đồng" -> 50000
        digits = re.sub(r"[.,\s]", "", re.match(r"^[\d.,\s]+", text).group(0)) if re.match(r"^\d", text) else ""
    else:  # "7 ngày làm việc" / "0,5" -> 7 / 0.5
        match = re.match(r"^\d+(?:[.,]\d+)?", text)
        digits = match.group(0).replace(",", ".") if match else ""
    if not digits:
        raise invalid_entry(where, _("not a number: %(value)s") % {"value": repr(value)})
    return digits


CLASS_LEVEL = {"full": 4, "partial": 3, "none": 2}


def service_class_of(record: dict[str, Any]) -> str | None:
    """The Decree 42/2022 class a portal record names, or None."""
    for value in (record.get("DichVuCongTrucTuyen"), record.get("MucDo")):
        if value in (None, "") or isinstance(value, bool | int | float):
            continue
        words = _ascii(str(value)).strip()
        if words in CLASS_LEVEL:
            return words
        if "toan trinh" in words:
            return "full"
        if "mot phan" in words:
            return "partial"
        if words == "khong" or "thong tin" in words:
            return "none"
    return None


def _level(value: Any, where: str, service_class: str | None = None) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    match = re.search(r"[1-4]", str(value or ""))
    if match is None:
        if service_class is not None:
            return CLASS_LEVEL[service_class]
        raise invalid_entry(where, _("online level must be 1..4, got %(value)s") % {"value": repr(value)})
    return int(match.group(0))


def _required(value: Any) -> bool:
    if isinstance(value, str):
        return _ascii(value).strip() in ("1", "true", "co", "x", "bat buoc")
    return bool(value)


def portal_catalog_to_import(data: Any) -> dict[str, Any]:
    """The same catalogue in `catalog_import`'s format (fields, agencies, procedures, offerings)."""
    records = _records(data) or []
    fields: dict[str, dict] = {}
    agencies: dict[str, dict] = {}
    procedures: list[dict] = []
    offerings: list[dict] = []
    known = set(Agency.objects.filter(
        code__in=[a.get("MaCoQuan") for r in records for a in r.get("CoQuanThucHien") or [] if isinstance(a, dict)]
    ).values_list("code", flat=True))
    for i, record in enumerate(records):
        where = f"[{i}]"
        code, name = str(record.get("MaTTHC") or "").strip(), str(record.get("TenTTHC") or "").strip()
        field_code = str(record.get("MaLinhVuc") or "").strip()
        if not code or not name or not field_code:
            raise invalid_entry(where, "MaTTHC, TenTTHC and MaLinhVuc are required")
        fields.setdefault(field_code, {"code": field_code, "name": record.get("TenLinhVuc") or field_code})
        service_class = service_class_of(record)
        level = _level(record.get("MucDo"), f"{where}.MucDo", service_class)
        with_class = {"service_class": service_class} if service_class else {}
        documents = []
        for j, doc in enumerate(record.get("ThanhPhanHoSo") or []):
            if not isinstance(doc, dict) or not doc.get("Ma") or not doc.get("Ten"):
                raise invalid_entry(f"{where}.ThanhPhanHoSo[{j}]", "Ma and Ten are required")
            documents.append({"code": str(doc["Ma"]), "name": doc["Ten"], "required": _required(doc.get("BatBuoc"))})
        procedures.append({
            "code": code, "name": name, "field": field_code, "online_level": level,
            "processing_days": _number(record.get("ThoiHanGiaiQuyet"), f"{where}.ThoiHanGiaiQuyet"),
            "fee": _number(record.get("LePhi"), f"{where}.LePhi", integer_text=True),
            "description": record.get("MoTa") or "",
            "documents": documents,
            **with_class,
        })
        for j, agency in enumerate(record.get("CoQuanThucHien") or []):
            agency_where = f"{where}.CoQuanThucHien[{j}]"
            if not isinstance(agency, dict) or not agency.get("MaCoQuan"):
                raise invalid_entry(agency_where, "MaCoQuan is required")
            agency_code = str(agency["MaCoQuan"]).strip()
            if agency_code not in known and agency_code not in agencies:
                tier = _tier(agency.get("CapCoQuan")) or _tier(record.get("CapThucHien"))
                if tier is None:
                    raise invalid_entry(agency_where, _("unknown agency %(code)s and no CapCoQuan/CapThucHien to "
                                                        "tell its tier") % {"code": repr(agency_code)})
                agencies[agency_code] = {"code": agency_code, "name": agency.get("TenCoQuan") or agency_code,
                                         "tier": tier}
            offerings.append({"agency": agency_code, "procedure": code, "online_level": level, **with_class})
    return {"fields": list(fields.values()), "agencies": list(agencies.values()), "procedures": procedures,
            "offerings": offerings}
