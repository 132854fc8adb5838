"""The portal's dossier-sync shapes (DongBoHoSoMC, with a CapNhatTienDoHoSoMC progress entry).

Dates are `yyyyMMddHHmmss` in local time (Asia/Ho_Chi_Minh), as the portal expects.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, assert_never

from django.utils import timezone

from apps.dossiers.models import Channel, Dossier, DossierEvent
from apps.dossiers.payloads import event_payload
from onestop import events as ev
from onestop.lifecycle import Status, portal_status

# KenhThucHien: 1 counter, 2 online, 3 post (the portal's channel codes).
PORTAL_CHANNEL = {Channel.COUNTER: 1, Channel.ONLINE: 2, Channel.PORTAL: 2, Channel.POST: 3}
# LoaiDoiTuong: 1 citizen, 2 business, 3 organisation.
PORTAL_APPLICANT_TYPE = {"citizen": 1, "business": 2, "organisation": 3}


def portal_time(instant: datetime | None) -> str | None:
    return timezone.localtime(instant).strftime("%Y%m%d%H%M%S") if instant else None


def dossier_sync_payload(dossier: Dossier, event: DossierEvent) -> dict[str, Any]:
    procedure = dossier.procedure
    payload = event_payload(event)
    payload_out: dict[str, Any] = {
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
            "NoiDungXuLy": ev.payload_text(payload),
        },
    }
    match payload:
        case ev.SupplementRequested():
            payload_out["HoSoBoSung"] = {
                "NgayHenTraTruoc": portal_time(payload.due_at_before),
                "NgayHenTraMoi": None,
                "NoiDungBoSung": payload.reason,
                "DanhSachGiayToBoSung": [*payload.document_types, *payload.items],
            }
        case ev.Supplemented():
            payload_out["HoSoBoSung"] = {
                "NgayHenTraTruoc": portal_time(payload.due_at_before),
                "NgayHenTraMoi": portal_time(payload.due_at_after),
                "NoiDungBoSung": payload.note,
                "DanhSachGiayToBoSung": list(payload.documents),
            }
        case ev.Apologised():
            payload_out["XinLoi"] = {
                "LyDo": payload.reason,
                "NgayHenTraTruoc": portal_time(payload.previous_appointment),
                "NgayHenTraMoi": portal_time(payload.new_appointment),
            }
        case ev.PaymentRequested():
            payload_out["DanhSachLePhi"] = [
                {"TenPhiLePhi": item.name, "Gia": str(item.amount)} for item in payload.items
            ]
        case (ev.Submitted() | ev.Registered() | ev.Accepted() | ev.Rejected() | ev.Assigned() | ev.Transferred()
              | ev.PaymentConfirmed() | ev.Resolved() | ev.Returned() | ev.Withdrawn()):
            pass
        case _:
            assert_never(payload)
    if dossier.fee_amount is not None:
        payload_out["LePhi"] = {
            "SoTien": str(dossier.fee_amount),
            "HinhThucThanhToan": dossier.payment_method or None,
            "NgayThanhToan": portal_time(dossier.paid_at),
        }
    return payload_out
