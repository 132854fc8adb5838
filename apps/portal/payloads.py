"""The portal's dossier-sync shapes (DongBoHoSoMC, with a CapNhatTienDoHoSoMC progress entry).

Dates are `yyyyMMddHHmmss` in local time (Asia/Ho_Chi_Minh), as the portal expects.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone

from apps.dossiers.models import Channel, Dossier, DossierEvent
from onestop.lifecycle import Action, Status, portal_status

# KenhThucHien: 1 counter, 2 online, 3 post (the portal's channel codes).
PORTAL_CHANNEL = {Channel.COUNTER: 1, Channel.ONLINE: 2, Channel.PORTAL: 2, Channel.POST: 3}
# LoaiDoiTuong: 1 citizen, 2 business, 3 organisation.
PORTAL_APPLICANT_TYPE = {"citizen": 1, "business": 2, "organisation": 3}


def portal_time(instant: datetime | None) -> str | None:
    return timezone.localtime(instant).strftime("%Y%m%d%H%M%S") if instant else None


def dossier_sync_payload(dossier: Dossier, event: DossierEvent) -> dict[str, Any]:
    procedure = dossier.procedure
    payload: dict[str, Any] = {
        "MaHoSo": dossier.code,
        "MaTTHC": procedure.code,
        "TenTTHC": procedure.name,
        "MaLinhVuc": procedure.field.code,
        "TenLinhVuc": procedure.field.name,
        "KenhThucHien": PORTAL_CHANNEL[Channel(dossier.channel)],
        "ChuHoSo": dossier.applicant_name,
        "LoaiDoiTuong": PORTAL_APPLICANT_TYPE.get(dossier.applicant_type, 1),
        "MaDoiTuong": dossier.applicant_id_number,
        "NgayNopHoSo": portal_time(dossier.submitted_at),
        "NgayTiepNhan": portal_time(dossier.received_at),
        "NgayHenTra": portal_time(dossier.appointment_at),
        "TrangThaiHoSo": portal_status(Status(dossier.status), rejected_at_intake=dossier.rejected_at_intake),
        "NgayKetThucXuLy": portal_time(dossier.resolved_at),
        "NgayTra": portal_time(dossier.returned_at),
        "DonViXuLy": dossier.agency.name,
        "MaDonViXuLy": dossier.agency.code,
        "TienDo": {
            "MaSuKien": event.pk,
            "HanhDong": event.action,
            "ThoiDiemXuLy": portal_time(event.at),
            "TrangThaiTruoc": event.from_status or None,
            "TrangThaiSau": event.to_status,
            "NoiDungXuLy": event.payload.get("reason") or event.payload.get("note") or "",
        },
    }
    if event.action in (Action.REQUEST_SUPPLEMENT, Action.SUPPLEMENT):
        payload["HoSoBoSung"] = {
            "NgayHenTraTruoc": portal_time(_parse(event.payload.get("due_at_before"))),
            "NgayHenTraMoi": portal_time(_parse(event.payload.get("due_at_after"))),
            "NoiDungBoSung": event.payload.get("reason") or event.payload.get("note") or "",
            "DanhSachGiayToBoSung": event.payload.get("items") or event.payload.get("documents") or [],
        }
    if event.action == Action.APOLOGISE:
        payload["XinLoi"] = {
            "LyDo": event.payload.get("reason", ""),
            "NgayHenTraTruoc": portal_time(_parse(event.payload.get("previous_appointment"))),
            "NgayHenTraMoi": portal_time(_parse(event.payload.get("new_appointment"))),
        }
    if dossier.fee_amount is not None:
        payload["LePhi"] = {
            "SoTien": str(dossier.fee_amount),
            "HinhThucThanhToan": dossier.payment_method or None,
            "NgayThanhToan": portal_time(dossier.paid_at),
        }
    return payload


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
