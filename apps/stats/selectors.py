"""Statistics reads: indicators for a scope and period from rollup + uncompacted deltas.

One SQL statement reads the counters and the delta tail (UNION ALL) in one snapshot, so a
compaction running at the same time can neither hide nor double a counter. Rows are keyed by local
day, so a period is a range of days and a balance ("pending at T") is a sum over the days before T.

Two paths: without a procedure or level filter (the common case) the coarse tables answer (agency ×
month/day sums and month-start balance snapshots: see "the coarse path" below); otherwise the fine
rollup, whose balances sum every row before T.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from django.db import connection
from django.db.models import Max

from apps.agencies.models import Agency
from apps.catalog.models import Offering
from apps.catalog.selectors import offered_levels
from onestop.indicators import (
    BALANCE_IN,
    BALANCE_OUT,
    ONLINE_CHANNELS,
    Metric,
    PeriodCounts,
    balance_delta,
    indicators,
    month_after,
)

from .models import (
    ALL_AGENCIES,
    BALANCE_OPEN_DUE,
    BALANCE_PENDING,
    StatAgencyDay,
    StatAgencyDayDue,
    StatAgencyMonth,
    StatBalance,
    StatDelta,
    StatOnlineProcedureDay,
    StatOnlineProcedureMonth,
    StatRollup,
)

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


def _offerings(scope: Scope):
    offerings = Offering.objects.filter(is_active=True, procedure__is_active=True, agency__is_active=True)
    if scope.agency_ids is not None:
        offerings = offerings.filter(agency_id__in=scope.agency_ids)
    if scope.procedure_id is not None:
        offerings = offerings.filter(procedure_id=scope.procedure_id)
    if scope.tier is not None:
        offerings = offerings.filter(agency__tier=scope.tier)
    return offerings


def _offered_levels_by_agency(scope: Scope) -> dict[int, dict[int, int]]:
    """Agency id → what `_offered_levels` gives for that agency alone (no level filter)."""
    out: dict[int, dict[int, int]] = defaultdict(dict)
    rows = _offerings(scope).values("agency_id", "procedure_id").annotate(level=Max("online_level"))
    for agency_id, procedure_id, level in rows.values_list("agency_id", "procedure_id", "level"):
        out[agency_id][procedure_id] = level
    return out


def _offered_levels(scope: Scope) -> dict[int, int]:
    """Procedure id → the highest level any agency of the scope offers it at (active offerings)."""
    levels = offered_levels(agency_ids=scope.agency_ids, procedure_id=scope.procedure_id, tier=scope.tier)
    if scope.level is not None:
        levels = {p: lvl for p, lvl in levels.items() if lvl == scope.level}
    return levels


def _online_procedures(scope: Scope, start: date, end: date) -> set[int]:
    if scope.level is None:  # the coarse tables have no level dimension
        return _online_procedures_coarse(scope, [(start, end)]).get(0, set())
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
    if _coarse(scope):
        counts = _coarse_counts(_coarse_rows(scope, [(start, end)], None), 1).get(0, [_EMPTY])[0]
        offered, with_online = _provision(scope, start, end)
        return indicators(replace(counts, offered=offered, offered_with_online=with_online))
    return _summary_fine(scope, start, end)


def _summary_fine(scope: Scope, start: date, end: date) -> dict[str, Any]:
    """From the fine rollup: any procedure/level filter (also the reference the tests compare with)."""
    rows = _counter_rows(scope, start, end, "0")
    offered, with_online = _provision(scope, start, end)
    return indicators(_period_counts(rows, start, end, offered, with_online))


_EMPTY = PeriodCounts(period={}, online_received=0, received_online_offered=0, online_received_online_offered=0,
                      carried_over=0, pending_end=0, overdue_end=0, offered={}, offered_with_online={})


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
    if by in ("day", "month", "quarter", "year") and _coarse(scope):
        buckets = time_buckets(start, end, by)
        counts = _coarse_counts(_coarse_rows(scope, buckets, None), len(buckets)).get(0, [_EMPTY] * len(buckets))
        levels = _offered_levels(scope)  # the catalogue today: the same for every bucket
        online_offered = {p for p, lvl in levels.items() if lvl >= 3}
        online = _online_procedures_coarse(scope, buckets)
        result = []
        for b, (low, high) in enumerate(buckets):
            with_online = _by_level(levels, online_offered & online.get(b, set()))
            c = replace(counts[b], offered=_by_level(levels), offered_with_online=with_online)
            result.append({"group": low.isoformat(), "period_from": low, "period_to": high, **indicators(c)})
        return result
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
    if _coarse(scope, by):
        per_group = _coarse_counts(_coarse_rows(scope, [(start, end)], by), 1)
        labels = _labels(by, per_group.keys())
        result = []
        if by == "agency":  # the provision of every agency in two statements, not two per agency
            levels_of = _offered_levels_by_agency(scope)
            online_of = _online_procedures_coarse(scope, [(start, end)], by_agency=True)
        for key in sorted(per_group, key=lambda k: str(labels.get(k, k))):
            if by == "agency":
                levels = levels_of.get(key, {})
                online = {p for p, lvl in levels.items() if lvl >= 3} & online_of.get((key, 0), set())
                offered, with_online = _by_level(levels), _by_level(levels, online)
            else:
                offered, with_online = _provision(_narrow(scope, by, key), start, end)
            result.append({"group": labels.get(key, key),
                           **indicators(replace(per_group[key][0], offered=offered, offered_with_online=with_online))})
        return result
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


# --- the coarse path -----------------------------------------------------------------------------
# No procedure or level filter and no grouping by procedure/channel/level: the answer comes from
# the agency × day/month tables and the month-start balance snapshots (services.py keeps them in
# step with the rollup), plus the uncompacted StatDelta tail, in one statement (one snapshot), so
# the work grows with agencies × months, not with the history's dossiers.

PERIOD, PENDING_AT_START, OVERDUE_AT_END = 0, 1, 2


def compacted_horizon() -> date | None:
    """The month after the latest compacted day: balance snapshots exist for every month start up
    to here, so a balance at T starts from the snapshot at min(month_start(T), horizon)."""
    latest = StatRollup.objects.aggregate(latest=Max("day"))["latest"]
    if isinstance(latest, str):
        latest = date.fromisoformat(latest)
    return month_after(latest) if latest else None


def _coarse(scope: Scope, by: str | None = None) -> bool:
    return scope.procedure_id is None and scope.level is None and by not in ("procedure", "channel", "level")


def _scope_sql(scope: Scope, params: list[Any], table: str = "coarse", totals: bool = True) -> str:
    """Extra `AND` clauses on agency_id (and procedure_id). The coarse tables also hold rows for
    all agencies together (agency_id = ALL_AGENCIES): the whole system ungrouped reads those
    (`totals`), any other read must skip them. StatDelta (`table="delta"`) has no such rows."""
    clauses = []
    if table == "coarse" and scope.agency_ids is None and scope.tier is None:
        clauses.append(f"x.agency_id {'=' if totals else '<>'} {ALL_AGENCIES}")
    if scope.agency_ids is not None:
        ids = sorted(scope.agency_ids) or [-1]
        clauses.append(f"x.agency_id IN ({', '.join(['%s'] * len(ids))})")
        params.extend(ids)
    if scope.tier is not None:
        clauses.append(f"x.agency_id IN (SELECT id FROM {Agency._meta.db_table} WHERE tier = %s)")
        params.append(scope.tier)
    if scope.procedure_id is not None:
        clauses.append("x.procedure_id = %s")
        params.append(scope.procedure_id)
    return "".join(f" AND {c}" for c in clauses)


def _split(low: date, high: date) -> tuple[list[tuple[date, date]], tuple[date, date] | None]:
    """[low, high) as whole months (from the month tables) and the days at either edge."""
    first = low if low.day == 1 else month_after(low)
    last = high.replace(day=1)
    if first >= last:
        return [(low, high)], None
    return [(a, b) for a, b in ((low, first), (last, high)) if a < b], (first, last)


def _merge(ranges: list[tuple[date, date]]) -> list[tuple[date, date]]:
    out: list[tuple[date, date]] = []
    for low, high in sorted(r for r in ranges if r[0] < r[1]):
        if out and low <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], high))
        else:
            out.append((low, high))
    return out


def _ranges_sql(column: str, ranges: list[tuple[date, date]], params: list[Any]) -> str:
    for r in ranges:
        params.extend(r)
    return "(" + " OR ".join(f"(x.{column} >= %s AND x.{column} < %s)" for _ in ranges) + ")"


def _values(rows: list[tuple], kinds: str) -> tuple[str, list[Any]]:
    """A VALUES list; `kinds` says per column 'i' (integer) or 'd' (date)."""
    cell = {"i": "%s", "d": "%s::date" if connection.vendor == "postgresql" else "%s"}
    one = "(" + ", ".join(cell[k] for k in kinds) + ")"
    return ", ".join([one] * len(rows)), [v for row in rows for v in row]


def _group(by: str | None) -> tuple[str, str]:
    """(group expression, join) over a coarse table aliased x."""
    if by == "agency":
        return "x.agency_id", ""
    if by == "tier":
        return "ag.tier", f" JOIN {Agency._meta.db_table} ag ON ag.id = x.agency_id"
    return "0", ""


def _coarse_rows(scope: Scope, buckets: list[tuple[date, date]], by: str | None) -> list[tuple]:
    """(group, part, bucket, metric, online, offered_online, n), summed in SQL."""
    g, join = _group(by)
    online = ", ".join(f"'{c}'" for c in sorted(ONLINE_CHANNELS))
    ins = ", ".join(str(int(m)) for m in BALANCE_IN)
    outs = ", ".join(str(int(m)) for m in BALANCE_OUT)
    balance_metrics = f"{ins}, {outs}"
    signed = f"CASE WHEN x.metric IN ({ins}) THEN x.n WHEN x.metric IN ({outs}) THEN -x.n ELSE 0 END"
    open_due = int(Metric.OPEN_DUE)
    horizon = compacted_horizon()

    def snapshot_month(t: date) -> date:
        month = t.replace(day=1)
        return min(month, horizon) if horizon else month

    # Periods: (bucket, table 1 = month / 2 = day / 3 = delta, low, high).
    spans: list[tuple[int, int, date, date]] = []
    for b, (low, high) in enumerate(buckets):
        days, months = _split(low, high)
        if months:
            spans.append((b, 1, *months))
        spans.extend((b, 2, *d) for d in days)
        spans.append((b, 3, low, high))
    # Overdue at each bucket's end: (bucket, t, snapshot month s).
    ends = [(b, high, snapshot_month(high)) for b, (_low, high) in enumerate(buckets)]
    start = buckets[0][0]
    s0 = snapshot_month(start)

    params: list[Any] = []
    span_values, span_params = _values(spans, "iidd")
    end_values, end_params = _values(ends, "idd")
    params += span_params + end_params
    table = {name: model._meta.db_table for name, model in (
        ("month", StatAgencyMonth), ("day", StatAgencyDay), ("due", StatAgencyDayDue), ("balance", StatBalance),
        ("delta", StatDelta))}
    branches = []

    def scoped() -> str:
        return _scope_sql(scope, params, totals=by is None)

    def scoped_delta() -> str:
        return _scope_sql(scope, params, "delta")

    # Period sums.
    branches.append(
        f"SELECT {g} AS g, {PERIOD} AS part, r.b, x.metric, x.online, x.offered_online, SUM(x.n) AS n "
        f"FROM {table['month']} x{join} JOIN r ON r.t = 1 AND x.month >= r.lo AND x.month < r.hi "
        f"WHERE true{scoped()} GROUP BY 1, 2, 3, 4, 5, 6")
    branches.append(
        f"SELECT {g}, {PERIOD}, r.b, x.metric, x.online, x.offered_online, SUM(x.n) "
        f"FROM {table['day']} x{join} JOIN r ON r.t = 2 AND x.day >= r.lo AND x.day < r.hi "
        f"WHERE true{scoped()} GROUP BY 1, 2, 3, 4, 5, 6")
    branches.append(
        f"SELECT {g}, {PERIOD}, r.b, x.metric, x.channel IN ({online}), x.level >= 3, SUM(x.n) "
        f"FROM {table['delta']} x{join} JOIN r ON r.t = 3 AND x.day >= r.lo AND x.day < r.hi "
        f"WHERE x.metric <> {open_due}{scoped_delta()} GROUP BY 1, 2, 3, 4, 5, 6")
    # Pending at the start (the ends follow: carried over + the period's balance changes).
    pending = f"{PENDING_AT_START}, 0, 0, false, false"
    branches.append(f"SELECT {g}, {pending}, SUM(x.n) FROM {table['balance']} x{join} "
                    f"WHERE x.month_start = %s AND x.kind = {BALANCE_PENDING}{_scoped_after([s0], params, scoped)} "
                    f"GROUP BY 1")
    if s0 < start:
        branches.append(f"SELECT {g}, {pending}, SUM({signed}) FROM {table['day']} x{join} "
                        f"WHERE x.day >= %s AND x.day < %s AND x.metric IN ({balance_metrics})"
                        f"{_scoped_after([s0, start], params, scoped)} GROUP BY 1")
    branches.append(f"SELECT {g}, {pending}, SUM({signed}) FROM {table['delta']} x{join} "
                    f"WHERE x.day < %s AND x.metric IN ({balance_metrics})"
                    f"{_scoped_after([start], params, scoped_delta)} GROUP BY 1")
    # Overdue at each end: snapshot by due day, the month's OPEN_DUE days before the end, the tail.
    overdue = f"{OVERDUE_AT_END}, e.b, {open_due}, false, false"
    months = sorted({s for _b, _t, s in ends})
    branches.append(
        f"SELECT x.g, {overdue}, SUM(x.n) FROM (SELECT {g} AS g, x.month_start, x.due_day, SUM(x.n) AS n "
        f"FROM {table['balance']} x{join} WHERE x.kind = {BALANCE_OPEN_DUE} "
        f"AND x.month_start IN ({', '.join(['%s'] * len(months))}){_scoped_after(months, params, scoped)} "
        f"GROUP BY 1, 2, 3) x JOIN e ON x.month_start = e.s AND x.due_day < e.t GROUP BY 1, 2, 3, 4, 5, 6")
    day_ranges = _merge([(s, t) for _b, t, s in ends])
    if day_ranges:
        where = _ranges_sql("day", day_ranges, params)
        branches.append(
            f"SELECT x.g, {overdue}, SUM(x.n) FROM (SELECT {g} AS g, x.day, x.due_day, SUM(x.n) AS n "
            f"FROM {table['due']} x{join} WHERE {where}{scoped()} GROUP BY 1, 2, 3) x "
            f"JOIN e ON x.day >= e.s AND x.day < e.t AND x.due_day < e.t GROUP BY 1, 2, 3, 4, 5, 6")
    branches.append(
        f"SELECT {g}, {overdue}, SUM(x.n) FROM {table['delta']} x{join} "
        f"JOIN e ON x.day < e.t AND x.due_day < e.t WHERE x.metric = {open_due}{scoped_delta()} "
        f"GROUP BY 1, 2, 3, 4, 5, 6")
    sql = (f"WITH r(b, t, lo, hi) AS (VALUES {span_values}), e(b, t, s) AS (VALUES {end_values}) "
           + " UNION ALL ".join(branches))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _scoped_after(values: list[Any], params: list[Any], scoped) -> str:
    """Append `values` (the placeholders written just before) then the scope's clauses, in order."""
    params.extend(values)
    return scoped()


