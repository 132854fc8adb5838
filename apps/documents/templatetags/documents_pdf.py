"""Vietnamese formats for the form templates: dates as the official forms write them, money in đồng."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django import template
from django.utils import timezone

register = template.Library()


def _local(value: datetime) -> datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


@register.filter
def vn_datetime(value: datetime | None) -> str:
    """'08 giờ 30 phút, ngày 23 tháng 11 năm 2025'."""
    if not value:
        return ""
    v = _local(value)
    return f"{v.hour:02d} giờ {v.minute:02d} phút, {vn_date(v)}"


@register.filter
def vn_date(value: datetime | None) -> str:
    """'ngày 23 tháng 11 năm 2025'."""
    if not value:
        return ""
    v = _local(value)
    return f"ngày {v.day:02d} tháng {v.month:02d} năm {v.year}"


@register.filter
def vn_short(value: datetime | None) -> str:
    """'08:30 23/11/2025' (table cells)."""
    if not value:
        return ""
    return _local(value).strftime("%H:%M %d/%m/%Y")


@register.filter
def vnd(value: Decimal | int | None) -> str:
    """'200.000 đồng' (dot as the thousands separator)."""
    amount = int(value or 0)
    return f"{amount:,}".replace(",", ".") + " đồng"


@register.filter
def vn_number(value: Decimal | float | int | None) -> str:
    """7 → '7', 0.5 → '0,5' (decimal comma)."""
    if value is None:
        return ""
    number = Decimal(str(value)).normalize()
    text = format(number, "f")
    return text.replace(".", ",")
