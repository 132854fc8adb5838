"""Outbox rows -> the portal's records: one DongBoHoSoMC record and one CapNhatTienDoHoSoMC
progress entry per dossier event (DESIGN.md section 7 lists every field).

The scalar fields come from the row's stored payload (`payloads.dossier_sync_payload`: the dossier
as it stood at the event; an administrator may correct it on a dead row before replaying). The
lists come from the records written up to the event (documents, supplement rounds, fee requests)
and are read when the batch is sent, a handful of queries per batch: the document links must be
fresh when sent (they expire), and nothing on the intake path pays for them.

Codes: KenhThucHien 1 in person, 2 online (our `online` and `portal`), 3 post; LoaiDoiTuong "1"
citizen, "2" business (an organisation is sent as "2", the portal knowing no third kind);
HinhThuc "1" when the result goes by post; HinhThucThu "1" collected before the result (our
payment requests), "3" no fee; LoaiPhiLePhi "2" lệ phí. Missing dates are "" as gateways expect.
Each progress entry also carries ``TienDoId`` (our event id): the portal's times have one-second
resolution and a dossier can change twice within a second, so (MaHoSo, ThoiDiemXuLy, TienDoId)
tells a repeat from a new entry.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection
from django.db.models import Q
from django.db.models.expressions import RawSQL

from apps.dossiers.models import DossierDocument, DossierEvent, DossierPause
from onestop import events as ev

from ..files import document_url
from ..payloads import portal_time
from ..transport import OutgoingMessage

CREATING_ACTIONS = frozenset({"submit", "register"})
ACTION_LABELS = {
    "submit": "Nộp hồ sơ", "register": "Tiếp nhận", "accept": "Tiếp nhận", "reject": "Từ chối",
    "assign": "Phân công xử lý", "request_supplement": "Yêu cầu bổ sung", "supplement": "Bổ sung hồ sơ",
    "transfer": "Chuyển xử lý", "apologise": "Xin lỗi và hẹn lại", "request_payment": "Yêu cầu nộp phí, lệ phí",
    "confirm_payment": "Xác nhận đã nộp phí", "resolve": "Giải quyết", "return": "Trả kết quả",
    "withdraw": "Rút hồ sơ",
}
ROLE_TITLES = {
    "clerk": "Cán bộ một cửa", "specialist": "Chuyên viên", "leader": "Lãnh đạo", "applicant": "Người nộp hồ sơ",
    "portal": "Cổng Dịch vụ công quốc gia", "payment_callback": "Hệ thống thanh toán",
}
FEE_BEFORE, FEE_NONE, KIND_LE_PHI = "1", "3", "2"


@dataclass
class SyncItem:
    key: str  # the outbox row's idempotency key (event id)
    dossier_code: str
    is_update: bool  # DongBoHoSoMC isUpdating: False for the event that created the dossier
    record: dict[str, Any]
    progress: dict[str, Any]


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _date(value: datetime | None) -> str:
    return portal_time(value) or ""


def _amount(value: Any) -> int:
    try:
        return int(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return 0


@dataclass
class _Event:
    """The columns of a dossier event the records use (read as tuples: no model instances)."""

    pk: int
    dossier_id: int
    action: str
    actor_role: str
    at: datetime
    payload: ev.Payload  # typed (onestop/events.py)
    actor_name: str
    agency_name: str


HISTORY_ACTIONS = ("request_supplement", "supplement", "request_payment", "return")
DOSSIER_COLUMNS = ("dossier__applicant_email", "dossier__applicant_phone", "dossier__applicant_address",
                   "dossier__submitted_at", "dossier__received_at")


def _ids(ids: list[int]) -> RawSQL | list[int]:
    """`pk__in` one array parameter on PostgreSQL rather than 200 placeholders (psycopg spends more
    time rewriting a long query than the database spends running it)."""
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", (list(ids),))
    return list(ids)


class _Context:
    """Everything the batch's records need, in two or three queries of plain tuples: the batch's
    events with the events the lists are made of (and the dossiers' contact columns), the
    documents, and the supplement pauses when there were supplement requests."""

    def __init__(self, messages: list[OutgoingMessage]) -> None:
        event_ids = [m.event_id for m in messages]
        wanted = set(event_ids)
        of_batch = DossierEvent.objects.filter(pk__in=_ids(event_ids)).values("dossier_id")
        rows = DossierEvent.objects.filter(
            Q(pk__in=_ids(event_ids)) | Q(dossier_id__in=of_batch, action__in=HISTORY_ACTIONS)
        ).order_by("id").values_list("id", "dossier_id", "action", "actor_role", "at", "payload", "actor__full_name",
                                     "actor__username", "agency__name", *DOSSIER_COLUMNS)
        self.events: dict[int, _Event] = {}
        self.history: dict[int, list[_Event]] = defaultdict(list)  # the events the lists are made of
        self.dossiers: dict[int, tuple] = {}
        for pk, dossier_id, action, role, at, payload, full_name, username, agency, *dossier in rows:
            event = _Event(pk, dossier_id, action, role, at, ev.payload_from_json(action, payload),
                           full_name or username or "", agency)
            if pk in wanted:
                self.events[pk] = event
                self.dossiers[dossier_id] = (dossier_id, *dossier)
            if action in HISTORY_ACTIONS:
                self.history[dossier_id].append(event)
        self.documents: dict[int, list[tuple]] = defaultdict(list)
        for row in DossierDocument.objects.filter(dossier_id__in=_ids(list(self.dossiers))).order_by("id").values_list(
                "id", "dossier_id", "document_type", "stage", "original_name", "uploaded_at"):
            self.documents[row[1]].append(row)
        self.pauses: dict[int, list[DossierPause]] = defaultdict(list)
        asked = [d for d, events in self.history.items() if any(e.action == "request_supplement" for e in events)]
        if asked:
            for pause in DossierPause.objects.filter(dossier_id__in=asked).order_by("started_at", "id"):
                self.pauses[pause.dossier_id].append(pause)


def build(messages: list[OutgoingMessage]) -> list[SyncItem]:
    """One SyncItem per message (in order); messages whose event has gone are skipped."""
    context = _Context(messages)
    items = []
    for message in messages:
        event = context.events.get(message.event_id)
        if event is None:
            continue
        items.append(_item(message, event, context))
    return items


def _item(message: OutgoingMessage, event: _Event, context: _Context) -> SyncItem:
    p = message.payload
    _, email, phone, address, submitted_at, received_at = context.dossiers.get(event.dossier_id) or (None,) * 6
    history = [e for e in context.history[event.dossier_id] if e.pk <= event.pk]
    returned = next((e for e in reversed(history) if e.action == "return"), None)
    progress_payload = p.get("TienDo") or {}
    record: dict[str, Any] = {
        "MaHoSo": p.get("MaHoSo"),
        "MaTTHC": p.get("MaTTHC"),
        "TenTTHC": p.get("TenTTHC"),
        "MaLinhVuc": p.get("MaLinhVuc"),
        "TenLinhVuc": p.get("TenLinhVuc"),
        "SoBienNhan": p.get("SoBienNhan") or p.get("MaHoSo"),
        "ChuHoSo": p.get("ChuHoSo"),
        "LoaiDoiTuong": "1" if _text(p.get("LoaiDoiTuong")) in ("", "1") else "2",
        "MaDoiTuong": _text(p.get("MaDoiTuong")),
        "ThongTinKhac": p.get("ThongTinKhac") or address or "",
        "Email": p.get("Email") or email or "",
        "Fax": _text(p.get("Fax")),
        "SoDienThoai": p.get("SoDienThoai") or phone or "",
        "TrichYeuHoSo": p.get("TrichYeuHoSo") or f"{p.get('TenTTHC')} – {p.get('ChuHoSo')}",
        "NgayTiepNhan": _text(p.get("NgayTiepNhan")),
        "NgayHenTra": _text(p.get("NgayHenTra")),
        "TrangThaiHoSo": p.get("TrangThaiHoSo"),
        "NgayTra": _text(p.get("NgayTra")),
        "ThongTinTra": ev.payload_text(returned.payload) if returned else "",
        "HinhThuc": "1" if returned and getattr(returned.payload, "method", "") == "post" else "0",
        "NgayKetThucXuLy": _text(p.get("NgayKetThucXuLy")),
        "DonViXuLy": p.get("DonViXuLy"),
        "MaDonViXuLy": p.get("MaDonViXuLy"),
        "GhiChu": ev.payload_text(event.payload),
        "KenhThucHien": p.get("KenhThucHien"),
        "TaiLieuNop": [],
        "DanhSachLePhi": _fees(p, history),
        "DanhSachTepDinhKemKhac": [],
        "DanhSachHoSoBoSung": _supplements(event, context.pauses[event.dossier_id], history),
        "DanhSachGiayToKetQua": [],
    }
    for doc_id, _, document_type, stage, name, uploaded_at in context.documents[event.dossier_id]:
        if uploaded_at > event.at:
            continue  # uploaded by a later event
        if stage == DossierDocument.Stage.RESULT:
            record["DanhSachGiayToKetQua"].append({
                "TenGiayTo": name, "MaThanhPhanHoSo": document_type, "GiayToId": doc_id,
                "DuongDanTepTinKetQua": document_url(doc_id)})
        else:
            record["TaiLieuNop"].append({
                "TepDinhKemId": doc_id, "TenTepDinhKem": name, "IsDeleted": False,
                "MaThanhPhanHoSo": document_type, "DuongDanTaiTepTin": document_url(doc_id)})
    started = received_at or submitted_at
    progress = {
        "MaHoSo": p.get("MaHoSo"),
        "NguoiXuLy": event.actor_name or ROLE_TITLES.get(event.actor_role, ""),
        "ChucDanh": ROLE_TITLES.get(event.actor_role, event.actor_role),
        "ThoiDiemXuLy": progress_payload.get("ThoiDiemXuLy") or _date(event.at),
        "PhongBanXuLy": event.agency_name,
        "NoiDungXuLy": _progress_text(event),
        "TrangThai": p.get("TrangThaiHoSo"),
        "NgayBatDau": _date(started if started and started <= event.at else None),
        "NgayKetThucTheoQuyDinh": _text(p.get("NgayHenTra")),
        "TienDoId": event.pk,
    }
    return SyncItem(key=message.key, dossier_code=_text(p.get("MaHoSo")),
                    is_update=event.action not in CREATING_ACTIONS, record=record, progress=progress)


def _progress_text(event: _Event) -> str:
    label = ACTION_LABELS.get(event.action, event.action)
    note = ev.payload_text(event.payload)
    return f"{label}: {note}" if note else label


def _fees(p: dict[str, Any], history: list[_Event]) -> list[dict[str, Any]]:
    requests = [e for e in history if e.action == "request_payment"]
    if not requests:
        return []
    latest = requests[-1].payload
    assert isinstance(latest, ev.PaymentRequested)
    items = latest.items or (ev.FeeItem(name="Phí, lệ phí", amount=latest.amount),)
    return [{
        "TenPhiLePhi": item.name, "MaPhiLePhi": f"{p.get('MaTTHC')}-{i + 1}",
        "HinhThucThu": FEE_BEFORE if _amount(item.amount) > 0 else FEE_NONE,
        "Gia": _amount(item.amount), "LoaiPhiLePhi": KIND_LE_PHI,
    } for i, item in enumerate(items)]


def _supplements(event: _Event, pauses: list[DossierPause], history: list[_Event]) -> list[dict]:
    """One entry per supplement round opened up to this event; the answer only once it came."""
    requests = [e for e in history if e.action == "request_supplement"]
    answers = [e for e in history if e.action == "supplement"]
    rounds = []
    for index, pause in enumerate(p for p in pauses if p.started_at <= event.at):
        request = requests[index] if index < len(requests) else None
        ended = pause.ended_at if pause.ended_at and pause.ended_at <= event.at else None
        answer = answers[index] if ended and index < len(answers) else None
        rounds.append({
            "HoSoBoSungId": pause.pk,
            "NguoiYeuCauBoSung": request.actor_name if request else "",
            "NoiDungBoSung": pause.reason,
            "NgayBoSung": _date(pause.started_at),
            "NguoiTiepNhanBoSung": answer.actor_name if answer else "",
            "ThongTinTiepNhan": ev.payload_text(answer.payload) if answer else "",
            "NgayTiepNhanBoSung": _date(ended),
            "TrangThaiBoSung": 1 if ended else 0,
            "DanhSachGiayToBoSung": [{"TenGiayTo": _text(item)} for item in pause.requested_items or []],
            "DanhSachLePhiBoSung": [],
            "NgayHenTraTruoc": _date(pause.due_at_before),
            "NgayHenTraMoi": _date(pause.due_at_after if ended else None),
        })
    return rounds
