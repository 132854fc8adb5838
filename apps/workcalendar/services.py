"""Writes to the calendar exceptions table."""
from __future__ import annotations

from datetime import date

from django.db import transaction

from .models import CalendarException, ExceptionKind
from .selectors import forget_working_calendar


@transaction.atomic
def calendar_exception_set(*, day: date, kind: str, reason: str) -> CalendarException:
    ExceptionKind(kind)
    exception, _ = CalendarException.objects.update_or_create(date=day, defaults={"kind": kind, "reason": reason})
    forget_working_calendar()  # this process, at once
    transaction.on_commit(forget_working_calendar)  # and again once others can see it
    return exception


@transaction.atomic
def calendar_exception_delete(*, day: date) -> None:
    CalendarException.objects.filter(date=day).delete()
    forget_working_calendar()  # this process, at once
    transaction.on_commit(forget_working_calendar)  # and again once others can see it
