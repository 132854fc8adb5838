"""Working-time calendar: deadlines in working days, office hours and Vietnamese days off.

Why it is built this way:

- Processing times are legal limits in *working days* (Decree 61/2018), so a deadline is a
  position on a "working clock" that only runs inside office hours of working days. Every
  instant maps to ``working-day index × day length + working time elapsed that day``; adding,
  measuring and pausing are plain integer arithmetic on that clock.
- Working days come from the ``holidays`` package (lunar Tết, Hùng Kings' day, substituted days
  off and the make-up Saturdays in ``weekend_workdays``) because the official calendar changes
  every year; the admin-managed exceptions win over it, since they record the year's actual
  decision (including what the package does not know yet). The package's holidays are
  computed lazily per year and shared by all calendars (they depend on the year only); it knows
  none after 2100, where only weekends and the exceptions apply.
- A deadline for any date 2000–2100 must cost microseconds: per year, lazily, we precompute
  the year's working days in order and a cumulative count of them indexed by day ordinal, so
  "N working days later" is an index lookup, never a day-by-day or minute-by-minute loop. Time zone
  conversion happens once per input. Internally everything is integer microseconds so that
  inputs carrying microseconds stay exact.
- Adding working time that ends exactly at the end of a period stays there (07:30 + 1 day is
  17:00 the same day, not 07:30 the next one): the due time is always an instant inside office
  hours or the end of a period, which is what the applicant is told.
- Office hours are wall-clock local times; in a zone with daylight saving a day is still
  ``working_seconds_per_day`` long (Asia/Ho_Chi_Minh has none).

This module is framework-free (no Django): it is pure and testable in microseconds.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import ROUND_HALF_EVEN, Decimal
from enum import StrEnum
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

__all__ = [
    "DEFAULT_OFFICE_HOURS",
    "OfficeHours",
    "Timeliness",
    "WorkingCalendar",
]

_US = 1_000_000  # microseconds per second
_ALWAYS_AWARE = (ZoneInfo, timezone)
_COUNTRY = "VN"

ProcessingDays = int | float | Decimal


class Timeliness(StrEnum):
    """How a dossier was resolved relative to its due time (fixed at resolution)."""

    EARLY = "early"
    ON_TIME = "on_time"
    LATE = "late"


def _time_us(t: time) -> int:
    return ((t.hour * 60 + t.minute) * 60 + t.second) * _US + t.microsecond


@dataclass(frozen=True, slots=True)
class OfficeHours:
    """Daily office periods (local wall-clock times) of working days, in one time zone.

    ``same_day_cutoff``: a 0-day dossier received later than this local time is due at the
    closing of the next working day.
    """

    periods: tuple[tuple[time, time], ...] = (
        (time(7, 30), time(11, 30)),
        (time(13, 0), time(17, 0)),
    )
    timezone: str = "Asia/Ho_Chi_Minh"
    same_day_cutoff: time = time(15, 0)

    def __post_init__(self) -> None:
        # Accept lists from configuration but keep the instance hashable.
        periods = tuple((start, end) for start, end in self.periods)
        object.__setattr__(self, "periods", periods)
        if not periods:
            raise ValueError("office hours need at least one period")
        previous_end: time | None = None
        for start, end in periods:
            for t in (start, end):
                if not isinstance(t, time):
                    raise TypeError(f"office period bounds must be datetime.time, got {t!r}")
                if t.tzinfo is not None:
                    raise ValueError("office period bounds are local wall-clock times: no tzinfo")
                if t.microsecond:
                    raise ValueError("office period bounds must be whole seconds")
            if not start < end:
                raise ValueError(f"office period {start}-{end} must end after it starts")
            if previous_end is not None and start < previous_end:
                raise ValueError("office periods must be sorted and must not overlap")
            previous_end = end
        if not isinstance(self.same_day_cutoff, time) or self.same_day_cutoff.tzinfo is not None:
            raise ValueError("same_day_cutoff must be a naive datetime.time")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
            raise ValueError(f"unknown time zone {self.timezone!r}") from exc

    @property
    def working_seconds_per_day(self) -> int:
        return sum(_time_us(end) - _time_us(start) for start, end in self.periods) // _US

    @property
    def opening(self) -> time:
        return self.periods[0][0]

    @property
    def closing(self) -> time:
        return self.periods[-1][1]


DEFAULT_OFFICE_HOURS = OfficeHours()


@cache
def _package_days(year: int) -> tuple[frozenset[int], frozenset[int]]:
    """(public holidays, make-up working weekend days) of ``year`` as ordinals, per the package.

    Pure function of the year, so it is shared by all calendars (they are rebuilt whenever the
    exceptions change). The neighbouring years are populated too because a make-up Saturday can
    belong to the next or previous year's substitution (2014-12-27 worked for 2015-01-02).
    """
    years = [y for y in (year - 1, year, year + 1) if 1 <= y <= 9999]
    package = holidays.country_holidays(_COUNTRY, years=years)
    days_off = frozenset(d.toordinal() for d in package if d.year == year)
    # weekend_workdays may hold dates of other years; keep this year's weekend days only.
    makeup = frozenset(d.toordinal() for d in package.weekend_workdays if d.year == year and d.weekday() >= 5)
    return days_off, makeup


class _Year:
    """Precomputed working days of one calendar year.

    ``cum[k]`` = working days of the year strictly before its k-th day (k = 0 on 1 January),
    so it is also the index in ``days`` of the first working day on or after day k, and day k
    works iff ``cum[k + 1] != cum[k]``. ``days[i]`` is the (year, month, day) of the i-th
    working day, ready for the datetime constructor.
    """

    __slots__ = ("cum", "days", "first", "n", "year")

    def __init__(self, year: int, first: int, cum: list[int], days: list[tuple[int, int, int]]) -> None:
        self.year = year
        self.first = first
        self.cum = cum
        self.days = days
        self.n = len(days)


def _check_date_set(values: Iterable[date], name: str) -> frozenset[date]:
    result = frozenset(values)
    for d in result:
        if isinstance(d, datetime) or not isinstance(d, date):
            raise TypeError(f"{name} must hold datetime.date values, got {d!r}")
    return result


class WorkingCalendar:
    """Working-time arithmetic for one office-hours configuration and set of exceptions.

    Immutable once built; per-year tables are computed lazily on first use and cached on the
    instance (rebuild the calendar when the exceptions change).
    """

    def __init__(
        self,
        office_hours: OfficeHours = DEFAULT_OFFICE_HOURS,
        extra_days_off: Iterable[date] = frozenset(),
        extra_working_days: Iterable[date] = frozenset(),
    ) -> None:
        self._office_hours = office_hours
        self._extra_days_off = _check_date_set(extra_days_off, "extra_days_off")
        self._extra_working_days = _check_date_set(extra_working_days, "extra_working_days")
        both = self._extra_days_off & self._extra_working_days
        if both:
            raise ValueError(f"dates both off and working: {sorted(both)}")
        self._off_ords = frozenset(d.toordinal() for d in self._extra_days_off)
        self._work_ords = frozenset(d.toordinal() for d in self._extra_working_days)
        self._tz = ZoneInfo(office_hours.timezone)
        # (start, end, working µs before start, working µs at end) per period, in µs of the day.
        periods: list[tuple[int, int, int, int]] = []
        elapsed = 0
        for start, end in office_hours.periods:
            s, e = _time_us(start), _time_us(end)
            periods.append((s, e, elapsed, elapsed + e - s))
            elapsed += e - s
        self._periods = tuple(periods)
        self._day_us = elapsed
        self._day_seconds = elapsed // _US
        self._closing_us = periods[-1][1]
        self._cutoff_us = _time_us(office_hours.same_day_cutoff)
        self._years: dict[int, _Year] = {}

    def __repr__(self) -> str:
        return (
            f"WorkingCalendar(office_hours={self._office_hours!r}, "
            f"extra_days_off={len(self._extra_days_off)} dates, "
            f"extra_working_days={len(self._extra_working_days)} dates)"
        )

    @property
    def office_hours(self) -> OfficeHours:
        return self._office_hours

    @property
    def timezone(self) -> ZoneInfo:
        return self._tz

    @property
    def extra_days_off(self) -> frozenset[date]:
        return self._extra_days_off

    @property
    def extra_working_days(self) -> frozenset[date]:
        return self._extra_working_days

    # ----------------------------------------------------------------- per-year tables

    def _year(self, year: int) -> _Year:
        table = self._years.get(year)
        if table is None:
            table = self._build_year(year)
        return table

    def _build_year(self, year: int) -> _Year:
        # No lock: threads racing on a new year build equal tables and the dict store is atomic.
        package_off, makeup = _package_days(year)
        first = date(year, 1, 1).toordinal()
        end = date(year + 1, 1, 1).toordinal() if year < 9999 else date(9999, 12, 31).toordinal() + 1
        weekday0 = date(year, 1, 1).weekday()
        cum = [0]
        days: list[tuple[int, int, int]] = []
        work_ords, off_ords = self._work_ords, self._off_ords
        for o in range(first, end):
            # Precedence: the exceptions table, then the package's make-up days, then its
            # holidays, then the Saturday/Sunday weekend.
            if o in work_ords:
                works = True
            elif o in off_ords:
                works = False
            elif o in makeup:
                works = True
            else:
                works = (weekday0 + o - first) % 7 < 5 and o not in package_off
            if works:
                d = date.fromordinal(o)
                days.append((d.year, d.month, d.day))
            cum.append(len(days))
        table = _Year(year, first, cum, days)
        self._years[year] = table
        return table

    # ----------------------------------------------------------------- conversions

    def _local(self, dt: datetime) -> datetime:
        try:
            tzinfo = dt.tzinfo
        except AttributeError:
            raise TypeError(f"expected a datetime, got {type(dt).__name__}") from None
        # ZoneInfo and timezone always give an offset; only other tzinfo types need the
        # (slower) utcoffset() check for "naive in disguise".
        if tzinfo is None or (type(tzinfo) not in _ALWAYS_AWARE and dt.utcoffset() is None):
            raise ValueError(f"naive datetime {dt.isoformat()}: a time zone is required")
        if type(dt) is not datetime and not isinstance(dt, datetime):  # e.g. an aware time
            raise TypeError(f"expected a datetime, got {type(dt).__name__}")
        return dt.astimezone(self._tz)

    def _locate(self, local: datetime) -> tuple[_Year, int, int]:
        """Position of a local instant on the working clock: (year table, day index, offset).

        On a working day the offset is the working time elapsed that day, in [0, day length];
        on a day off it is 0 and the index is that of the next working day. Either way the
        clock reading is ``index × day length + offset`` (the index may equal ``table.n``:
        the first working day of the next year).
        """
        table = self._years.get(local.year) or self._year(local.year)
        cum = table.cum
        k = local.toordinal() - table.first
        i = cum[k]
        if cum[k + 1] == i:
            return table, i, 0
        sod = ((local.hour * 60 + local.minute) * 60 + local.second) * _US + local.microsecond
        for s, e, before, _after in self._periods:
            if sod < s:
                return table, i, before
            if sod < e:
                return table, i, before + sod - s
        return table, i, self._day_us

    def _at(self, table: _Year, i: int, sod: int) -> datetime:
        """Local datetime at ``sod`` µs after midnight of working day ``i`` of ``table``."""
        while i >= table.n:
            i -= table.n
            table = self._year(table.year + 1)
        y, m, d = table.days[i]
        seconds, us = divmod(sod, _US)
        minutes, s = divmod(seconds, 60)
        h, mi = divmod(minutes, 60)
        return datetime(y, m, d, h, mi, s, us, self._tz)

    def _days_between(self, ta: _Year, ia: int, tb: _Year, ib: int) -> int:
        """Working days from position (ta, ia) to (tb, ib); ta's year <= tb's year."""
        if ta is tb:
            return ib - ia
        total = ta.n - ia + ib
        for year in range(ta.year + 1, tb.year):
            total += self._year(year).n
        return total

    # ----------------------------------------------------------------- days

    def is_working_day(self, d: date) -> bool:
        if isinstance(d, datetime) or not isinstance(d, date):
            raise TypeError("is_working_day takes a date; use is_working_instant for a datetime")
        table = self._year(d.year)
        k = d.toordinal() - table.first
        return table.cum[k + 1] != table.cum[k]

    def working_days_between(self, a: date, b: date) -> int:
        """Working days in [a, b); 0 if b <= a."""
        for d in (a, b):
            if isinstance(d, datetime) or not isinstance(d, date):
                raise TypeError("working_days_between takes dates")
        if b <= a:
            return 0
        ta, tb = self._year(a.year), self._year(b.year)
        ia = ta.cum[a.toordinal() - ta.first]
        ib = tb.cum[b.toordinal() - tb.first]
        return self._days_between(ta, ia, tb, ib)

    # ----------------------------------------------------------------- instants

    def is_working_instant(self, dt: datetime) -> bool:
        """Inside an office period of a working day (start inclusive, end exclusive)."""
        local = self._local(dt)
        table = self._year(local.year)
        k = local.toordinal() - table.first
        if table.cum[k + 1] == table.cum[k]:
            return False
        sod = ((local.hour * 60 + local.minute) * 60 + local.second) * _US + local.microsecond
        return any(s <= sod < e for s, e, _before, _after in self._periods)

    def _next_opening_local(self, local: datetime) -> datetime:
        table, i, offset = self._locate(local)
        if offset >= self._day_us:
            i, offset = i + 1, 0
        # Left-closed mapping: an offset on a period boundary is the start of the next period.
        for s, _e, before, after in self._periods:
            if offset < after:
                result = self._at(table, i, s + offset - before)
                # Keep the caller's instant (and its fold) when it already was a working one.
                return local if result == local else result
        raise AssertionError("unreachable: offset < day length")

    def next_opening(self, dt: datetime) -> datetime:
        """``dt`` itself if it is a working instant, else the start of the next office period."""
        return self._next_opening_local(self._local(dt))

    def is_appointment_time(self, dt: datetime) -> bool:
        """A time an appointment may be set to: inside office hours of a working day, or the end of
        an office period (a due time may be the closing time, DESIGN.md section 3)."""
        return self.is_working_instant(dt) or self.is_working_instant(dt - timedelta(microseconds=1))

    def earliest_appointment_after(self, dt: datetime) -> datetime:
        """The earliest appointment time later than ``dt``, to the minute."""
        candidate = self._local(dt).replace(second=0, microsecond=0) + timedelta(minutes=1)
        return candidate if self.is_appointment_time(candidate) else self.next_opening(candidate)

    def _add_us(self, start: datetime, us: int) -> datetime:
        # _local's common case inlined; anything unusual (naive, exotic tzinfo) goes through it.
        if type(start) is datetime and type(start.tzinfo) in _ALWAYS_AWARE:
            local = start.astimezone(self._tz)
        else:
            local = self._local(start)
        if us == 0:
            return self._next_opening_local(local)
        # Hot path: _locate inlined (this is the call the service makes per dossier).
        table = self._years.get(local.year) or self._year(local.year)
        cum = table.cum
        k = local.toordinal() - table.first
        i = cum[k]
        day_us = self._day_us
        periods = self._periods
        if cum[k + 1] == i:
            offset = 0
        else:
            sod = ((local.hour * 60 + local.minute) * 60 + local.second) * _US + local.microsecond
            for s, e, before, _after in periods:
                if sod < s:
                    offset = before
                    break
                if sod < e:
                    offset = before + sod - s
                    break
            else:
                offset = day_us
        q, r = divmod(offset + us, day_us)
        if r == 0:
            # Landing exactly on the end of a day stays at its closing time.
            q, r = q - 1, day_us
        # Right-closed mapping: an offset on a period boundary is the end of the earlier period.
        for s, _e, before, after in periods:
            if r <= after:
                sod = s + r - before
                break
        else:
            raise AssertionError("unreachable: r <= day length")
        i += q
        if i >= table.n:
            return self._at(table, i, sod)
        # _at inlined for the common case of a result in the same year.
        y, m, d = table.days[i]
        seconds, micro = divmod(sod, _US)
        minutes, sec = divmod(seconds, 60)
        h, mi = divmod(minutes, 60)
        return datetime(y, m, d, h, mi, sec, micro, self._tz)

    def add_working_seconds(self, start: datetime, seconds: int) -> datetime:
        """``start`` + ``seconds`` of working time (counting from the next opening)."""
        if isinstance(seconds, bool) or not isinstance(seconds, int):
            raise TypeError(f"seconds must be an int, got {type(seconds).__name__}")
        if seconds < 0:
            raise ValueError("working time to add must not be negative")
        return self._add_us(start, seconds * _US)

    def _days_to_seconds(self, days: ProcessingDays) -> int:
        """Processing days as working seconds, rounded half-even to the second."""
        day_seconds = self._day_seconds
        kind = type(days)
        if kind is int:
            if days < 0:
                raise ValueError(f"processing days must not be negative, got {days}")
            return days * day_seconds
        if kind is float:
            seconds = days * day_seconds
            if not 0 <= seconds < math.inf:  # also rejects NaN
                raise ValueError(f"processing days must be finite and not negative, got {days}")
            return round(seconds)
        if isinstance(days, bool):
            raise TypeError("processing days must be a number, not a bool")
        # Subclasses (e.g. an IntEnum, numpy's float64) take the exact-type path.
        if isinstance(days, int):
            return self._days_to_seconds(int(days))
        if isinstance(days, float):
            return self._days_to_seconds(float(days))
        if isinstance(days, Decimal):
            if not days.is_finite() or days < 0:
                raise ValueError(f"processing days must be finite and not negative, got {days}")
            return int((days * day_seconds).to_integral_value(ROUND_HALF_EVEN))
        raise TypeError(f"processing days must be int, float or Decimal, got {kind.__name__}")

    def add_working_time(self, start: datetime, days: ProcessingDays) -> datetime:
        """``start`` + ``days`` × working-day length; 0 days is ``next_opening(start)``."""
        if type(days) is int and days >= 0:  # the common case, without a call
            return self._add_us(start, days * self._day_us)
        return self._add_us(start, self._days_to_seconds(days) * _US)

    def due_at(self, received_at: datetime, processing_days: ProcessingDays) -> datetime:
        """Due time of a dossier received at ``received_at``.

        0 days (same-day procedure): closing time of the reception day if it is a working day
        and the dossier came at or before the cutoff (and before closing); otherwise closing
        time of the next working day. Otherwise ``add_working_time``.
        """
        seconds = self._days_to_seconds(processing_days)
        if seconds:
            return self._add_us(received_at, seconds * _US)
        local = self._local(received_at)
        table = self._years.get(local.year) or self._year(local.year)
        k = local.toordinal() - table.first
        i = table.cum[k]
        if table.cum[k + 1] != i:  # a working day
            sod = ((local.hour * 60 + local.minute) * 60 + local.second) * _US + local.microsecond
            if not (sod <= self._cutoff_us and sod < self._closing_us):
                i += 1
        # On a day off, cum[k] already is the index of the next working day.
        return self._at(table, i, self._closing_us)

    # ----------------------------------------------------------------- durations

    def _between_us(self, a: datetime, b: datetime) -> int:
        la, lb = self._local(a), self._local(b)
        if lb <= la:
            return 0
        ta, ia, oa = self._locate(la)
        tb, ib, ob = self._locate(lb)
        return self._days_between(ta, ia, tb, ib) * self._day_us + ob - oa

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Working time in [a, b), exact to the microsecond; zero if b <= a."""
        return timedelta(microseconds=self._between_us(a, b))

    def working_seconds_between(self, a: datetime, b: datetime) -> int:
        """Whole working seconds in [a, b) (sub-second remainders are dropped); 0 if b <= a."""
        return self._between_us(a, b) // _US

    def due_after_pause(self, due_at: datetime, paused_at: datetime, resumed_at: datetime) -> datetime:
        """Due time after a pause (waiting for the applicant) from ``paused_at`` to ``resumed_at``.

        The working time left at the pause is kept and counted again from the resume instant
        (from the next opening if that is outside office hours). A dossier paused when no
        working time was left (already due or overdue) keeps its due time: pausing must not
        turn a late dossier into an on-time one.
        """
        paused_local, resumed_local = self._local(paused_at), self._local(resumed_at)
        if resumed_local < paused_local:
            raise ValueError("resumed_at is before paused_at")
        remaining = self._between_us(paused_local, due_at)
        if remaining <= 0:
            return self._local(due_at)
        return self._add_us(resumed_local, remaining)

    def timeliness(self, due_at: datetime, resolved_at: datetime) -> Timeliness:
        """Classify a resolution against the due time.

        ``early``: resolved on a local date before ``due_at``'s local date, i.e. before the
        working day on which it was due. A due time always lies on a working day (inside office
        hours or at the end of a period), so that day is simply ``due_at``'s local date, and any
        earlier day counts, including a weekend or holiday just before it. Dates are compared in
        the calendar's zone, not UTC: 06:00 in Hanoi is still the previous day in UTC.
        ``on_time``: otherwise, resolved at or before ``due_at``. ``late``: after it.
        """
        due_local, resolved_local = self._local(due_at), self._local(resolved_at)
        if resolved_local.date() < due_local.date():
            return Timeliness.EARLY
        if resolved_local <= due_local:
            return Timeliness.ON_TIME
        return Timeliness.LATE
