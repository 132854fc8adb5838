"""Statistics reads: indicators for a scope and period from rollup + uncompacted deltas.

One SQL statement reads the counters and the delta tail (UNION ALL) in one snapshot, so a
compaction running at the same time can neither hide nor double a counter. Rows are keyed by local
day, so a period is a range of days and a balance ("pending at T") is a sum over the days before T.

The coarse tables answer (agency or procedure × month/day sums by level, and month-start balance
snapshots: see "the coarse path" below), so the work grows with the period and the scope, not with
the history. Only a breakdown by channel reads the fine rollup, whose balances sum every row
before T (`_summary_fine` is also the reference the tests compare the coarse path with).
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError

from apps.accounts.selectors import staff_agency_ids, user_is_province_wide, user_is_staff_reader
from apps.agencies.models import Agency, Tier
from apps.agencies.selectors import agency_ids_in_subtrees, agency_subtree
from apps.catalog.models import ServiceClass
from apps.catalog.selectors import offered_procedures, offered_procedures_by_agency
from apps.common.fields import CharField
from apps.common.labels import channel_label, level_label, service_class_label, tier_label
from onestop.errors import DomainError, ErrorCode
from onestop.indicators import (
    BALANCE_IN,
    BALANCE_OUT,
    ONLINE_CHANNELS,
    SERVICE_CLASSES,
    Metric,
    Offered,
    PeriodCounts,
    balance_delta,
    indicators,
    month_after,
    provision,
)
from onestop.text import vietnamese_sort_key

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
    StatProcedureBalance,
    StatProcedureMonth,
    StatRollup,
    StatTransfer,
)

GROUPINGS = ("agency", "tier", "procedure", "channel", "level", "class", "day", "month", "quarter", "year")


@dataclass(frozen=True)
class Scope:
    """Which counters count: agencies (None = all), procedure, level, tier and Decree 42/2022
    class (`service_class`) filters."""

    agency_ids: frozenset[int] | None
    procedure_id: int | None = None
    level: int | None = None
    tier: str | None = None
    service_class: str | None = None


def _catalogue_clauses(scope: Scope, params: list[Any], prefix: str) -> list[str]:
    """The procedure, level and class filters on a counter relation (columns `{prefix}procedure_id`,
    `{prefix}level`, `{prefix}service_class`), their values appended to `params`."""
    clauses = []
    if scope.procedure_id is not None:
        clauses.append(f"{prefix}procedure_id = %s")
        params.append(scope.procedure_id)
    if scope.level is not None:
        clauses.append(f"{prefix}level = %s")
        params.append(scope.level)
    if scope.service_class is not None:
        clauses.append(f"{prefix}service_class = %s")
        params.append(scope.service_class)
    return clauses


def _where(scope: Scope, params: list[Any]) -> str:
    clauses = ["day < %s"]
    if scope.agency_ids is not None:
        ids = sorted(scope.agency_ids) or [-1]
        clauses.append(f"agency_id IN ({', '.join(['%s'] * len(ids))})")
        params.extend(ids)
    clauses += _catalogue_clauses(scope, params, "")
    if scope.tier is not None:
        clauses.append(f"agency_id IN (SELECT id FROM {Agency._meta.db_table} WHERE tier = %s)")
        params.append(scope.tier)
    return " AND ".join(clauses)


def _now() -> datetime:
    return timezone.now()


def overdue_cutoff(end: date) -> date:
    """A dossier pending at the end of a period [.., end) is overdue, as far as the counters
    tell, when its due day is before the returned day. The end of a period is min(its end, now)
    (DESIGN.md section 6): for a period that has ended, due before its last midnight; for one
    that runs on past today, due before today, plus the dossiers due earlier today
    (`_due_earlier_today`, from the dossiers: the counters know due days, not due times)."""
    return min(end, timezone.localdate(_now()))


def _due_earlier_today(scope: Scope, by: str | None, ends: Iterable[date]) -> dict[Any, int]:
    """Group → dossiers of the scope due today before now whose clock runs: overdue at now, which
    the counters' whole due days cannot tell. Empty unless some period end is after today. One
    index-only scan (dossier_overdue_idx) over today's due times."""
    from apps.dossiers.models import Dossier
    from apps.dossiers.selectors import local_day_bounds, overdue_filter

    now = _now()
    today = timezone.localdate(now)
    if not any(end > today for end in ends):
        return {}
    midnight, _ = local_day_bounds(today, None)
    dossiers = overdue_filter(Dossier.objects.all(), True, now=now).filter(due_at__gte=midnight)
    if scope.agency_ids is not None:
        dossiers = dossiers.filter(agency_id__in=sorted(scope.agency_ids))
    if scope.tier is not None:
        dossiers = dossiers.filter(agency__tier=scope.tier)
    if scope.procedure_id is not None:
        dossiers = dossiers.filter(procedure_id=scope.procedure_id)
    if scope.level is not None:
        dossiers = dossiers.filter(online_level=scope.level)
    if scope.service_class is not None:
        dossiers = dossiers.filter(service_class=scope.service_class)
    key = {"agency": "agency_id", "tier": "agency__tier", "procedure": "procedure_id", "level": "online_level",
           "class": "service_class", "channel": "channel"}.get(by or "")
    if key is None:
        return {0: dossiers.count()}
    return dict(dossiers.values(key).annotate(n=Count("pk")).values_list(key, "n"))


