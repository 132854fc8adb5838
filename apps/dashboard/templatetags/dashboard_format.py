"""The dashboard's figures in the page's language (12.345 and 45,5 % / 12,345 and 45.5%)."""
from __future__ import annotations

from django import template
from django.utils.translation import gettext

from apps.common import formats

register = template.Library()
NONE = formats.NONE


@register.filter
def num(value) -> str:
    """12345 → "12.345" / "12,345"; None → "–"."""
    return formats.number(value)


@register.filter
def pct(value, digits: int = 1) -> str:
    """A fraction as a percentage: 0.4567 → "45,7 %" / "45.7%"; None (nothing to divide) → "–"."""
    return formats.percent(value, int(digits))


@register.filter
def figure(value, is_rate: bool) -> str:
    return pct(value) if is_rate else num(value)


@register.filter
def points(change) -> str:
    """A change of a rate in percentage points, signed: 0.023 → "+2,3 điểm %" / "+2.3 pp"."""
    if change is None:
        return ""
    return gettext("%(change)s điểm %%") % {"change": formats.signed(float(change) * 100, 1)}


@register.filter
def signed(change) -> str:
    """A change of a count, signed: 12 → "+12", -1234 → "−1.234" / "−1,234"."""
    if change is None:
        return ""
    return formats.signed(int(change))


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
