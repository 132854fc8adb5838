"""What the notifications say (Vietnamese, plain text: fits e-mail and, shortened, SMS)."""
from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from onestop.lifecycle import Action


def local(instant: datetime | str | None) -> str:
    if not instant:
        return "—"
    if isinstance(instant, str):
        instant = datetime.fromisoformat(instant)
    return timezone.localtime(instant).strftime("%H:%M %d/%m/%Y")


def status_text(action: str, code: str, procedure: str, payload: dict, appointment: datetime | None) -> str:
    match Action(action):
        case Action.REGISTER | Action.ACCEPT:
            return (f"Hồ sơ {code} ({procedure}) đã được tiếp nhận lúc {local(payload.get('received_at'))}. "
                    f"Hẹn trả kết quả: {local(appointment)}.")
        case Action.REJECT:
            verb = "không được tiếp nhận" if payload.get("at_intake") else "bị dừng giải quyết"
            return f"Hồ sơ {code} {verb}. Lý do: {payload.get('reason', '')}"
        case Action.REQUEST_SUPPLEMENT:
            items = "; ".join(payload.get("items") or [])
            return f"Hồ sơ {code} cần bổ sung: {items}. Lý do: {payload.get('reason', '')}"
        case Action.REQUEST_PAYMENT:
            return f"Hồ sơ {code}: đề nghị nộp phí, lệ phí {payload.get('amount', '')} đồng."
        case Action.APOLOGISE:
            return (f"Cơ quan xin lỗi vì hồ sơ {code} chậm trả kết quả. Hẹn trả mới: "
                    f"{local(payload.get('new_appointment'))}. Lý do: {payload.get('reason', '')}")
        case Action.RESOLVE:
            return f"Hồ sơ {code} ({procedure}) đã có kết quả giải quyết."
        case Action.RETURN:
            return f"Kết quả hồ sơ {code} đã được trả."
    return f"Hồ sơ {code}: {action}."


def status_subject(code: str) -> str:
    return f"[Một cửa] Hồ sơ {code} có cập nhật"


def overdue_text(code: str, procedure: str, due_at: datetime) -> tuple[str, str]:
    return (f"[Một cửa] Hồ sơ {code} đã quá hạn",
            f"Hồ sơ {code} ({procedure}) đã quá hạn giải quyết (hạn {local(due_at)}). "
            "Đề nghị xử lý hoặc lập phiếu xin lỗi và hẹn lại ngày trả.")


def due_soon_text(code: str, procedure: str, due_at: datetime) -> tuple[str, str]:
    return (f"[Một cửa] Hồ sơ {code} sắp đến hạn",
            f"Hồ sơ {code} ({procedure}) đến hạn giải quyết lúc {local(due_at)} (trong vòng 1 ngày làm việc).")