def _coarse_counts(rows: list[tuple], n_buckets: int) -> dict[Any, list[PeriodCounts]]:
    """Per group, one PeriodCounts per bucket (each pending at end = carried over + the period's
    balance changes, which is what the counters mean), without the provision figures."""
    period: dict[Any, list[dict[Metric, int]]] = {}
    received: dict[Any, list[list[int]]] = {}  # online, offered online, both
    start: dict[Any, int] = defaultdict(int)
    overdue: dict[Any, list[int]] = {}
    for g, part, b, metric_value, online, offered_online, n in rows:
        if g not in period:
            period[g] = [defaultdict(int) for _ in range(n_buckets)]
            received[g] = [[0, 0, 0] for _ in range(n_buckets)]
            overdue[g] = [0] * n_buckets
        n = int(n or 0)
        if part == PENDING_AT_START:
            start[g] += n
        elif part == OVERDUE_AT_END:
            overdue[g][b] += n
        else:
            metric = Metric(metric_value)
            period[g][b][metric] += n
            if metric == Metric.RECEIVED:
                split = received[g][b]
                split[0] += n if online else 0
                split[1] += n if offered_online else 0
                split[2] += n if online and offered_online else 0
    out: dict[Any, list[PeriodCounts]] = {}
    for g in period:
        carried, counts = start[g], []
        for b in range(n_buckets):
            sums = {m: v for m, v in period[g][b].items() if v}
            pending = carried + balance_delta(sums)
            counts.append(PeriodCounts(
                period=sums, online_received=received[g][b][0], received_online_offered=received[g][b][1],
                online_received_online_offered=received[g][b][2], carried_over=carried, pending_end=pending,
                overdue_end=overdue[g][b], offered={}, offered_with_online={}))
            carried = pending
        out[g] = counts
    return out


