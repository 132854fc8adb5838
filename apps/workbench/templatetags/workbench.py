"""Labels and small formatting for the workbench templates, in the page's language."""
from datetime import datetime

from django import template
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from apps.common import formats
from apps.dossiers.api.serializers import RETURN_METHODS
from apps.dossiers.models import PaymentMethod, ResultKind

from .. import labels

register = template.Library()

register.filter("status_label", labels.status_label)
register.filter("channel_label", labels.channel_label)
register.filter("action_label", labels.action_label)
register.filter("timeliness_label", labels.timeliness_label)


@register.filter
def in_page_language(label: str, context: str = "") -> str:
    """A model choice's label (written in Vietnamese, the official term) in the page's language:
    `{{ rating.get_level_display|in_page_language }}`; with the catalogue's context of a word that
    means something else elsewhere: `{{ doc.get_stage_display|in_page_language:"document stage" }}`."""
    if not label:
        return ""
    return pgettext(context, label) if context else gettext(label)


#: The names of the typed payloads' fields (onestop/events.py), as the timeline prints them.
PAYLOAD_LABELS = {
    "channel": _("Kênh"), "note": _("Ghi chú"), "received_at": _("Tiếp nhận lúc"), "due_at": _("Hạn giải quyết"),
    "reason": _("Lý do"), "at_intake": _("Từ chối khi tiếp nhận"), "assignee": _("Người xử lý"),
    "items": _("Nội dung bổ sung"), "document_types": _("Giấy tờ cần bổ sung"), "due_at_before": _("Hạn trước đó"),
    "due_at_after": _("Hạn mới"), "documents": _("Giấy tờ nộp"), "form_data": _("Thông tin sửa đổi"),
    "from_agency": _("Từ cơ quan"), "to_agency": _("Đến cơ quan"), "previous_appointment": _("Hẹn trả trước đó"),
    "new_appointment": _("Hẹn trả mới"), "amount": _("Số tiền"), "method": _("Hình thức"),
    "reference": _("Mã giao dịch"), "result": _("Kết quả"), "timeliness": _("Tiến độ"),
}


def _shown(value: object) -> object:
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == "T":
        try:  # an instant of the payload (RFC 3339, local time): as the page prints dates
            return formats.when(datetime.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if value is True:
        return gettext("Có")
    return value


#: Payload fields holding a code, and the label each code reads as.
CODED = {
    "channel": labels.channel_label,
    "timeliness": labels.timeliness_label,
    "result": lambda code: pgettext("dossier result", dict(ResultKind.choices).get(code, code)),
    "method": lambda code: gettext(dict([*PaymentMethod.choices, *RETURN_METHODS]).get(code, code)),
    "amount": formats.money,
}


@register.filter
def payload_items(payload: dict) -> list[tuple[str, object]]:
    """An event's payload as (label, value) pairs worth showing (empty values left out)."""
    return [(str(PAYLOAD_LABELS.get(k, k)), CODED[k](v) if k in CODED else _shown(v))
            for k, v in payload.items() if v not in ("", None, [], {}, (), False)]


@register.filter
def vnd(value) -> str:
    """An amount in đồng: "150.000 đồng" / "150,000 VND"."""
    return formats.money(value)