def _at_end(counts: PeriodCounts, end: date, due_today: dict[Any, int], key: Any) -> PeriodCounts:
    """`counts` with the dossiers due earlier today as overdue when the period runs past today."""
    extra = due_today.get(key, 0) if end > timezone.localdate(_now()) else 0
    return replace(counts, overdue_end=counts.overdue_end + extra) if extra else counts


# Days before the period and due days outside it collapse into sentinels (kept in order with the
# period's days), so the rows returned grow with the period's length, not with the history's.
BEFORE_PERIOD = date(1900, 1, 2)
DUE_BEFORE_PERIOD = date(1900, 1, 3)
DUE_AFTER_PERIOD = date(9999, 12, 31)


def _counter_rows(scope: Scope, start: date, end: date, group_sql: str) -> list[tuple]:
    """(group, metric, day, due_day, online, offered_online, service_class, n) summed over every day
    before `end`."""
    params: list[Any] = [end]
    where = _where(scope, params)
    union_params = [*params, *params]
    online = ", ".join(f"'{c}'" for c in sorted(ONLINE_CHANNELS))
    columns = "agency_id, procedure_id, day, channel, level, service_class, metric, due_day, n"
    sql = f"""
        SELECT {group_sql} AS grp, metric,
               CASE WHEN day < %s THEN %s ELSE day END AS day_key,
               CASE WHEN due_day < %s THEN %s WHEN due_day >= %s THEN %s ELSE due_day END AS due_key,
               channel IN ({online}) AS online, level >= 3 AS offered_online, service_class, SUM(n)
        FROM (
            SELECT {columns} FROM {StatRollup._meta.db_table} WHERE {where}
            UNION ALL
            SELECT {columns} FROM {StatDelta._meta.db_table} WHERE {where}
        ) counters
        GROUP BY 1, 2, 3, 4, 5, 6, 7
    """
    clip = [start, BEFORE_PERIOD, start, DUE_BEFORE_PERIOD, end, DUE_AFTER_PERIOD]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*clip, *union_params])
        rows = cursor.fetchall()
    if rows and isinstance(rows[0][2], str):  # SQLite returns dates as text
        rows = [(g, m, date.fromisoformat(d), date.fromisoformat(due), o, f, c, n)
                for g, m, d, due, o, f, c, n in rows]
    return rows


def _period_counts(rows: Iterable[tuple], start: date, end: date, provided: dict[str, dict]) -> PeriodCounts:
    """The counts of fine counter rows (`_counter_rows`); `provided`: the provision fields."""
    cutoff = overdue_cutoff(end)
    period: dict[Metric, int] = defaultdict(int)
    online_received = received_offered = online_received_offered = 0
    by_class: dict[str, int] = defaultdict(int)
    online_by_class: dict[str, int] = defaultdict(int)
    carried = pending = overdue = 0
    for _grp, metric_value, day, due_day, online, offered_online, service_class, n in rows:
        metric = Metric(metric_value)
        n = int(n)
        sign = 1 if metric in BALANCE_IN else -1 if metric in BALANCE_OUT else 0
        if day < end:
            pending += sign * n
            if metric == Metric.OPEN_DUE and due_day < cutoff:
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
            by_class[service_class] += n
            online_by_class[service_class] += n if online else 0
    return PeriodCounts(
        period=dict(period), online_received=online_received, received_online_offered=received_offered,
        online_received_online_offered=online_received_offered, carried_over=carried, pending_end=pending,
        overdue_end=overdue, received_by_class=dict(by_class), online_received_by_class=dict(online_by_class),
        **provided,
    )


def _offered_filter(scope: Scope, offered: dict[int, Offered]) -> dict[int, Offered]:
    """The procedures offered at the scope's level and class filters (of their highest level and
    best class in the scope)."""
    if scope.level is None and scope.service_class is None:
        return offered
    return {p: o for p, o in offered.items()
            if scope.level in (None, o.level) and scope.service_class in (None, o.service_class)}


def _offered_by_agency(scope: Scope) -> dict[int, dict[int, Offered]]:
    """Agency id → what `_offered` gives for that agency alone."""
    offered = offered_procedures_by_agency(agency_ids=scope.agency_ids, procedure_id=scope.procedure_id,
                                           tier=scope.tier)
    return {agency_id: _offered_filter(scope, procedures) for agency_id, procedures in offered.items()}


def _offered(scope: Scope) -> dict[int, Offered]:
    """Procedure id → the highest level and best class any agency of the scope offers it at (active
    offerings)."""
    return _offered_filter(scope, offered_procedures(agency_ids=scope.agency_ids, procedure_id=scope.procedure_id,
                                                     tier=scope.tier))


def _online_procedures_fine(scope: Scope, start: date, end: date) -> set[int]:
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


def _provision(scope: Scope, start: date, end: date, fine: bool = False) -> dict[str, dict]:
    """The provision fields of PeriodCounts for the scope and period (onestop.indicators.provision)."""
    online = (_online_procedures_fine(scope, start, end) if fine
              else _online_procedures_coarse(scope, [(start, end)]).get(0, set()))
    return provision(_offered(scope), online)


def stats_summary(scope: Scope, start: date, end: date) -> dict[str, Any]:
    counts = _coarse_counts(_coarse_rows(scope, [(start, end)], None), 1).get(0, [_EMPTY])[0]
    counts = _without_internal(counts, _internal_transfers(scope, [(start, end)], None).get((0, 0), 0), scope, None)
    counts = _at_end(counts, end, _due_earlier_today(scope, None, [end]), 0)
    return indicators(replace(counts, **_provision(scope, start, end)))


