"""Formats for the form templates, in the active language: Vietnamese as the official forms write
dates and money ("ngày 23 tháng 11 năm 2025", "200.000 đồng"), English for the translation
("23 November 2025", "200,000 VND"). The filter names keep their historical ``vn_`` prefix so that a
province's template overrides keep working."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django import template
from django.utils import timezone, translation

register = template.Library()

ENGLISH_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)


def in_vietnamese() -> bool:
    """The form is being written in Vietnamese (the default, and the legally valid version)."""
    return (translation.get_language() or "vi").split("-")[0] == "vi"


def _local(value: datetime) -> datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


@register.filter
def vn_datetime(value: datetime | None) -> str:
    """'08 giờ 30 phút, ngày 23 tháng 11 năm 2025' / '08:30, 23 November 2025'."""
    if not value:
        return ""
    v = _local(value)
    if in_vietnamese():
        return f"{v.hour:02d} giờ {v.minute:02d} phút, {vn_date(v)}"
    return f"{v.hour:02d}:{v.minute:02d}, {vn_date(v)}"


@register.filter
def vn_date(value: datetime | None) -> str:
    """'ngày 23 tháng 11 năm 2025' / '23 November 2025'."""
    if not value:
        return ""
    v = _local(value)
    if in_vietnamese():
        return f"ngày {v.day:02d} tháng {v.month:02d} năm {v.year}"
    return f"{v.day} {ENGLISH_MONTHS[v.month - 1]} {v.year}"


@register.filter
def vn_short(value: datetime | None) -> str:
    """'08:30 23/11/2025' (table cells; the same in both languages)."""
    if not value:
        return ""
    return _local(value).strftime("%H:%M %d/%m/%Y")


@register.filter
def vnd(value: Decimal | int | None) -> str:
    """'200.000 đồng' (dot as the thousands separator) / '200,000 VND'."""
    amount = int(value or 0)
    if in_vietnamese():
        return f"{amount:,}".replace(",", ".") + " đồng"
    return f"{amount:,} VND"


@register.filter
def vn_number(value: Decimal | float | int | None) -> str:
    """7 → '7', 0.5 → '0,5' (decimal comma) / '0.5'."""
    if value is None:
        return ""
    number = Decimal(str(value)).normalize()
    text = format(number, "f")
    return text.replace(".", ",") if in_vietnamese() else text
