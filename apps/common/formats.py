"""Numbers, money and dates as people read them in the page's language (independent of Django's
locale formats, which for Vietnamese have no digit grouping and dates with dashes).

Vietnamese: 1.234,5 · 45,7 % · 150.000 đồng · 17/11/2025 08:00. English: 1,234.5 · 45.7% ·
150,000 VND · 17 Nov 2025, 08:00 (the month named, so no reader takes 05/11 for 11 May or 5 November).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.utils import dateformat, timezone
from django.utils.translation import get_language

NONE = "–"  # no figure (nothing to divide, no date yet)

# (decimal separator, thousands separator) per language.
_SEPARATORS = {"vi": (",", "."), "en": (".", ",")}
# Django date formats (django.utils.dateformat) per language and purpose.
_DATE_FORMATS = {
    "vi": {"day": "d/m/Y", "moment": "d/m/Y H:i", "time_first": "H:i d/m/Y", "month": "m/Y"},
    "en": {"day": "j M Y", "moment": "j M Y, H:i", "time_first": "H:i, j M Y", "month": "M Y"},
}


def _language() -> str:
    language = (get_language() or "vi").split("-")[0]
    return language if language in _SEPARATORS else "vi"


def marks() -> dict[str, str]:
    """What a page's script needs to write numbers as the page does: the language, its marks."""
    decimal_mark, thousands_mark = _SEPARATORS[_language()]
    return {
        "language": _language(),
        "decimal_mark": decimal_mark,
        "thousands_mark": thousands_mark,
        "percent_sign": " %" if _language() == "vi" else "%",
    }


def number(value: int | float | Decimal | None, digits: int = 0) -> str:
    """12345 → "12.345" / "12,345"; 2.5 with one digit → "2,5" / "2.5"; None → "–"."""
    if value is None or value == "":
        return NONE
    decimal_mark, thousands = _SEPARATORS[_language()]
    value = Decimal(value) if isinstance(value, str) else value  # amounts in payloads are strings
    text = f"{float(value) if digits else round(value):,.{int(digits)}f}"
    return text.translate(str.maketrans({",": thousands, ".": decimal_mark}))


def percent(fraction: float | None, digits: int = 1) -> str:
    """0.4567 → "45,7 %" / "45.7%" (Vietnamese puts a space before the sign); None → "–"."""
    if fraction is None or fraction == "":
        return NONE
    return number(float(fraction) * 100, digits) + marks()["percent_sign"]


def signed(value: int | float, digits: int = 0) -> str:
    """+12, −1.234 (a true minus sign), ±0."""
    if round(float(value), digits) == 0:
        return "±0"
    return ("+" if value > 0 else "−") + number(abs(value), digits)


def money(amount: int | float | Decimal | None) -> str:
    """VND, whole đồng: 150000 → "150.000 đồng" / "150,000 VND"; None → ""."""
    if amount is None or amount == "":
        return ""
    return number(amount) + (" đồng" if _language() == "vi" else " VND")


def when(value: date | datetime | None, style: str = "moment") -> str:
    """A date or an instant (in local time) in the language's form: style "day", "moment" (date and
    time), "time_first" (time, then date) or "month"; None → ""."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    if not isinstance(value, datetime) and style in ("moment", "time_first"):
        style = "day"
    return dateformat.format(value, _DATE_FORMATS[_language()][style])


def day(value: date | datetime | None) -> str:
    return when(value, "day")


def month(value: date | None) -> str:
    return when(value, "month")


def month_name(number: int) -> str:
    """3 → "Tháng 3" / "March"."""
    if _language() == "vi":
        return f"Tháng {number}"
    return dateformat.format(date(2000, number, 1), "F")


def period(first: date, last: date) -> str:
    """Two days, both inclusive: "01/11/2025 – 30/11/2025"; one day alone if they are the same."""
    return day(first) if first == last else f"{day(first)} – {day(last)}"