def _summary_fine(scope: Scope, start: date, end: date) -> dict[str, Any]:
    """From the fine rollup alone: the reference the tests compare the coarse path with."""
    rows = _counter_rows(scope, start, end, "0")
    counts = _period_counts(rows, start, end, _provision(scope, start, end, fine=True))
    counts = _without_internal(counts, _internal_transfers(scope, [(start, end)], None).get((0, 0), 0), scope, None)
    return indicators(_at_end(counts, end, _due_earlier_today(scope, None, [end]), 0))


# --- transfers inside a scope --------------------------------------------------------------------
# A transfer between two agencies of one scope (a subtree, a tier, the whole system) is internal:
# it is neither transferred in nor transferred out of that scope (DESIGN.md section 6, balance).
# The counters say how many dossiers each agency handed on or took over; StatTransfer says between
# whom, so the internal ones can be taken off both sides. Pending figures are stocks: a transfer
# inside the scope already cancels in them.


def _everything(scope: Scope) -> bool:
    """Whether the scope holds every agency: then every transfer is internal."""
    return scope.agency_ids is None and scope.tier is None


def _without_internal(counts: PeriodCounts, internal: int, scope: Scope, by: str | None) -> PeriodCounts:
    """`counts` of one group without the transfers inside it (`internal` of them, or all of them
    for a group holding every agency)."""
    if by == "agency":
        return counts  # one agency: nothing is internal
    if by != "tier" and _everything(scope):
        internal = counts.period.get(Metric.TRANSFER_IN, 0)
    if not internal:
        return counts
    period = dict(counts.period)
    for metric in (Metric.TRANSFER_IN, Metric.TRANSFER_OUT):
        period[metric] = period.get(metric, 0) - internal
    return replace(counts, period={m: v for m, v in period.items() if v})


def _internal_transfers(scope: Scope, buckets: list[tuple[date, date]], by: str | None) -> dict[tuple, int]:
    """(group, bucket) → transfers in the bucket between two agencies of that group's scope (a
    group holds the scope's agencies of its tier, procedure, level, class, channel or period)."""
    if by == "agency" or (by != "tier" and _everything(scope)):
        return {}  # one agency per group, or every agency (_without_internal takes them all)
    if scope.agency_ids is not None and len(scope.agency_ids) < 2:
        return {}
    table, agencies = StatTransfer._meta.db_table, Agency._meta.db_table
    values, params = _values([(b, low, high) for b, (low, high) in enumerate(buckets)], "idd")
    group = {"procedure": "t.procedure_id", "level": "t.level", "class": "t.service_class", "channel": "t.channel",
             "tier": "fa.tier"}.get(by, "0")
    clauses = []
    if scope.agency_ids is not None:
        ids = sorted(scope.agency_ids)
        marks = ", ".join(["%s"] * len(ids))
        clauses += [f"t.from_agency_id IN ({marks})", f"t.to_agency_id IN ({marks})"]
        params += [*ids, *ids]
    if scope.tier is not None:
        clauses += ["fa.tier = %s", "ta.tier = %s"]
        params += [scope.tier, scope.tier]
    if by == "tier":
        clauses.append("fa.tier = ta.tier")
    clauses += _catalogue_clauses(scope, params, "t.")
    where = " AND ".join(clauses) or "true"
    sql = (f"WITH r(b, lo, hi) AS (VALUES {values}) "
           f"SELECT {group}, r.b, SUM(t.n) FROM {table} t JOIN r ON t.day >= r.lo AND t.day < r.hi "
           f"JOIN {agencies} fa ON fa.id = t.from_agency_id JOIN {agencies} ta ON ta.id = t.to_agency_id "
           f"WHERE {where} GROUP BY 1, 2")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(g, b): int(n) for g, b, n in cursor.fetchall()}


# --- every group of a breakdown ------------------------------------------------------------------

CHANNELS = ("online", "portal", "counter", "post")
LEVELS = (1, 2, 3, 4)
assert set(SERVICE_CLASSES) == set(ServiceClass.values)


def _scope_agencies(scope: Scope, start: date, end: date):
    """The agencies of the scope that existed during [start, end) (DESIGN.md section 10: an
    agency abolished before the period, or created after it, has no group unless it has figures)."""
    agencies = Agency.objects.filter(Q(valid_from__isnull=True) | Q(valid_from__lt=end),
                                     Q(valid_to__isnull=True) | Q(valid_to__gt=start))
    if scope.agency_ids is not None:
        agencies = agencies.filter(pk__in=sorted(scope.agency_ids))
    if scope.tier is not None:
        agencies = agencies.filter(tier=scope.tier)
    return agencies


def breakdown_groups(scope: Scope, start: date, end: date, by: str) -> set[Any]:
    """Every group a breakdown lists even where nothing happened: every agency of the scope (and
    tier it has), every procedure it offers, every level, every class, every channel."""
    if by == "agency":
        return set(_scope_agencies(scope, start, end).values_list("pk", flat=True))
    if by == "tier":
        return set(_scope_agencies(scope, start, end).values_list("tier", flat=True).distinct())
    if by == "procedure":
        return set(_offered(scope))
    if by == "level":
        return {scope.level} if scope.level is not None else set(LEVELS)
    if by == "class":
        return {scope.service_class} if scope.service_class is not None else set(SERVICE_CLASSES)
    if by == "channel":
        return set(CHANNELS)
    return set()


