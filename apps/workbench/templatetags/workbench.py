"""Labels and small formatting for the workbench templates."""
from datetime import datetime

from django import template
from django.utils.translation import gettext

from .. import labels

register = template.Library()

register.filter("status_label", labels.status_label)
register.filter("channel_label", labels.channel_label)
register.filter("action_label", labels.action_label)
register.filter("timeliness_label", labels.timeliness_label)


#: The names of the typed payloads' fields (onestop/events.py), as the timeline prints them.
PAYLOAD_LABELS = {
    "channel": "Kênh", "note": "Ghi chú", "received_at": "Tiếp nhận lúc", "due_at": "Hạn giải quyết",
    "reason": "Lý do", "at_intake": "Từ chối khi tiếp nhận", "assignee": "Người xử lý", "items": "Nội dung bổ sung",
    "document_types": "Giấy tờ cần bổ sung", "due_at_before": "Hạn trước đó", "due_at_after": "Hạn mới",
    "documents": "Giấy tờ nộp", "form_data": "Thông tin sửa đổi", "from_agency": "Từ cơ quan",
    "to_agency": "Đến cơ quan", "previous_appointment": "Hẹn trả trước đó", "new_appointment": "Hẹn trả mới",
    "amount": "Số tiền", "method": "Hình thức", "reference": "Mã giao dịch", "result": "Kết quả",
    "timeliness": "Tiến độ",
}


def _shown(value: object) -> object:
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:  # an instant of the payload (RFC 3339, local time): as the page prints dates
            return datetime.fromisoformat(value).strftime("%d/%m/%Y %H:%M")
        except ValueError:
            return value
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if value is True:
        return "Có"
    return value


@register.filter
def payload_items(payload: dict) -> list[tuple[str, object]]:
    """An event's payload as (label, value) pairs worth showing (empty values left out)."""
    return [(gettext(PAYLOAD_LABELS[k]) if k in PAYLOAD_LABELS else k,
             labels.channel_label(v) if k == "channel" else _shown(v))
            for k, v in payload.items() if v not in ("", None, [], {}, (), False)]


@register.filter
def vnd(value) -> str:
    if value in (None, ""):
        return ""
    return f"{int(value):,}".replace(",", ".") + " đ"
