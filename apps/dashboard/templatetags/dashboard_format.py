"""Vietnamese number formats for the dashboard (12.345 and 45,5 %), independent of locale setup."""
from __future__ import annotations

from django import template

register = template.Library()
NONE = "–"


@register.filter
def num(value) -> str:
    """12345 → "12.345"; None → "–"."""
    if value is None or value == "":
        return NONE
    return f"{int(value):,}".replace(",", ".")


@register.filter
def pct(value, digits: int = 1) -> str:
    """A fraction as a percentage: 0.4567 → "45,7 %"; None (nothing to divide) → "–"."""
    if value is None or value == "":
        return NONE
    return f"{float(value) * 100:.{int(digits)}f}".replace(".", ",") + " %"


@register.filter
def figure(value, is_rate: bool) -> str:
    return pct(value) if is_rate else num(value)


@register.filter
def points(change) -> str:
    """A change of a rate in percentage points, signed: 0.023 → "+2,3 điểm %"."""
    if change is None:
        return ""
    return f"{float(change) * 100:+.1f}".replace(".", ",") + " điểm %"


@register.filter
def signed(change) -> str:
    """A change of a count, signed: 12 → "+12", -1234 → "−1.234"."""
    if change is None:
        return ""
    n = int(change)
    if n == 0:
        return "±0"
    return ("+" if n > 0 else "−") + f"{abs(n):,}".replace(",", ".")


@register.filter
def raw(value) -> str:
    """The machine value for data-* attributes (no localisation): 0.5 → "0.5", None → ""."""
    return "" if value is None else repr(value) if isinstance(value, float) else str(value)


@register.filter
def bar_width(value) -> str:
    """A fraction as a CSS width in percent, clamped to 0..100, with a dot (CSS needs one)."""
    if value is None:
        return "0"
    return f"{max(0.0, min(1.0, float(value))) * 100:.1f}"