_EMPTY = PeriodCounts(period={}, online_received=0, received_online_offered=0, online_received_online_offered=0,
                      carried_over=0, pending_end=0, overdue_end=0, offered={}, offered_with_online={},
                      received_by_class={}, online_received_by_class={}, offered_by_class={},
                      offered_with_online_by_class={})


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
        counts = _coarse_counts(_coarse_rows(scope, buckets, None), len(buckets)).get(0, [_EMPTY] * len(buckets))
        internal = _internal_transfers(scope, buckets, None)
        due_today = _due_earlier_today(scope, None, [high for _low, high in buckets])
        offered = _offered(scope)  # the catalogue today: the same for every bucket
        online = _online_procedures_coarse(scope, buckets)
        result = []
        for b, (low, high) in enumerate(buckets):
            c = _at_end(_without_internal(counts[b], internal.get((0, b), 0), scope, None), high, due_today, 0)
            c = replace(c, **provision(offered, online.get(b, set())))
            result.append({"group": low.isoformat(), "period_from": low, "period_to": high, **indicators(c)})
        return result
    if by == "channel":  # the coarse tables keep channels only as online or not
        return _breakdown_fine(scope, start, end, by)
    per_group = _coarse_counts(_coarse_rows(scope, [(start, end)], by), 1)
    internal = _internal_transfers(scope, [(start, end)], by)
    due_today = _due_earlier_today(scope, by, [end])
    keys = set(per_group) | breakdown_groups(scope, start, end, by)
    labels = _labels(by, keys)
    provided = _group_provision(scope, start, end, by)
    result = []
    for key in sorted(keys, key=lambda k: vietnamese_sort_key(str(labels.get(k, k)))):  # "Đ" between D and E
        counts = _without_internal(per_group.get(key, [_EMPTY])[0], internal.get((key, 0), 0), scope, by)
        counts = _at_end(counts, end, due_today, key)
        result.append({**_group_names(by, key, labels), **indicators(replace(counts, **provided(key)))})
    return result


def _group_provision(scope: Scope, start: date, end: date, by: str):
    """key → the provision fields of that group, what `_provision(_narrow(...))` gives; for
    agencies and procedures (many groups) from two statements in all, not two per group."""
    if by == "agency":
        offered_of = _offered_by_agency(scope)
        online_of = _online_procedures_coarse(scope, [(start, end)], by_agency=True)
        return lambda key: provision(offered_of.get(key, {}), online_of.get((key, 0), set()))
    if by == "procedure":
        offered = _offered(scope)
        online = _online_procedures_coarse(scope, [(start, end)]).get(0, set())
        return lambda key: provision({key: offered[key]} if key in offered else {}, online)
    return lambda key: _provision(_narrow(scope, by, key), start, end)


def _breakdown_fine(scope: Scope, start: date, end: date, by: str) -> list[dict[str, Any]]:
    """Grouped from the fine rollup (by channel; the tests' reference for the other groupings)."""
    group_sql = {
        "agency": "agency_id",
        "procedure": "procedure_id",
        "channel": "channel",
        "level": "level",
        "class": "service_class",
        "tier": f"(SELECT tier FROM {Agency._meta.db_table} a WHERE a.id = agency_id)",
    }[by]
    rows = _counter_rows(scope, start, end, group_sql)
    grouped: dict[Any, list[tuple]] = defaultdict(list)
    for row in rows:
        grouped[row[0]].append(row)
    internal = _internal_transfers(scope, [(start, end)], by)
    due_today = _due_earlier_today(scope, by, [end])
    keys = set(grouped) | breakdown_groups(scope, start, end, by)
    labels = _labels(by, keys)
    result = []
    for key in sorted(keys, key=lambda k: vietnamese_sort_key(str(labels.get(k, k)))):  # "Đ" between D and E
        provided = _provision(_narrow(scope, by, key), start, end, fine=True)
        counts = _period_counts(grouped.get(key, []), start, end, provided)
        counts = _at_end(_without_internal(counts, internal.get((key, 0), 0), scope, by), end, due_today, key)
        result.append({**_group_names(by, key, labels), **indicators(counts)})
    return result


def _narrow(scope: Scope, by: str, key: Any) -> Scope:
    if by == "agency":
        return replace(scope, agency_ids=frozenset({key}))
    if by == "procedure":
        return replace(scope, procedure_id=key)
    if by == "tier":
        return replace(scope, tier=key)
    if by == "level":
        return replace(scope, level=key)
    if by == "class":
        return replace(scope, service_class=key)
    return scope  # channel: the catalogue has no channels


def _labels(by: str, keys: Iterable[Any]) -> dict[Any, str]:
    """A group's name in the answer: an agency's or procedure's code, else the key as text."""
    from apps.catalog.models import Procedure

    if by == "agency":
        return dict(Agency.objects.filter(pk__in=list(keys)).values_list("pk", "code"))
    if by == "procedure":
        return dict(Procedure.objects.filter(pk__in=list(keys)).values_list("pk", "code"))
    return {k: str(k) for k in keys}


# Groupings whose groups are codes with an official label (onestop.labels), in the request's language.
GROUP_LABELS = {"tier": tier_label, "channel": channel_label, "level": level_label, "class": service_class_label}


def _group_names(by: str, key: Any, labels: dict[Any, str]) -> dict[str, Any]:
    """`group` (the code), and `group_label` where the grouping's codes have official labels."""
    names = {"group": labels.get(key, key)}
    if by in GROUP_LABELS:
        names["group_label"] = GROUP_LABELS[by](key)
    return names


# --- the coarse path -----------------------------------------------------------------------------
# Every read but a breakdown by channel: the answer comes from the agency × day/month tables (or,
# with a procedure filter or by procedure, the agency × procedure × month tables and the rollup's
# edge days), the month-start balance snapshots (services.py keeps them in step with the rollup)
# and the uncompacted StatDelta tail, in one statement (one snapshot), so the work grows with the
# scope and the period, not with the history's dossiers. A level filter is one more column.

