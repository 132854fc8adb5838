"""The words people read for each code, as Vietnamese one-stop units use them (DESIGN.md section 2).

Written once, in Vietnamese: these are the official terms. The English text of each lives in the
`en` gettext catalogue (locale/en); the web layer looks labels up in the request's language
(apps/common/labels.py). Pure data: no Django import.
"""
from __future__ import annotations

from .lifecycle import Action, Status

STATUS_LABELS: dict[str, str] = {
    Status.SUBMITTED: "Chờ tiếp nhận",
    Status.RECEIVED: "Đã tiếp nhận",
    Status.IN_PROGRESS: "Đang xử lý",
    Status.AWAITING_SUPPLEMENT: "Chờ bổ sung",
    Status.AWAITING_PAYMENT: "Chờ thực hiện nghĩa vụ tài chính",
    Status.RESOLVED: "Đã có kết quả",
    Status.RETURNED: "Đã trả kết quả",
    Status.REJECTED: "Từ chối tiếp nhận",
    Status.WITHDRAWN: "Đã rút hồ sơ",
}
# A rejection after examination reads differently from one at intake (DESIGN.md section 2).
REJECTED_AFTER_EXAMINATION = "Không giải quyết"

ACTION_LABELS: dict[str, str] = {
    Action.SUBMIT: "Nộp hồ sơ",
    Action.REGISTER: "Tiếp nhận trực tiếp",
    Action.ACCEPT: "Tiếp nhận",
    Action.REJECT: "Từ chối",
    Action.ASSIGN: "Phân công xử lý",
    Action.REQUEST_SUPPLEMENT: "Yêu cầu bổ sung",
    Action.SUPPLEMENT: "Bổ sung hồ sơ",
    Action.TRANSFER: "Chuyển xử lý",
    Action.APOLOGISE: "Xin lỗi và hẹn lại",
    Action.REQUEST_PAYMENT: "Yêu cầu nộp phí, lệ phí",
    Action.CONFIRM_PAYMENT: "Xác nhận đã nộp phí",
    Action.RESOLVE: "Giải quyết",
    Action.RETURN: "Trả kết quả",
    Action.WITHDRAW: "Rút hồ sơ",
}

CHANNEL_LABELS: dict[str, str] = {
    "online": "Trực tuyến",
    "counter": "Trực tiếp",
    "post": "Qua bưu chính",
    "portal": "Qua Cổng Dịch vụ công quốc gia",
}

TIMELINESS_LABELS: dict[str, str] = {"early": "Trước hạn", "on_time": "Đúng hạn", "late": "Quá hạn"}

TIER_LABELS: dict[str, str] = {"province": "Cấp tỉnh", "district": "Cấp huyện", "commune": "Cấp xã"}

LEVEL_LABELS: dict[int, str] = {1: "Mức độ 1", 2: "Mức độ 2", 3: "Mức độ 3", 4: "Mức độ 4"}

# Decree 42/2022/NĐ-CP service classes.
SERVICE_CLASS_LABELS: dict[str, str] = {
    "full": "Toàn trình", "partial": "Một phần", "none": "Không (thông tin, biểu mẫu)",
}

#: Every label of this module, for the catalogue tests (each must have an English text).
ALL_LABELS: tuple[str, ...] = (
    *STATUS_LABELS.values(), REJECTED_AFTER_EXAMINATION, *ACTION_LABELS.values(), *CHANNEL_LABELS.values(),
    *TIMELINESS_LABELS.values(), *TIER_LABELS.values(), *LEVEL_LABELS.values(), *SERVICE_CLASS_LABELS.values(),
)


def status_label(status: str) -> str:
    """The Vietnamese label of a dossier state (the code itself if unknown)."""
    return STATUS_LABELS.get(status, status)


def masked_name(name: str) -> str:
    """"Nguyễn Văn Bảy" → "N. V. Bảy": enough for the applicant to recognise their dossier on a public
    page, not the full name of whoever a guessed code + ID number pair would belong to."""
    words = name.split()
    if len(words) <= 1:
        return name.strip()
    return " ".join([*(w[0] + "." for w in words[:-1]), words[-1]])
