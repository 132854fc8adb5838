"""What the notifications say (Vietnamese, plain text: fits e-mail and, shortened, SMS)."""
from __future__ import annotations

from datetime import datetime
from typing import assert_never

from django.utils import timezone

from onestop import events as ev


def local(instant: datetime | str | None) -> str:
    if not instant:
        return "—"
    if isinstance(instant, str):
        instant = datetime.fromisoformat(instant)
    return timezone.localtime(instant).strftime("%H:%M %d/%m/%Y")


def status_text(payload: ev.Payload, code: str, procedure: str, appointment: datetime | None) -> str:
    """What the applicant is told about an event (only the announced actions reach here)."""
    match payload:
        case ev.Registered() | ev.Accepted():
            return (f"Hồ sơ {code} ({procedure}) đã được tiếp nhận lúc {local(payload.received_at)}. "
                    f"Hẹn trả kết quả: {local(appointment)}.")
        case ev.Rejected():
            verb = "không được tiếp nhận" if payload.at_intake else "bị dừng giải quyết"
            return f"Hồ sơ {code} {verb}. Lý do: {payload.reason}"
        case ev.SupplementRequested():
            items = "; ".join([*payload.document_types, *payload.items])
            return f"Hồ sơ {code} cần bổ sung: {items}. Lý do: {payload.reason}"
        case ev.PaymentRequested():
            return f"Hồ sơ {code}: đề nghị nộp phí, lệ phí {payload.amount:f} đồng."
        case ev.Apologised():
            return (f"Cơ quan xin lỗi vì hồ sơ {code} chậm trả kết quả. Hẹn trả mới: "
                    f"{local(payload.new_appointment)}. Lý do: {payload.reason}")
        case ev.Resolved():
            return f"Hồ sơ {code} ({procedure}) đã có kết quả giải quyết."
        case ev.Returned():
            return f"Kết quả hồ sơ {code} đã được trả."
        case (ev.Submitted() | ev.Assigned() | ev.Supplemented() | ev.Transferred() | ev.PaymentConfirmed()
              | ev.Withdrawn()):
            raise ValueError(f"{type(payload).__name__} is not announced to the applicant")
        case _:
            assert_never(payload)


def status_subject(code: str) -> str:
    return f"[Một cửa] Hồ sơ {code} có cập nhật"


def overdue_text(code: str, procedure: str, due_at: datetime) -> tuple[str, str]:
    return (f"[Một cửa] Hồ sơ {code} đã quá hạn",
            f"Hồ sơ {code} ({procedure}) đã quá hạn giải quyết (hạn {local(due_at)}). "
            "Đề nghị xử lý hoặc lập phiếu xin lỗi và hẹn lại ngày trả.")


def due_soon_text(code: str, procedure: str, due_at: datetime) -> tuple[str, str]:
    return (f"[Một cửa] Hồ sơ {code} sắp đến hạn",
            f"Hồ sơ {code} ({procedure}) đến hạn giải quyết lúc {local(due_at)} (trong vòng 1 ngày làm việc).")