PERIOD, PENDING_AT_START, OVERDUE_AT_END = 0, 1, 2
_METRICS = {int(m): m for m in Metric}


def latest_compacted_day() -> date | None:
    latest = StatRollup.objects.aggregate(latest=Max("day"))["latest"]
    return date.fromisoformat(latest) if isinstance(latest, str) else latest


def compacted_horizon() -> date | None:
    """The month after the latest compacted day: balance snapshots exist for every month start up
    to here."""
    latest = latest_compacted_day()
    return month_after(latest) if latest else None


def _snapshot_month(t: date, latest: date | None) -> date:
    """The month start whose balance snapshot a balance at `t` starts from (then the compacted
    days from there to t, and the tail). When every compacted day is before t, the horizon's
    snapshot holds them all and no day rows are needed: it keeps due days from the month before
    it (services._fold), which starts on or before `latest` < t, so "due before t" still tells."""
    if latest is None:
        return t.replace(day=1)
    return month_after(latest) if latest < t else t.replace(day=1)


def _spans(buckets: list[tuple[date, date]], latest: date | None) -> list[tuple[int, int, date, date]]:
    """(bucket, source 1 = month rows / 2 = day rows / 3 = delta tail, low, high) covering each
    bucket: whole months from the month rows, the edges from the day rows, except an edge from a
    month start past the latest compacted day (a period "up to today"): the month's row holds
    exactly those days, so it is read instead of the days."""
    spans: list[tuple[int, int, date, date]] = []
    for b, (low, high) in enumerate(buckets):
        first = low if low.day == 1 else month_after(low)  # the first month start >= low
        last = high.replace(day=1)  # the last month start <= high
        if first > last:  # inside one month, not from its start
            spans.append((b, 2, low, high))
        else:
            if first < last:
                spans.append((b, 1, first, last))
            if low < first:
                spans.append((b, 2, low, first))
            if last < high:
                whole_month = latest is None or latest < high
                spans.append((b, 1, last, month_after(last)) if whole_month else (b, 2, last, high))
        spans.append((b, 3, low, high))
    return spans


_CONSISTENT_TRIES = 5


def _fetch_at_latest(build) -> list[tuple]:
    """Run the statement `build(latest)` writes for the latest compacted day, checking in the same
    statement (one snapshot) that it still is that day: a compaction of a new day's counters in
    between would make its choices (_snapshot_month, _spans) count them twice. Then it is written
    again for the new day: at most once a day in practice (the latest day only moves at midnight)."""
    no_day = date(1900, 1, 1)
    for _ in range(_CONSISTENT_TRIES):
        latest = latest_compacted_day()
        sql, params = build(latest)
        rows = _fetch_all(
            f"SELECT c.ok, m.* FROM (SELECT COALESCE(MAX(day), %s) = %s AS ok FROM {StatRollup._meta.db_table}) c "
            f"LEFT JOIN ({sql}) m ON true", [no_day, latest or no_day, *params])
        if rows[0][0]:
            # The LEFT JOIN gives either the statement's rows or, when it found none, one row of nulls.
            if len(rows) == 1 and all(value is None for value in rows[0][1:]):
                return []
            return [row[1:] for row in rows]
    raise RuntimeError("the latest compacted day kept moving during a statistics read")


def _scope_sql(scope: Scope, params: list[Any], totals: bool | None) -> str:
    """Extra `AND` clauses on agency_id, procedure_id, level and class. The coarse tables also hold rows
    for all agencies together (agency_id = ALL_AGENCIES): the whole system not grouped by agency
    or tier reads those (`totals` True), any other read must skip them (False). StatDelta and the
    rollup (`totals` None) have no such rows."""
    clauses = []
    if totals is not None and scope.agency_ids is None and scope.tier is None:
        clauses.append(f"x.agency_id {'=' if totals else '<>'} {ALL_AGENCIES}")
    if scope.agency_ids is not None:
        ids = sorted(scope.agency_ids) or [-1]
        clauses.append(f"x.agency_id IN ({', '.join(['%s'] * len(ids))})")
        params.extend(ids)
    if scope.tier is not None:
        clauses.append(f"x.agency_id IN (SELECT id FROM {Agency._meta.db_table} WHERE tier = %s)")
        params.append(scope.tier)
    clauses += _catalogue_clauses(scope, params, "x.")
    return "".join(f" AND {c}" for c in clauses)


@dataclass(frozen=True)
class _Sources:
    """The relations the coarse path reads (each aliased x): `month` (agency_id, [procedure_id,]
    month, metric, online, level, service_class, n) and `day` (the same per day) for period sums, `due`
    (agency_id, [procedure_id,] day, level, service_class, due_day, n) for OPEN_DUE by day, `balance` the
    month-start snapshots; `day_totals` says whether `day` and `due` hold ALL_AGENCIES rows."""

    month: str
    day: str
    due: str
    balance: str
    day_totals: bool


