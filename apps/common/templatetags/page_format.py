"""`{% load page_format %}`: numbers, money and dates in the page's language (apps/common/formats.py)."""

from __future__ import annotations

from django import template
from django.conf import settings

from apps.common import formats

register = template.Library()


@register.filter
def day(value) -> str:
    """17/11/2025 · 17 Nov 2025"""
    return formats.day(value)


@register.filter
def moment(value, style: str = "moment") -> str:
    """17/11/2025 08:00 · 17 Nov 2025, 08:00; `|moment:"time_first"`: 08:00 17/11/2025 · 08:00, 17 Nov 2025."""
    return formats.when(value, style)


@register.filter
def month(value) -> str:
    """11/2025 · Nov 2025"""
    return formats.month(value)


@register.filter
def money(value) -> str:
    """150.000 đồng · 150,000 VND"""
    return formats.money(value)


@register.simple_tag
def languages_by_own_name() -> list[tuple[str, str]]:
    """(code, name): each language named in itself, as settings.LANGUAGES writes it ("Tiếng Việt",
    "English"), never translated (Django's own catalogue would make "English" "Tiếng Anh")."""
    return list(settings.LANGUAGES)
