"""Request fields that refuse ambiguous or out-of-range times instead of guessing."""
from __future__ import annotations

from datetime import date

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import serializers

# The years the working calendar computes deadlines for (onestop/calendar.py); dates and instants a
# client sends outside them are mistakes (year 1, year 9999), and overflow once shifted by a zone.
FIRST_YEAR, LAST_YEAR = 2000, 2100
FIRST_DAY, LAST_DAY = date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31)


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with a UTC offset (or `Z`), within FIRST_YEAR..LAST_YEAR. A time without an offset
    is refused: read as server-local it might be right, or seven hours off."""

    default_error_messages = {
        "offset_required": "Give the UTC offset (e.g. 2025-01-06T08:00:00+07:00): a time without one is ambiguous.",
        "out_of_range": f"Must fall within the years {FIRST_YEAR}-{LAST_YEAR}.",
    }

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None  # well-formed but impossible (month 13): DRF's own message below
            if parsed is not None and timezone.is_naive(parsed):
                self.fail("offset_required")
        instant = super().to_internal_value(value)
        if not FIRST_YEAR <= instant.year <= LAST_YEAR:
            self.fail("out_of_range")
        return instant