def _sources(scope: Scope, by: str | None) -> _Sources:
    if scope.procedure_id is None and by != "procedure":
        return _Sources(StatAgencyMonth._meta.db_table, StatAgencyDay._meta.db_table,
                        StatAgencyDayDue._meta.db_table, StatBalance._meta.db_table, True)
    # Per procedure: whole months and snapshots from the per-procedure tables, the days at a
    # period's edges from the rollup (its (procedure, day) index; see models.StatProcedureMonth).
    rollup, open_due = StatRollup._meta.db_table, int(Metric.OPEN_DUE)
    online = ", ".join(f"'{c}'" for c in sorted(ONLINE_CHANNELS))
    return _Sources(
        StatProcedureMonth._meta.db_table,
        f"(SELECT agency_id, procedure_id, day, metric, channel IN ({online}) AS online, level, service_class, n "
        f"FROM {rollup} WHERE metric <> {open_due})",
        f"(SELECT agency_id, procedure_id, day, level, service_class, due_day, n FROM {rollup} "
        f"WHERE metric = {open_due})",
        StatProcedureBalance._meta.db_table, False)


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
    if by in ("agency", "procedure"):
        return f"x.{by}_id", ""
    if by == "level":
        return "x.level", ""
    if by == "class":
        return "x.service_class", ""
    if by == "tier":
        return "ag.tier", f" JOIN {Agency._meta.db_table} ag ON ag.id = x.agency_id"
    return "0", ""


def _coarse_rows(scope: Scope, buckets: list[tuple[date, date]], by: str | None) -> list[tuple]:
    """(group, part, bucket, metric, online, level, service_class, n), summed in SQL."""
    return _fetch_at_latest(lambda latest: _coarse_sql(scope, buckets, by, latest))


def _coarse_sql(scope: Scope, buckets: list[tuple[date, date]], by: str | None,
                latest: date | None) -> tuple[str, list[Any]]:
    g, join = _group(by)
    src = _sources(scope, by)
    online = ", ".join(f"'{c}'" for c in sorted(ONLINE_CHANNELS))
    ins = ", ".join(str(int(m)) for m in BALANCE_IN)
    outs = ", ".join(str(int(m)) for m in BALANCE_OUT)
    balance_metrics = f"{ins}, {outs}"
    signed = f"CASE WHEN x.metric IN ({ins}) THEN x.n WHEN x.metric IN ({outs}) THEN -x.n ELSE 0 END"
    open_due = int(Metric.OPEN_DUE)
    received = int(Metric.RECEIVED)

    def split(online_expr: str) -> str:
        # Only received dossiers are told apart by channel, level and class (_coarse_counts); the
        # other metrics come back one row each, not one per combination (a third of the rows).
        return (f"CASE WHEN x.metric = {received} THEN {online_expr} ELSE false END, "
                f"CASE WHEN x.metric = {received} THEN x.level ELSE 0 END, "
                f"CASE WHEN x.metric = {received} THEN x.service_class ELSE '' END")

    spans = _spans(buckets, latest)
    # Overdue at each bucket's end: (bucket, t, due cutoff u = overdue_cutoff(t), snapshot month s).
    ends = [(b, high, overdue_cutoff(high), _snapshot_month(high, latest)) for b, (_low, high) in enumerate(buckets)]
    start = buckets[0][0]
    s0 = _snapshot_month(start, latest)

    params: list[Any] = []
    span_values, span_params = _values(spans, "iidd")
    end_values, end_params = _values(ends, "iddd")
    params += span_params + end_params
    delta = StatDelta._meta.db_table
    branches = []
    totals = by not in ("agency", "tier")

    def scoped() -> str:
        return _scope_sql(scope, params, totals)

    def scoped_day() -> str:
        return _scope_sql(scope, params, totals if src.day_totals else None)

    def scoped_delta() -> str:
        return _scope_sql(scope, params, None)

    # Period sums.
    branches.append(
        f"SELECT {g} AS g, {PERIOD} AS part, r.b, x.metric, {split('x.online')}, SUM(x.n) AS n "
        f"FROM {src.month} x{join} JOIN r ON r.t = 1 AND x.month >= r.lo AND x.month < r.hi "
        f"WHERE true{scoped()} GROUP BY 1, 2, 3, 4, 5, 6, 7")
    if any(t == 2 for _b, t, _lo, _hi in spans):  # whole months need no day rows (nor a plan for them)
        branches.append(
            f"SELECT {g}, {PERIOD}, r.b, x.metric, {split('x.online')}, SUM(x.n) "
            f"FROM {src.day} x{join} JOIN r ON r.t = 2 AND x.day >= r.lo AND x.day < r.hi "
            f"WHERE true{scoped_day()} GROUP BY 1, 2, 3, 4, 5, 6, 7")
    branches.append(
        f"SELECT {g}, {PERIOD}, r.b, x.metric, {split(f'x.channel IN ({online})')}, SUM(x.n) "
        f"FROM {delta} x{join} JOIN r ON r.t = 3 AND x.day >= r.lo AND x.day < r.hi "
        f"WHERE x.metric <> {open_due}{scoped_delta()} GROUP BY 1, 2, 3, 4, 5, 6, 7")
    # Pending at the start (the ends follow: carried over + the period's balance changes).
    pending = f"{PENDING_AT_START}, 0, 0, false, 0, ''"
    branches.append(f"SELECT {g}, {pending}, SUM(x.n) FROM {src.balance} x{join} "
                    f"WHERE x.month_start = %s AND x.kind = {BALANCE_PENDING}{_scoped_after([s0], params, scoped)} "
                    f"GROUP BY 1")
    if s0 < start:
        branches.append(f"SELECT {g}, {pending}, SUM({signed}) FROM {src.day} x{join} "
                        f"WHERE x.day >= %s AND x.day < %s AND x.metric IN ({balance_metrics})"
                        f"{_scoped_after([s0, start], params, scoped_day)} GROUP BY 1")
    branches.append(f"SELECT {g}, {pending}, SUM({signed}) FROM {delta} x{join} "
                    f"WHERE x.day < %s AND x.metric IN ({balance_metrics})"
                    f"{_scoped_after([start], params, scoped_delta)} GROUP BY 1")
    # Overdue at each end: snapshot by due day, the month's OPEN_DUE days before the end, the tail.
    overdue = f"{OVERDUE_AT_END}, e.b, {open_due}, false, 0, ''"
    months = sorted({s for _b, _t, _u, s in ends})
    branches.append(
        f"SELECT x.g, {overdue}, SUM(x.n) FROM (SELECT {g} AS g, x.month_start, x.due_day, SUM(x.n) AS n "
        f"FROM {src.balance} x{join} WHERE x.kind = {BALANCE_OPEN_DUE} "
        f"AND x.month_start IN ({', '.join(['%s'] * len(months))}){_scoped_after(months, params, scoped)} "
        f"GROUP BY 1, 2, 3) x JOIN e ON x.month_start = e.s AND x.due_day < e.u GROUP BY 1, 2, 3, 4, 5, 6")
    day_ranges = _merge([(s, t) for _b, t, _u, s in ends])
    if day_ranges:
        where = _ranges_sql("day", day_ranges, params)
        branches.append(
            f"SELECT x.g, {overdue}, SUM(x.n) FROM (SELECT {g} AS g, x.day, x.due_day, SUM(x.n) AS n "
            f"FROM {src.due} x{join} WHERE {where}{scoped_day()} GROUP BY 1, 2, 3) x "
            f"JOIN e ON x.day >= e.s AND x.day < e.t AND x.due_day < e.u GROUP BY 1, 2, 3, 4, 5, 6")
    branches.append(
        f"SELECT {g}, {overdue}, SUM(x.n) FROM {delta} x{join} "
        f"JOIN e ON x.day < e.t AND x.due_day < e.u WHERE x.metric = {open_due}{scoped_delta()} "
        f"GROUP BY 1, 2, 3, 4, 5, 6")
    sql = (f"WITH r(b, t, lo, hi) AS (VALUES {span_values}), e(b, t, u, s) AS (VALUES {end_values}) "
           + " UNION ALL ".join(branches))
    return sql, params


