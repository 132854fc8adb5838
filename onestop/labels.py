"""What a citizen reads for each dossier state (Vietnamese), for the public pages and notices."""
from __future__ import annotations

from .lifecycle import Status

STATUS_LABELS: dict[Status, str] = {
    Status.SUBMITTED: "Đã nộp, chờ tiếp nhận",
    Status.RECEIVED: "Đã tiếp nhận",
    Status.IN_PROGRESS: "Đang giải quyết",
    Status.AWAITING_SUPPLEMENT: "Chờ bổ sung hồ sơ",
    Status.AWAITING_PAYMENT: "Chờ nộp phí, lệ phí",
    Status.RESOLVED: "Đã có kết quả, chờ trả",
    Status.RETURNED: "Đã trả kết quả",
    Status.REJECTED: "Từ chối tiếp nhận / giải quyết",
    Status.WITHDRAWN: "Đã rút hồ sơ",
}


def status_label(status: str) -> str:
    try:
        return STATUS_LABELS[Status(status)]
    except ValueError:
        return status


def masked_name(name: str) -> str:
    """"Nguyễn Văn Bảy" → "N. V. Bảy": enough for the applicant to recognise their dossier on a public
    page, not the full name of whoever a guessed code + ID number pair would belong to."""
    words = name.split()
    if len(words) <= 1:
        return name.strip()
    return " ".join([*(w[0] + "." for w in words[:-1]), words[-1]])
