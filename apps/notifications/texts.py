"""What the notifications say (plain text: fits e-mail and, shortened, SMS).

Written in Vietnamese (the gettext msgids; locale/en holds the English); callers pick the
recipient's language with apps.common.i18n.in_language_of before asking for a text."""
from __future__ import annotations

from datetime import datetime
from typing import assert_never

from django.utils import timezone
from django.utils.translation import gettext as _

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
            return _("Hồ sơ %(code)s (%(procedure)s) đã được tiếp nhận lúc %(received)s. Hẹn trả kết quả: "
                     "%(appointment)s.") % {"code": code, "procedure": procedure,
                                            "received": local(payload.received_at), "appointment": local(appointment)}
        case ev.Rejected():
            if payload.at_intake:
                return _("Hồ sơ %(code)s không được tiếp nhận. Lý do: %(reason)s") % {
                    "code": code, "reason": payload.reason}
            return _("Hồ sơ %(code)s bị dừng giải quyết. Lý do: %(reason)s") % {"code": code, "reason": payload.reason}
        case ev.SupplementRequested():
            items = "; ".join([*payload.document_types, *payload.items])
            return _("Hồ sơ %(code)s cần bổ sung: %(items)s. Lý do: %(reason)s") % {
                "code": code, "items": items, "reason": payload.reason}
        case ev.PaymentRequested():
            return _("Hồ sơ %(code)s: đề nghị nộp phí, lệ phí %(amount)s đồng.") % {
                "code": code, "amount": f"{payload.amount:f}"}
        case ev.Apologised():
            return _("Cơ quan xin lỗi vì hồ sơ %(code)s chậm trả kết quả. Hẹn trả mới: %(appointment)s. "
                     "Lý do: %(reason)s") % {"code": code, "appointment": local(payload.new_appointment),
                                             "reason": payload.reason}
        case ev.Resolved():
            return _("Hồ sơ %(code)s (%(procedure)s) đã có kết quả giải quyết.") % {
                "code": code, "procedure": procedure}
        case ev.Returned():
            return _("Kết quả hồ sơ %(code)s đã được trả.") % {"code": code}
        case (ev.Submitted() | ev.Assigned() | ev.Supplemented() | ev.Transferred() | ev.PaymentConfirmed()
              | ev.Withdrawn()):
            raise ValueError(f"{type(payload).__name__} is not announced to the applicant")
        case _:
            assert_never(payload)


def status_subject(code: str) -> str:
    return _("[Một cửa] Hồ sơ %(code)s có cập nhật") % {"code": code}


def overdue_text(code: str, procedure: str, due_at: datetime) -> tuple[str, str]:
    values = {"code": code, "procedure": procedure, "due": local(due_at)}
    return (_("[Một cửa] Hồ sơ %(code)s đã quá hạn") % values,
            _("Hồ sơ %(code)s (%(procedure)s) đã quá hạn giải quyết (hạn %(due)s). "
              "Đề nghị xử lý hoặc lập phiếu xin lỗi và hẹn lại ngày trả.") % values)


def due_soon_text(code: str, procedure: str, due_at: datetime) -> tuple[str, str]:
    values = {"code": code, "procedure": procedure, "due": local(due_at)}
    return (_("[Một cửa] Hồ sơ %(code)s sắp đến hạn") % values,
            _("Hồ sơ %(code)s (%(procedure)s) đến hạn giải quyết lúc %(due)s (trong vòng 1 ngày làm việc).") % values)