def _fetch_all(sql: str, params: list[Any]) -> list[tuple]:
    """Run a coarse read with PostgreSQL's JIT off: the planner's cost of the rollup branches
    (estimated on an 18 M-row table) passes the JIT thresholds, and compiling took ~1.2 s for a
    statement that runs in tens of ms (measured at 12 M dossiers)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL jit = off")
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
    by_class: dict[Any, list[dict[str, list[int]]]] = {}  # class → received, online received
    start: dict[Any, int] = defaultdict(int)
    overdue: dict[Any, list[int]] = {}
    for g, part, b, metric_value, online, level, service_class, n in rows:
        if g not in period:
            period[g] = [defaultdict(int) for _ in range(n_buckets)]
            received[g] = [[0, 0, 0] for _ in range(n_buckets)]
            by_class[g] = [{} for _ in range(n_buckets)]
            overdue[g] = [0] * n_buckets
        n = int(n or 0)
        if part == PENDING_AT_START:
            start[g] += n
        elif part == OVERDUE_AT_END:
            overdue[g][b] += n
        else:
            metric = _METRICS[metric_value]  # not Metric(...): thousands of rows per breakdown
            period[g][b][metric] += n
            if metric == Metric.RECEIVED:
                split = received[g][b]
                split[0] += n if online else 0
                offered_online = level >= 3  # the dossier's offering level: "offered online"
                split[1] += n if offered_online else 0
                split[2] += n if online and offered_online else 0
                of_class = by_class[g][b].setdefault(service_class, [0, 0])
                of_class[0] += n
                of_class[1] += n if online else 0
    out: dict[Any, list[PeriodCounts]] = {}
    for g in period:
        carried, counts = start[g], []
        for b in range(n_buckets):
            sums = {m: v for m, v in period[g][b].items() if v}
            pending = carried + balance_delta(sums)
            classes = by_class[g][b]
            counts.append(PeriodCounts(
                period=sums, online_received=received[g][b][0], received_online_offered=received[g][b][1],
                online_received_online_offered=received[g][b][2], carried_over=carried, pending_end=pending,
                overdue_end=overdue[g][b], offered={}, offered_with_online={},
                received_by_class={k: v[0] for k, v in classes.items()},
                online_received_by_class={k: v[1] for k, v in classes.items()},
                offered_by_class={}, offered_with_online_by_class={}))
            carried = pending
        out[g] = counts
    return out


def _online_procedures_coarse(scope: Scope, buckets: list[tuple[date, date]],
                              by_agency: bool = False) -> dict[Any, set[int]]:
    """Bucket (or (agency id, bucket) `by_agency`) → procedures with >= 1 online dossier received
    in it (within the scope's procedure, level and class filters)."""
    out: dict[Any, set[int]] = defaultdict(set)
    for a, b, procedure_id in _fetch_at_latest(lambda latest: _online_procedures_sql(scope, buckets, by_agency,
                                                                                      latest)):
        out[(a, b) if by_agency else b].add(procedure_id)
    return out


def _online_procedures_sql(scope: Scope, buckets: list[tuple[date, date]], by_agency: bool,
                           latest: date | None) -> tuple[str, list[Any]]:
    values, params = _values(_spans(buckets, latest), "iidd")
    online = ", ".join(f"'{c}'" for c in sorted(ONLINE_CHANNELS))
    month, day = StatOnlineProcedureMonth._meta.db_table, StatOnlineProcedureDay._meta.db_table
    agency = "x.agency_id" if by_agency else "0"
    totals = not by_agency
    sql = f"""
        WITH r(b, t, lo, hi) AS (VALUES {values})
        SELECT a, b, procedure_id FROM (
            SELECT {agency} AS a, r.b, x.procedure_id, x.n FROM {month} x
            JOIN r ON r.t = 1 AND x.month >= r.lo AND x.month < r.hi
            WHERE true{_scope_sql(scope, params, totals)}
            UNION ALL
            SELECT {agency}, r.b, x.procedure_id, x.n FROM {day} x
            JOIN r ON r.t = 2 AND x.day >= r.lo AND x.day < r.hi
            WHERE true{_scope_sql(scope, params, totals)}
            UNION ALL
            SELECT {agency}, r.b, x.procedure_id, x.n FROM {StatDelta._meta.db_table} x
            JOIN r ON r.t = 3 AND x.day >= r.lo AND x.day < r.hi
            WHERE x.metric = {int(Metric.RECEIVED)} AND x.channel IN ({online}){_scope_sql(scope, params, None)}
        ) received GROUP BY a, b, procedure_id HAVING SUM(n) > 0
    """
    return sql, params


# --- the query: parameters, validation and authorisation ----------------------------------------

MAX_PERIOD_DAYS = 366 * 10


class StatsQuerySerializer(serializers.Serializer):
    """The statistics query as the client sends it; errors name these parameters (`from`, `to`)."""

    scope = CharField(required=False, help_text="Agency code; default: your whole scope")
    subtree = serializers.BooleanField(required=False, default=True, help_text="Include sub-agencies")
    include_predecessors = serializers.BooleanField(
        required=False, default=False,
        help_text="Also the agencies merged into the scope's agencies (DESIGN.md section 10), with their history")
    # `from` is a keyword: declared through the class namespace.
    vars()["from"] = serializers.DateField(help_text="First local day of the period (inclusive)")
    vars()["to"] = serializers.DateField(help_text="Local day after the period (exclusive): [from, to)")
    procedure = CharField(required=False)
    level = serializers.ChoiceField(choices=[1, 2, 3, 4], required=False)
    tier = serializers.ChoiceField(choices=Tier.choices, required=False)
    # `class` is a keyword too: the Decree 42/2022 class the dossiers were offered at.
    vars()["class"] = serializers.ChoiceField(choices=ServiceClass.choices, required=False,
                                              help_text="Decree 42/2022 service class: full, partial or none")

    def validate(self, attrs):
        start, end = attrs["from"], attrs["to"]
        if end <= start:
            raise serializers.ValidationError({"to": ["Must be after from."]}, code="invalid")
        if (end - start).days > MAX_PERIOD_DAYS or start < date(2000, 1, 1) or end > date(2101, 1, 1):
            raise serializers.ValidationError({"to": ["Period too long or outside 2000-2100."]}, code="invalid")
        return attrs


class BreakdownQuerySerializer(StatsQuerySerializer):
    by = serializers.ChoiceField(choices=GROUPINGS)


def with_predecessors(agency_ids: set[int], *, subtree: bool) -> set[int]:
    """`agency_ids` and every agency merged into one of them, directly or through a chain of
    successors (DESIGN.md section 10), with the predecessors' subtrees when `subtree`."""
    out, frontier = set(agency_ids), set(agency_ids)
    while frontier:
        found = set(Agency.objects.filter(successor_id__in=sorted(frontier)).exclude(pk__in=sorted(out))
                    .values_list("pk", flat=True))
        if subtree and found:
            found |= set(agency_ids_in_subtrees(Agency.objects.filter(pk__in=sorted(found))))
        frontier = found - out
        out |= frontier
    return out


def stats_query(user, params: Mapping[str, Any], *,
                serializer_class: type[StatsQuerySerializer] = StatsQuerySerializer) -> tuple[Scope, date, date, dict]:
    """Parse and authorise a statistics query (the API's and the dashboard's): the scope never
    leaves the user's agencies. A user whose scope covers an agency may read its predecessors'
    history with `include_predecessors` (they are that agency's past)."""
    if not user_is_staff_reader(user):
        raise DomainError("Statistics are for staff.", code=ErrorCode.PERMISSION_DENIED)
    serializer = serializer_class(data=dict(params.items()))
    serializer.is_valid(raise_exception=True)
    data = serializer.validated_data
    allowed = None if user_is_province_wide(user) else set(staff_agency_ids(user))
    if data.get("scope"):
        root = Agency.objects.filter(code=data["scope"]).first()
        if root is None or (allowed is not None and root.pk not in allowed):
            raise NotFound("No agency with this code in your scope.")
        ids = set(agency_subtree(root).values_list("pk", flat=True)) if data["subtree"] else {root.pk}
        ids = ids if allowed is None else ids & allowed
        if data["include_predecessors"]:
            ids = with_predecessors(ids, subtree=data["subtree"])
        agency_ids: frozenset[int] | None = frozenset(ids)
    elif allowed is None:
        agency_ids = None
    else:
        agency_ids = frozenset(with_predecessors(allowed, subtree=True) if data["include_predecessors"] else allowed)
    procedure_id = None
    if data.get("procedure"):
        from apps.catalog.models import Procedure

        procedure_id = Procedure.objects.filter(code=data["procedure"]).values_list("pk", flat=True).first()
        if procedure_id is None:
            raise ValidationError({"procedure": ["Unknown procedure code."]})
    scope = Scope(agency_ids, procedure_id, data.get("level"), data.get("tier"), data.get("class"))
    return scope, data["from"], data["to"], data
