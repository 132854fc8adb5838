"""Labels people read next to codes (DESIGN.md section 2), in Vietnamese as the source text.

The same function names and semantics as the project-wide labels of the i18n work
(apps/common/labels.py): once that module is on main, these functions become imports of it.
"""
from __future__ import annotations

from django.utils.translation import gettext

STATUS_LABELS = {
    "submitted": "Chờ tiếp nhận",
    "received": "Đã tiếp nhận",
    "in_progress": "Đang xử lý",
    "awaiting_supplement": "Chờ bổ sung",
    "awaiting_payment": "Chờ thực hiện nghĩa vụ tài chính",
    "resolved": "Đã có kết quả",
    "returned": "Đã trả kết quả",
    "rejected": "Từ chối tiếp nhận",
    "withdrawn": "Đã rút hồ sơ",
}
REJECTED_AFTER_EXAMINATION = "Không giải quyết"
ACTION_LABELS = {
    "submit": "Nộp hồ sơ",
    "register": "Tiếp nhận trực tiếp",
    "accept": "Tiếp nhận",
    "reject": "Từ chối",
    "assign": "Phân công xử lý",
    "request_supplement": "Yêu cầu bổ sung",
    "supplement": "Bổ sung hồ sơ",
    "transfer": "Chuyển xử lý",
    "apologise": "Xin lỗi và hẹn lại",
    "request_payment": "Yêu cầu nộp phí, lệ phí",
    "confirm_payment": "Xác nhận đã nộp phí",
    "resolve": "Giải quyết",
    "return": "Trả kết quả",
    "withdraw": "Rút hồ sơ",
}
CHANNEL_LABELS = {
    "online": "Trực tuyến",
    "counter": "Trực tiếp",
    "post": "Qua bưu chính",
    "portal": "Qua Cổng Dịch vụ công quốc gia",
}
TIMELINESS_LABELS = {"early": "Trước hạn", "on_time": "Đúng hạn", "late": "Quá hạn"}


def _label(table: dict, code: object) -> str:
    text = table.get(code)
    return gettext(text) if text else ""


def status_label(status: str, *, after_examination: bool = False) -> str:
    if status == "rejected" and after_examination:
        return gettext(REJECTED_AFTER_EXAMINATION)
    return _label(STATUS_LABELS, status)


def action_label(action: str) -> str:
    return _label(ACTION_LABELS, action)


def channel_label(channel: str) -> str:
    return _label(CHANNEL_LABELS, channel)


def timeliness_label(timeliness: str | None) -> str:
    return _label(TIMELINESS_LABELS, timeliness or "")


def dossier_status_label(dossier) -> str:
    """A rejection after reception reads "Không giải quyết"."""
    return status_label(dossier.status, after_examination=dossier.received_at is not None)


def event_status_label(event) -> str:
    return status_label(event.to_status, after_examination=event.from_status not in ("", None, "submitted"))
