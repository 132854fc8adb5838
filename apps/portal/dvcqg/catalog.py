"""Pull the portal's catalogue (LayDanhSachTTHC, then LayThuTuc per procedure) into our catalogue,
through `catalog_import`'s mapping of the portal's TTHC records (apps/catalog/portal_format.py):
all or nothing, idempotent, a procedure's Decree 42/2022 class imported where the portal gives it.

The service answers with upper-case keys (public integration code reads them so)::

    {"MATTHC": "1.001193", "TENTTHC": "...", "MUCDO": "Dịch vụ công trực tuyến toàn trình",
     "LINHVUCTHUCHIEN": [{"MALINHVUC": "HT", "TENLINHVUC": "Hộ tịch"}],
     "CACHTHUCTHUCHIEN": [{"KENH": "1", "THOIGIAN": [{"THOIGIANGIAIQUYET": "3", "DONVITINH": "Ngày làm việc",
                                                       "PHILEPHI": [{"SOTIEN": "50000"}]}]}],
     "THANHPHANHOSO": [{"TRUONGHOP": "...", "GIAYTO": [{"MAGIAYTO": "TK", "TENGIAYTO": "Tờ khai"}]}],
     "COQUANTHUCHIEN": [{"MACOQUAN": "000.00.17.H29", "TENDONVI": "Sở Tư pháp"}],
     "CAPTHUCHIEN": [{"CAPTHUCHIEN": "1"}]}

Processing time and fee come from the in-person channel (KENH 1) when it gives them, else from the
first channel that does; a time in hours counts 8 to the working day. Agencies without a code
(the national catalogue often names a kind of agency, "UBND cấp xã") are not offerings. A record
with neither a level nor a class is skipped unless we already hold the procedure (its level is kept).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from apps.catalog.models import Procedure
from apps.catalog.portal_format import _ascii, service_class_of
from apps.catalog.services import ImportReport, catalog_import

from .client import PortalCallError
from .transport import RESULT_KEYS, DvcqgTransport

logger = logging.getLogger(__name__)

LIST_SERVICE = "LayDanhSachTTHC"
DETAIL_SERVICE = "LayThuTuc"


@dataclass
class PullReport:
    listed: int = 0
    imported: int = 0
    skipped: list[str] = field(default_factory=list)
    report: ImportReport | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"listed": self.listed, "imported": self.imported, "skipped": self.skipped,
                **(self.report.as_dict() if self.report else {})}


def _results(answer_document: Any) -> list[dict[str, Any]]:
    if isinstance(answer_document, dict):
        for key in RESULT_KEYS:
            if isinstance(answer_document.get(key), list):
                return [r for r in answer_document[key] if isinstance(r, dict)]
    return []


def _days(entry: dict[str, Any]) -> Any:
    value = entry.get("THOIGIANGIAIQUYET")
    if value in (None, ""):
        return None
    if "gio" in _ascii(str(entry.get("DONVITINH") or "")).split():
        try:
            return str(Decimal(str(value).replace(",", ".")) / 8)
        except InvalidOperation:
            return value
    return value


def to_portal_record(record: dict[str, Any], known_levels: dict[str, int]) -> dict[str, Any] | None:
    """A LayThuTuc record in the shape `portal_format` reads, or None when it cannot be placed."""
    code = str(record.get("MATTHC") or record.get("MaTTHC") or "").strip()
    fields = [f for f in record.get("LINHVUCTHUCHIEN") or [] if isinstance(f, dict)]
    days = fee = None
    ways = [w for w in record.get("CACHTHUCTHUCHIEN") or [] if isinstance(w, dict)]
    for way in sorted(ways, key=lambda w: str(w.get("KENH")) != "1"):
        for entry in way.get("THOIGIAN") or []:
            if days is None:
                days = _days(entry)
            for item in entry.get("PHILEPHI") or []:
                if fee is None and item.get("SOTIEN") not in (None, ""):
                    fee = item["SOTIEN"]
    documents: dict[str, dict[str, Any]] = {}
    for case in record.get("THANHPHANHOSO") or []:
        for paper in (case.get("GIAYTO") or []) if isinstance(case, dict) else []:
            if isinstance(paper, dict) and paper.get("MAGIAYTO") and paper.get("TENGIAYTO"):
                documents.setdefault(str(paper["MAGIAYTO"]), {"Ma": str(paper["MAGIAYTO"]),
                                                               "Ten": paper["TENGIAYTO"], "BatBuoc": True})
    agencies = []
    for agency in record.get("COQUANTHUCHIEN") or []:
        agency_code = next((agency.get(k) for k in ("MACOQUAN", "MADONVI", "MaCoQuan") if agency.get(k)), None) \
            if isinstance(agency, dict) else None
        if agency_code:
            name = agency.get("TENDONVI") or agency.get("TENCOQUAN")
            agencies.append({"MaCoQuan": str(agency_code), "TenCoQuan": name})
    tiers = [t.get("CAPTHUCHIEN") for t in record.get("CAPTHUCHIEN") or [] if isinstance(t, dict)]
    mapped = {
        "MaTTHC": code, "TenTTHC": record.get("TENTTHC") or record.get("TenTTHC"),
        "MaLinhVuc": fields[0].get("MALINHVUC") if fields else None,
        "TenLinhVuc": fields[0].get("TENLINHVUC") if fields else None,
        "MucDo": record.get("MUCDO") or record.get("MucDo"),
        "DichVuCongTrucTuyen": record.get("DICHVUCONGTRUCTUYEN") or record.get("DichVuCongTrucTuyen"),
        "ThoiHanGiaiQuyet": days, "LePhi": fee, "CapThucHien": tiers[0] if tiers else None,
        "CoQuanThucHien": agencies, "ThanhPhanHoSo": list(documents.values()),
    }
    if not any(ch.isdigit() for ch in str(mapped["MucDo"] or "")) and service_class_of(mapped) is None:
        if code not in known_levels:
            return None
        mapped["MucDo"] = known_levels[code]
    return mapped


def catalog_pull(*, transport: DvcqgTransport | None = None) -> PullReport:
    """Raises PortalCallError when the portal cannot be read, DomainError when a record is invalid
    (then nothing is loaded)."""
    transport = transport or DvcqgTransport.from_settings()
    answer = transport.call(LIST_SERVICE)
    if not answer.ok:
        raise PortalCallError(f"{LIST_SERVICE}: {answer.describe()}")
    listed = _results(answer.document)
    result = PullReport(listed=len(listed))
    known_levels = dict(Procedure.objects.values_list("code", "online_level"))
    records = []
    for item in listed:
        code = str(item.get("MATTHC") or item.get("MaTTHC") or "").strip()
        if not code:
            continue
        detail = item if item.get("LINHVUCTHUCHIEN") else None
        if detail is None:
            answer = transport.call(DETAIL_SERVICE, {"maTTHC": code})
            found = _results(answer.document) if answer.ok else []
            detail = found[0] if found else None
        mapped = to_portal_record(detail, known_levels) if detail else None
        if mapped is None or not mapped["MaLinhVuc"]:
            result.skipped.append(code)
            continue
        records.append(mapped)
    if records:
        result.report = catalog_import(data={"DanhSachTTHC": records})
    result.imported = len(records)
    logger.info("portal: catalogue pulled: %s", result.as_dict())
    return result
