"""Statistics reads: indicators for a scope and period from rollup + uncompacted deltas.

One SQL statement reads both tables (UNION ALL) in one snapshot, so a compaction running at the
same time can neither hide nor double a counter. Rows are keyed by local day, so a period is a
range of days and a balance ("pending at T") is a sum over the days before T.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import connection
from django.db.models import Max

from apps.agencies.models import Agency
from apps.catalog.models import Offering
from onestop.indicators import BALANCE_IN, BALANCE_OUT, ONLINE_CHANNELS, Metric, PeriodCounts, indicators

from .models import StatDelta, StatRollup

GROUPINGS = ("agency", "tier", "procedure", "channel", "level", "day", "month", "quarter", "year")


@dataclass(frozen=True)
class Scope:
    """Which counters count: agencies (None = all), procedure, level, tier filters."""

    agency_ids: frozenset[int] | None
    procedure_id: int | None = None
    level: int | None = None
    tier: str | None = None


def _where(scope: Scope, params: list[Any]) -> str:
    clauses = ["day < %s"]
    if scope.agency_ids is not None:
        ids = sorted(scope.agency_ids) or [-1]
        clauses.append(f"agency_id IN ({', '.join(['%s'] * len(ids))})")
        params.extend(ids)
    if scope.procedure_id is not None:
        clauses.append("procedure_id = %s")
        params.append(scope.procedure_id)
    if scope.level is not None:
        clauses.append("level = %s")
        params.append(scope.level)
    if scope.tier is not None:
        clauses.append(f"agency_id IN (SELECT id FROM {Agency._meta.db_table} WHERE tier = %s)")
        params.append(scope.tier)
    return " AND ".join(clauses)


# Days before the period and due days outside it collapse into sentinels (kept in order with the
# period's days), so the rows returned grow with the period's length, not with the history's.
BEFORE_PERIOD = date(1900, 1, 2)
DUE_BEFORE_PERIOD = date(1900, 1, 3)
DUE_AFTER_PERIOD = date(9999, 12, 31)


def _counter_rows(scope: Scope, start: date, end: date, group_sql: str) -> list[tuple]:
    """(group, metric, day, due_day, online, offered_online, n) summed over every day before `end`."""
    params: list[Any] = [end]
    where = _where(scope, params)
    union_params = [*params, *params]
    online = ", ".join(f"'{c}'" for c in sorted(ONLINE_CHANNELS))
    columns = "agency_id, procedure_id, day, channel, level, metric, due_day, n"
    sql = f"""
        SELECT {group_sql} AS grp, metric,
               CASE WHEN day < %s THEN %s ELSE day END AS day_key,
               CASE WHEN due_day < %s THEN %s WHEN due_day >= %s THEN %s ELSE due_day END AS due_key,
               channel IN ({online}) AS online, level >= 3 AS offered_online, SUM(n)
        FROM (
            SELECT {columns} FROM {StatRollup._meta.db_table} WHERE {where}
            UNION ALL
            SELECT {columns} FROM {StatDelta._meta.db_table} WHERE {where}
        ) counters
        GROUP BY 1, 2, 3, 4, 5, 6
    """
    clip = [start, BEFORE_PERIOD, start, DUE_BEFORE_PERIOD, end, DUE_AFTER_PERIOD]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*clip, *union_params])
        rows = cursor.fetchall()
    if rows and isinstance(rows[0][2], str):  # SQLite returns dates as text
        rows = [(g, m, date.fromisoformat(d), date.fromisoformat(due), o, f, n) for g, m, d, due, o, f, n in rows]
    return rows


def _period_counts(rows: Iterable[tuple], start: date, end: date, offered, with_online) -> PeriodCounts:
    period: dict[Metric, int] = defaultdict(int)
    online_received = received_offered = online_received_offered = 0
    carried = pending = overdue = 0
    for _grp, metric_value, day, due_day, online, offered_online, n in rows:
        metric = Metric(metric_value)
        n = int(n)
        sign = 1 if metric in BALANCE_IN else -1 if metric in BALANCE_OUT else 0
        if day < end:
            pending += sign * n
            if metric == Metric.OPEN_DUE and due_day < end:
                overdue += n
        if day < start:
            carried += sign * n
            continue
        if day >= end:
            continue
        period[metric] += n
        if metric == Metric.RECEIVED:
            online_received += n if online else 0
            received_offered += n if offered_online else 0
            online_received_offered += n if online and offered_online else 0
    return PeriodCounts(
        period=dict(period), online_received=online_received, received_online_offered=received_offered,
        online_received_online_offered=online_received_offered, carried_over=carried, pending_end=pending,
        overdue_end=overdue, offered=offered, offered_with_online=with_online,
    )


def _offered_levels(scope: Scope) -> dict[int, int]:
    """Procedure id → the highest level any agency of the scope offers it at (active offerings)."""
    offerings = Offering.objects.filter(is_active=True, procedure__is_active=True, agency__is_active=True)
    if scope.agency_ids is not None:
        offerings = offerings.filter(agency_id__in=scope.agency_ids)
    if scope.procedure_id is not None:
        offerings = offerings.filter(procedure_id=scope.procedure_id)
    if scope.tier is not None:
        offerings = offerings.filter(agency__tier=scope.tier)
    levels = dict(offerings.values("procedure_id").annotate(level=Max("online_level")).values_list(
        "procedure_id", "level"))
    if scope.level is not None:
        levels = {p: lvl for p, lvl in levels.items() if lvl == scope.level}
    return levels


def _online_procedures(scope: Scope, start: date, end: date) -> set[int]:
    params: list[Any] = [end]
    where = _where(scope, params)
    online = ", ".join(["%s"] * len(ONLINE_CHANNELS))
    sql = f"""
        SELECT DISTINCT procedure_id FROM (
            SELECT procedure_id, n FROM {StatRollup._meta.db_table}
            WHERE {where} AND day >= %s AND metric = %s AND channel IN ({online})
            UNION ALL
            SELECT procedure_id, n FROM {StatDelta._meta.db_table}
            WHERE {where} AND day >= %s AND metric = %s AND channel IN ({online})
        ) received GROUP BY procedure_id HAVING SUM(n) > 0
    """
    part = [*params, start, int(Metric.RECEIVED), *sorted(ONLINE_CHANNELS)]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*part, *part])
        return {row[0] for row in cursor.fetchall()}


def _by_level(levels: dict[int, int], only: set[int] | None = None) -> dict[int, int]:
    counts: dict[int, int] = defaultdict(int)
    for procedure_id, level in levels.items():
        if only is None or procedure_id in only:
            counts[level] += 1
    return dict(counts)


def _provision(scope: Scope, start: date, end: date) -> tuple[dict[int, int], dict[int, int]]:
    levels = _offered_levels(scope)
    online_offered = {p for p, lvl in levels.items() if lvl >= 3}
    with_online = online_offered & _online_procedures(scope, start, end)
    return _by_level(levels), _by_level(levels, with_online)


def stats_summary(scope: Scope, start: date, end: date) -> dict[str, Any]:
    rows = _counter_rows(scope, start, end, "0")
    offered, with_online = _provision(scope, start, end)
    return indicators(_period_counts(rows, start, end, offered, with_online))


def _bucket_start(day: date, by: str) -> date:
    if by == "day":
        return day
    if by == "month":
        return day.replace(day=1)
    if by == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    return date(day.year, 1, 1)


def _next_bucket(start: date, by: str) -> date:
    if by == "day":
        return start + timedelta(days=1)
    months = {"month": 1, "quarter": 3, "year": 12}[by]
    month = start.month - 1 + months
    return date(start.year + month // 12, month % 12 + 1, 1)


def time_buckets(start: date, end: date, by: str) -> list[tuple[date, date]]:
    """[start, end) cut at day/month/quarter/year boundaries; the first and last may be partial."""
    buckets, cursor = [], start
    while cursor < end:
        following = min(_next_bucket(_bucket_start(cursor, by), by), end)
        buckets.append((cursor, following))
        cursor = following
    return buckets


MAX_TIME_BUCKETS = 400


def stats_breakdown(scope: Scope, start: date, end: date, by: str) -> list[dict[str, Any]]:
    if by in ("day", "month", "quarter", "year"):
        buckets = time_buckets(start, end, by)
        rows = _counter_rows(scope, start, end, "0")
        result = []
        for low, high in buckets:
            offered, with_online = _provision(scope, low, high)
            result.append({"group": low.isoformat(), "period_from": low, "period_to": high,
                           **indicators(_period_counts(rows, low, high, offered, with_online))})
        return result

    group_sql = {
        "agency": "agency_id",
        "procedure": "procedure_id",
        "channel": "channel",
        "level": "level",
        "tier": f"(SELECT tier FROM {Agency._meta.db_table} a WHERE a.id = agency_id)",
    }[by]
    rows = _counter_rows(scope, start, end, group_sql)
    grouped: dict[Any, list[tuple]] = defaultdict(list)
    for row in rows:
        grouped[row[0]].append(row)
    labels = _labels(by, grouped.keys())
    result = []
    for key in sorted(grouped, key=lambda k: str(labels.get(k, k))):
        sub_scope = _narrow(scope, by, key)
        offered, with_online = _provision(sub_scope, start, end) if sub_scope else ({}, {})
        result.append({"group": labels.get(key, key),
                       **indicators(_period_counts(grouped[key], start, end, offered, with_online))})
    return result


def _narrow(scope: Scope, by: str, key: Any) -> Scope | None:
    if by == "agency":
        return Scope(frozenset({key}), scope.procedure_id, scope.level, scope.tier)
    if by == "procedure":
        return Scope(scope.agency_ids, key, scope.level, scope.tier)
    if by == "tier":
        return Scope(scope.agency_ids, scope.procedure_id, scope.level, key)
    if by == "level":
        return Scope(scope.agency_ids, scope.procedure_id, key, scope.tier)
    return scope  # channel: the catalogue has no channels


def _labels(by: str, keys: Iterable[Any]) -> dict[Any, str]:
    from apps.catalog.models import Procedure

    if by == "agency":
        return dict(Agency.objects.filter(pk__in=list(keys)).values_list("pk", "code"))
    if by == "procedure":
        return dict(Procedure.objects.filter(pk__in=list(keys)).values_list("pk", "code"))
    return {k: str(k) for k in keys}