def _online_procedures_coarse(scope: Scope, buckets: list[tuple[date, date]],
                              by_agency: bool = False) -> dict[Any, set[int]]:
    """Bucket (or (agency id, bucket) `by_agency`) → procedures with >= 1 online dossier received
    in it (no level filter)."""
    spans: list[tuple[int, int, date, date]] = []
    for b, (low, high) in enumerate(buckets):
        days, months = _split(low, high)
        if months:
            spans.append((b, 1, *months))
        spans.extend((b, 2, *d) for d in days)
        spans.append((b, 3, low, high))
    values, params = _values(spans, "iidd")
    online = ", ".join(f"'{c}'" for c in sorted(ONLINE_CHANNELS))
    month, day = StatOnlineProcedureMonth._meta.db_table, StatOnlineProcedureDay._meta.db_table
    agency = "x.agency_id" if by_agency else "0"
    totals = not by_agency
    sql = f"""
        WITH r(b, t, lo, hi) AS (VALUES {values})
        SELECT a, b, procedure_id FROM (
            SELECT {agency} AS a, r.b, x.procedure_id, x.n FROM {month} x
            JOIN r ON r.t = 1 AND x.month >= r.lo AND x.month < r.hi
            WHERE true{_scope_sql(scope, params, totals=totals)}
            UNION ALL
            SELECT {agency}, r.b, x.procedure_id, x.n FROM {day} x
            JOIN r ON r.t = 2 AND x.day >= r.lo AND x.day < r.hi
            WHERE true{_scope_sql(scope, params, totals=totals)}
            UNION ALL
            SELECT {agency}, r.b, x.procedure_id, x.n FROM {StatDelta._meta.db_table} x
            JOIN r ON r.t = 3 AND x.day >= r.lo AND x.day < r.hi
            WHERE x.metric = {int(Metric.RECEIVED)} AND x.channel IN ({online}){_scope_sql(scope, params, "delta")}
        ) received GROUP BY a, b, procedure_id HAVING SUM(n) > 0
    """
    out: dict[Any, set[int]] = defaultdict(set)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for a, b, procedure_id in cursor.fetchall():
            out[(a, b) if by_agency else b].add(procedure_id)
    return out
