"""The working-time calendar as configured: office hours from settings, exceptions from the DB.

Building a calendar costs a query and per-year precomputation, so each process keeps one for a
short time; writes through services drop it at once in the writing process, and other processes
pick the change up within CALENDAR_CACHE_SECONDS (exceptions change a few times a year).
"""
from __future__ import annotations

import time as _time
from datetime import date, time

from django.conf import settings

from onestop.calendar import OfficeHours, WorkingCalendar

from .models import CalendarException, ExceptionKind

CALENDAR_CACHE_SECONDS = 60
_cached: tuple[float, WorkingCalendar] | None = None


def _parse_hhmm(value: str) -> time:
    hours, minutes = value.strip().split(":")
    return time(int(hours), int(minutes))


def office_hours_from_settings() -> OfficeHours:
    periods = []
    for period in settings.OFFICE_HOURS:
        start, end = period.split("-")
        periods.append((_parse_hhmm(start), _parse_hhmm(end)))
    return OfficeHours(
        periods=tuple(periods),
        timezone=settings.TIME_ZONE,
        same_day_cutoff=_parse_hhmm(settings.SAME_DAY_CUTOFF),
    )


def working_calendar() -> WorkingCalendar:
    global _cached
    now = _time.monotonic()
    if _cached is not None and now - _cached[0] < CALENDAR_CACHE_SECONDS:
        return _cached[1]
    days_off: set[date] = set()
    working_days: set[date] = set()
    for day, kind in CalendarException.objects.values_list("date", "kind"):
        (days_off if kind == ExceptionKind.DAY_OFF else working_days).add(day)
    calendar = WorkingCalendar(
        office_hours=office_hours_from_settings(),
        extra_days_off=frozenset(days_off),
        extra_working_days=frozenset(working_days),
    )
    _cached = (now, calendar)
    return calendar


def forget_working_calendar() -> None:
    global _cached
    _cached = None
