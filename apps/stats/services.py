"""Writes to the statistics counters: deltas in the event's transaction, compaction, rebuild."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from onestop.indicators import (
    BALANCE_IN,
    BALANCE_OUT,
    NO_DUE_DAY,
    ONLINE_CHANNELS,
    RATING_METRIC,
    Delta,
    EventFacts,
    Metric,
    deltas_for_event,
    month_after,
)
from onestop.lifecycle import Action, Status

from .models import (
    ALL_AGENCIES,
    BALANCE_OPEN_DUE,
    BALANCE_PENDING,
    DIMENSIONS,
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
from .selectors import compacted_horizon


def _day(instant: datetime | None) -> date | None:
    return timezone.localtime(instant).date() if instant else None


def event_facts(*, event, dossier, from_agency_id: int | None, due_before: datetime | None) -> EventFacts:
    return EventFacts(
        action=Action(event.action),
        from_status=Status(event.from_status) if event.from_status else None,
        to_status=Status(event.to_status),
        day=_day(event.at),
        agency=dossier.agency_id,
        received_day=_day(dossier.received_at),
        due_day=_day(dossier.due_at),
        due_day_before=_day(due_before),
        from_agency=from_agency_id,
        timeliness=dossier.timeliness,
        payment_method=dossier.payment_method,
    )


def _rows(deltas: list[Delta], dossier) -> list[StatDelta]:
    return [
        StatDelta(
            agency_id=d.agency, procedure_id=dossier.procedure_id, day=d.day, channel=dossier.channel,
            level=dossier.online_level, service_class=dossier.service_class, metric=int(d.metric),
            due_day=d.due_day, n=d.n,
        )
        for d in deltas
    ]


def record_event(*, event, dossier, from_agency_id: int | None = None, due_before: datetime | None = None,
                 writes=None) -> None:
    """This event's counter rows (deltas; a transfer's StatTransfer): added to the event's writes
    (`writes`, an apps.dossiers.sinks.EventWrites: inserted with the event) or, without one,
    appended now (must run in the event's transaction)."""
    deltas = deltas_for_event(event_facts(event=event, dossier=dossier, from_agency_id=from_agency_id,
                                          due_before=due_before))
    rows: list = _rows(deltas, dossier)
    if event.action == Action.TRANSFER and from_agency_id is not None:
        rows.append(StatTransfer(
            from_agency_id=from_agency_id, to_agency_id=dossier.agency_id, procedure_id=dossier.procedure_id,
            day=_day(event.at), channel=dossier.channel, level=dossier.online_level,
            service_class=dossier.service_class, n=1,
        ))
    if writes is not None:
        writes.add(*rows)
    else:
        for model in (StatDelta, StatTransfer):
            model.objects.bulk_create([row for row in rows if isinstance(row, model)])


def stats_sink(record, writes) -> None:
    """The dossier event sink (wired in StatsConfig.ready): the event's counters."""
    record_event(event=record.event, dossier=record.dossier, from_agency_id=record.agency_before,
                 due_before=record.due_before, writes=writes)


def record_rating(rating) -> None:
    dossier = rating.dossier
    StatDelta.objects.create(
        agency_id=rating.agency_id, procedure_id=rating.procedure_id, day=_day(rating.created_at),
        channel=dossier.channel, level=dossier.online_level, service_class=dossier.service_class,
        metric=int(RATING_METRIC[rating.level]), n=1,
    )


def stats_compact(*, batch: int = 200_000) -> int:
    """Move up to `batch` deltas into the rollup and every coarse table atomically; returns how
    many were moved. Compactions run one at a time (an advisory lock): extending the balance
    snapshots to a new month copies the previous snapshot, which two at once would add twice."""
    delta, rollup = StatDelta._meta.db_table, StatRollup._meta.db_table
    columns = ", ".join(f"{name}_id" if name in ("agency", "procedure") else name for name in DIMENSIONS)
    with transaction.atomic(), connection.cursor() as cursor:
        if _pg():
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_COARSE_LOCK])
            # The planner's estimates for this statement (generate_series per row) pass the JIT
            # thresholds: compiling it took ~2 s, running it a few ms (measured at 1 M dossiers).
            cursor.execute("SET LOCAL jit = off")
            coarse = ",\n".join(f"up_{k} AS ({_upsert(d)} RETURNING 1)"
                                 for k, d in enumerate(_derivations("summed")))
            # All parts of one statement see the same snapshot: old_h is the horizon before this
            # batch. Snapshots of months past it start as copies of the old horizon's (due days
            # folded to the new month), then every moved counter is added to each snapshot after
            # its month, up to the new horizon.
            balances = ",\n".join(f"up_balance_{k} AS ({_balance_upsert(b)})" for k, b in enumerate(_balances()))
            cursor.execute(
                f"""
                WITH moved AS (
                    DELETE FROM {delta} WHERE id IN (
                        SELECT id FROM {delta} ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED
                    ) RETURNING {columns}, n
                ), summed AS (
                    SELECT {columns}, SUM(n) AS n, COUNT(*) AS rows FROM moved GROUP BY {columns}
                ), upserted AS (
                    INSERT INTO {rollup} ({columns}, n) SELECT {columns}, n FROM summed
                    ON CONFLICT ({columns}) DO UPDATE SET n = {rollup}.n + EXCLUDED.n
                    RETURNING 1
                ),
                {coarse},
                h AS (
                    SELECT old_h, GREATEST(old_h, batch_h) AS new_h FROM (SELECT
                        (SELECT (date_trunc('month', MAX(day)) + interval '1 month')::date FROM {rollup}) AS old_h,
                        (SELECT (date_trunc('month', MAX(day)) + interval '1 month')::date FROM summed) AS batch_h
                    ) bounds
                ),
                {balances}
                SELECT COALESCE((SELECT SUM(rows) FROM summed), 0), (SELECT MIN(day) FROM summed),
                       (SELECT COUNT(*) FROM upserted)
                """,
                [batch],
            )
            moved, first_day, _ = cursor.fetchone()
            if first_day is not None:  # a statement cannot see its own updates: zeros go now
                for b in _balances():
                    cursor.execute(f"DELETE FROM {b.table} WHERE month_start > %s AND n = 0", [first_day])
            return int(moved)
        # SQLite (embedded mode): one writer, several statements in one transaction are enough
        cursor.execute(f"SELECT MAX(id) FROM (SELECT id FROM {delta} ORDER BY id LIMIT %s)", [batch])
        (last,) = cursor.fetchone()
        if last is None:
            return 0
        old_h = compacted_horizon()
        cursor.execute(f"SELECT MIN(day), MAX(day) FROM {delta} WHERE id <= %s", [last])
        first_day, last_day = (_as_date(v) for v in cursor.fetchone())
        new_h = max(old_h or month_after(last_day), month_after(last_day))
        src = f"(SELECT {columns}, SUM(n) AS n FROM {delta} WHERE id <= {int(last)} GROUP BY {columns})"
        cursor.execute(
            f"INSERT INTO {rollup} ({columns}, n) SELECT {columns}, n FROM {src} s WHERE true "
            f"ON CONFLICT ({columns}) DO UPDATE SET n = {rollup}.n + EXCLUDED.n"
        )
        for d in _derivations(src):
            cursor.execute(_upsert(d))
        for b in _balances():
            if old_h is not None:
                for month in _month_starts(month_after(old_h), new_h):
                    cursor.execute(
                        f"INSERT INTO {b.table} ({b.columns}) SELECT * FROM (SELECT {b.by}, %s, kind, {OFFERED}, "
                        f"{_fold('due_day', '%s')}, SUM(n) FROM {b.table} WHERE month_start = %s "
                        f"GROUP BY {_positions(b.group_width)}) c WHERE true "
                        f"ON CONFLICT ({b.key}) DO UPDATE SET n = {b.table}.n + EXCLUDED.n", [month, month, old_h])
            select, months = _balance_select(src, _month_starts(month_after(first_day), new_h), b)
            cursor.execute(f"INSERT INTO {b.table} ({b.columns}) SELECT * FROM ({select}) c WHERE true "
                           f"ON CONFLICT ({b.key}) DO UPDATE SET n = {b.table}.n + EXCLUDED.n", months)
            cursor.execute(f"DELETE FROM {b.table} WHERE month_start > %s AND n = 0", [first_day])
        cursor.execute(f"DELETE FROM {delta} WHERE id <= %s", [last])
        return cursor.rowcount


def stats_compact_all() -> int:
    total = 0
    while moved := stats_compact():
        total += moved
    return total


# --- coarse tables (agency/procedure × day / month, month-start balances) ------------------------
# Each is a pure function of the compacted counters (StatRollup): `_derivations` and `_balances`
# say how, once, for both the compaction (source = the moved deltas) and the rebuild (source =
# the whole rollup).

_COARSE_LOCK = 7_301_017  # pg_advisory_xact_lock key: one compaction (or rebuild) at a time
# What the dossier was offered at, kept by every coarse table: its online level and its Decree
# 42/2022 class (the level and class filters and groupings).
OFFERED = "level, service_class"


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _month(expr: str) -> str:
    return f"date_trunc('month', {expr})::date" if _pg() else f"date({expr}, 'start of month')"


def _date_param() -> str:
    return "%s::date" if _pg() else "%s"


def _online_sql() -> str:
    return "channel IN ({})".format(", ".join(f"'{c}'" for c in sorted(ONLINE_CHANNELS)))


def _signed_sql() -> str:
    """A counter's change of the pending balance (onestop.indicators.BALANCE_IN/OUT)."""
    ins = ", ".join(str(int(m)) for m in BALANCE_IN)
    outs = ", ".join(str(int(m)) for m in BALANCE_OUT)
    return f"CASE WHEN metric IN ({ins}) THEN n WHEN metric IN ({outs}) THEN -n ELSE 0 END"


def _positions(count: int) -> str:
    return ", ".join(str(i) for i in range(1, count + 1))


@dataclass(frozen=True)
class _Derivation:
    table: str
    columns: str  # inserted columns, the key first, n last
    key: str  # the unique key (ON CONFLICT target)
    select: str  # SELECT producing `columns` from a counter source


def _and_all_agencies(select: str) -> str:
    """`select` (per agency) and the same summed over all agencies (agency_id = ALL_AGENCIES)."""
    head = "SELECT agency_id, "
    assert select.startswith(head)
    total = f"SELECT {ALL_AGENCIES} AS agency_id, {select.removeprefix(head)}"
    return f"SELECT * FROM ({select} UNION ALL {total}) u WHERE true"


def _derivations(src: str) -> list[_Derivation]:
    """How every coarse table but the balances follows from counter rows `src` (any relation with
    the StatRollup columns)."""
    return [replace(d, select=_and_all_agencies(d.select)) for d in _per_agency(src)]


def _per_agency(src: str) -> list[_Derivation]:
    open_due, received = int(Metric.OPEN_DUE), int(Metric.RECEIVED)
    online = _online_sql()
    # Only RECEIVED is split by channel (the online shares); every metric is split by level and
    # class (the level and class filters; level >= 3 is "offered online"; the shares by class).
    split = f"metric = {received} AND {online} AS online, {OFFERED}"

    def derivation(model, key: str, select: str) -> _Derivation:
        return _Derivation(model._meta.db_table, f"{key}, n", key, select)

    return [
        derivation(StatAgencyDay, f"agency_id, day, metric, online, {OFFERED}",
                   f"SELECT agency_id, day, metric, {split}, SUM(n) AS n "
                   f"FROM {src} WHERE metric <> {open_due} GROUP BY 1, 2, 3, 4, 5, 6"),
        derivation(StatAgencyMonth, f"agency_id, month, metric, online, {OFFERED}",
                   f"SELECT agency_id, {_month('day')} AS month, metric, {split}, SUM(n) AS n "
                   f"FROM {src} WHERE metric <> {open_due} GROUP BY 1, 2, 3, 4, 5, 6"),
        derivation(StatAgencyDayDue, f"agency_id, day, {OFFERED}, due_day",
                   f"SELECT agency_id, day, {OFFERED}, due_day, SUM(n) AS n "
                   f"FROM {src} WHERE metric = {open_due} GROUP BY 1, 2, 3, 4, 5"),
        derivation(StatOnlineProcedureDay, f"agency_id, procedure_id, day, {OFFERED}",
                   f"SELECT agency_id, procedure_id, day, {OFFERED}, SUM(n) AS n FROM {src} "
                   f"WHERE metric = {received} AND {online} GROUP BY 1, 2, 3, 4, 5"),
        derivation(StatOnlineProcedureMonth, f"agency_id, procedure_id, month, {OFFERED}",
                   f"SELECT agency_id, procedure_id, {_month('day')} AS month, {OFFERED}, SUM(n) AS n FROM {src} "
                   f"WHERE metric = {received} AND {online} GROUP BY 1, 2, 3, 4, 5"),
        derivation(StatProcedureMonth, f"agency_id, procedure_id, month, metric, online, {OFFERED}",
                   f"SELECT agency_id, procedure_id, {_month('day')} AS month, metric, {split}, SUM(n) AS n "
                   f"FROM {src} WHERE metric <> {open_due} GROUP BY 1, 2, 3, 4, 5, 6, 7"),
    ]


def _upsert(d: _Derivation) -> str:
    return (f"INSERT INTO {d.table} ({d.columns}) {d.select} "
            f"ON CONFLICT ({d.key}) DO UPDATE SET n = {d.table}.n + EXCLUDED.n")


# --- month-start balances ----


@dataclass(frozen=True)
class _Balances:
    """A month-start balance table (models.BalanceFields) keyed first by `by`."""

    table: str
    by: str  # "agency_id" or "agency_id, procedure_id"

    @property
    def width(self) -> int:
        return len(self.by.split(", "))

    @property
    def group_width(self) -> int:
        """How many columns before n: `by`, month, kind, level, class, due day."""
        return self.width + 5

    @property
    def key(self) -> str:
        return f"{self.by}, month_start, kind, {OFFERED}, due_day"

    @property
    def columns(self) -> str:
        return f"{self.key}, n"

    def prefixed(self, alias: str) -> str:
        return ", ".join(f"{alias}.{c}" for c in self.by.split(", "))


def _balances() -> list[_Balances]:
    return [_Balances(StatBalance._meta.db_table, "agency_id"),
            _Balances(StatProcedureBalance._meta.db_table, "agency_id, procedure_id")]


def _fold(due_day: str, month_start: str) -> str:
    """A due day as a snapshot at `month_start` keeps it: days before the month before fold into
    NO_DUE_DAY. Every time T the snapshot serves is at least that late (a month start's own month,
    or after the latest compacted day for the horizon's: selectors._snapshot_month), so these are
    overdue at T alike; the rows of every long-overdue due day go."""
    before = (f"({month_start} - interval '1 month')::date" if _pg() else f"date({month_start}, '-1 month')")
    return f"CASE WHEN {due_day} < {before} THEN '{NO_DUE_DAY.isoformat()}' ELSE {due_day} END"


def _contributions(src: str, b: _Balances) -> str:
    """(b.by..., dm = month of the day, kind, level, class, due_day, n): what counters `src` add to the
    balance snapshots of every month start after `dm` (due days not folded yet)."""
    open_due = int(Metric.OPEN_DUE)
    metrics = ", ".join(str(int(m)) for m in (*BALANCE_IN, *BALANCE_OUT, Metric.OPEN_DUE))
    return _and_all_agencies(
        f"SELECT {b.by}, {_month('day')} AS dm, "
        f"CASE WHEN metric = {open_due} THEN {BALANCE_OPEN_DUE} ELSE {BALANCE_PENDING} END AS kind, {OFFERED}, "
        f"CASE WHEN metric = {open_due} THEN due_day ELSE '{NO_DUE_DAY.isoformat()}' END AS due_day, "
        f"SUM(CASE WHEN metric = {open_due} THEN n ELSE {_signed_sql()} END) AS n "
        f"FROM {src} WHERE metric IN ({metrics}) GROUP BY {_positions(b.group_width)}"
    )


def _balance_upsert(b: _Balances) -> str:
    """The compaction's part for one balance table (PostgreSQL; CTEs `summed` and `h` in scope)."""
    return f"""
        INSERT INTO {b.table} ({b.columns})
        SELECT {b.by}, m, kind, {OFFERED}, due_day, SUM(n) FROM (
            SELECT {b.prefixed('b')}, s.m::date AS m, b.kind, b.level, b.service_class,
                   {_fold('b.due_day', 's.m::date')} AS due_day, b.n
            FROM {b.table} b CROSS JOIN h
            CROSS JOIN LATERAL generate_series(h.old_h + interval '1 month', h.new_h, interval '1 month') s(m)
            WHERE b.month_start = h.old_h
            UNION ALL
            SELECT {b.prefixed('c')}, s.m::date, c.kind, c.level, c.service_class, {_fold('c.due_day', 's.m::date')},
                   c.n
            FROM ({_contributions("summed", b)}) c CROSS JOIN h
            CROSS JOIN LATERAL generate_series(c.dm + interval '1 month', h.new_h, interval '1 month') s(m)
        ) x GROUP BY {_positions(b.group_width)}
        ON CONFLICT ({b.key}) DO UPDATE SET n = {b.table}.n + EXCLUDED.n
        RETURNING 1"""


def _month_starts(first: date, last: date) -> list[date]:
    """Month starts from `first` to `last`, both month starts, inclusive."""
    out = []
    while first <= last:
        out.append(first)
        first = month_after(first)
    return out


def _as_date(value) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _balance_select(src: str, months: list[date], b: _Balances) -> tuple[str, list[date]]:
    """Snapshot rows of `months` (month starts) of table `b` from the contributions of counters `src`."""
    values = ", ".join(f"({_date_param()})" for _ in months)
    sql = (f"WITH months(m) AS (VALUES {values}) "
           f"SELECT {b.prefixed('c')}, months.m AS month_start, c.kind, c.level, c.service_class, "
           f"{_fold('c.due_day', 'months.m')} AS due_day, SUM(c.n) AS n "
           f"FROM ({_contributions(src, b)}) c JOIN months ON c.dm < months.m WHERE true "
           f"GROUP BY {_positions(b.group_width)}")
    return sql, months


def _rollup_months() -> list[date]:
    """Every balance snapshot's month start the rollup implies (up to the horizon)."""
    first, last = (_as_date(v) for v in StatRollup.objects.aggregate(a=Min("day"), b=Max("day")).values())
    return _month_starts(month_after(first), month_after(last)) if first else []


def stats_rebuild_coarse() -> None:
    """Derive every coarse table from StatRollup (set-based SQL; used by rebuild and the bench)."""
    rollup = StatRollup._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        if _pg():
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_COARSE_LOCK])
        for d in _derivations(rollup):
            cursor.execute(f"DELETE FROM {d.table}")
            cursor.execute(f"INSERT INTO {d.table} ({d.columns}) {d.select}")
        months = _rollup_months()
        for b in _balances():
            cursor.execute(f"DELETE FROM {b.table}")
            if months:
                select, params = _balance_select(rollup, months, b)
                cursor.execute(f"INSERT INTO {b.table} ({b.columns}) SELECT * FROM ({select}) c WHERE n <> 0", params)


def coarse_differences() -> list[str]:
    """Coarse tables that do not equal their derivation from StatRollup (zero rows ignored)."""
    rollup = StatRollup._meta.db_table
    checks: list[tuple[str, str, str, list]] = [(d.table, d.columns, d.select, []) for d in _derivations(rollup)]
    months = _rollup_months()
    for b in _balances():
        if months:
            select, params = _balance_select(rollup, months, b)
            checks.append((b.table, b.columns, select, params))
        else:
            checks.append((b.table, b.columns, f"SELECT {b.columns} FROM {b.table} WHERE 1 = 0", []))
    out = []
    with connection.cursor() as cursor:
        for name, columns, select, params in checks:
            stored = f"SELECT {columns} FROM {name} WHERE n <> 0"
            derived = f"SELECT {columns} FROM ({select}) d WHERE n <> 0"
            cursor.execute(f"SELECT COUNT(*) FROM (SELECT * FROM ({stored}) s EXCEPT SELECT * FROM ({derived}) d) x",
                           params)
            (extra,) = cursor.fetchone()
            cursor.execute(f"SELECT COUNT(*) FROM (SELECT * FROM ({derived}) d EXCEPT SELECT * FROM ({stored}) s) x",
                           params)
            (missing,) = cursor.fetchone()
            if extra or missing:
                out.append(name)
    return out


# --- rebuild from raw records ------------------------------------------------------------------

Key = tuple  # (agency_id, procedure_id, day, channel, level, service_class, metric, due_day)


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def recompute_counters(dossier_ids: list[int] | None = None) -> dict[Key, int]:
    """Replay every dossier's events (and every rating) through the same rules, from raw rows; with
    `dossier_ids`, only those dossiers' (what they added to the counters)."""
    from apps.agencies.models import Agency
    from apps.dossiers.models import DossierEvent
    from apps.ratings.models import Rating

    agency_by_code = dict(Agency.objects.values_list("code", "pk"))
    totals: dict[Key, int] = {}
    state: dict[str, Any] = {}
    current = None
    events = DossierEvent.objects.order_by("dossier_id", "id")
    ratings = Rating.objects.all()
    if dossier_ids is not None:
        events, ratings = events.filter(dossier_id__in=dossier_ids), ratings.filter(dossier_id__in=dossier_ids)
    rows = events.values_list(
        "dossier_id", "action", "from_status", "to_status", "at", "agency_id", "payload", "dossier__procedure_id",
        "dossier__channel", "dossier__online_level", "dossier__service_class",
    ).iterator(chunk_size=5000)
    for (dossier_id, action, from_status, to_status, at, agency_id, payload, procedure_id, channel, level,
         service_class) in rows:
        if dossier_id != current:
            current, state = dossier_id, {"due": None, "agency": None, "received": None}
        due_before, agency_before = state["due"], state["agency"]
        if action in ("register", "accept"):
            state["received"], state["due"] = _parse(payload.get("received_at")), _parse(payload.get("due_at"))
        elif action == "supplement":
            state["due"] = _parse(payload.get("due_at_after"))
        facts = EventFacts(
            action=Action(action),
            from_status=Status(from_status) if from_status else None,
            to_status=Status(to_status),
            day=_day(at),
            agency=agency_id,
            received_day=_day(state["received"]),
            due_day=_day(state["due"]),
            due_day_before=_day(due_before),
            from_agency=agency_by_code.get(payload.get("from_agency")) if action == "transfer" else agency_before,
            timeliness=payload.get("timeliness", ""),
            payment_method=payload.get("method", ""),
        )
        state["agency"] = agency_id
        for d in deltas_for_event(facts):
            key = (d.agency, procedure_id, d.day, channel, level, service_class, int(d.metric), d.due_day)
            totals[key] = totals.get(key, 0) + d.n
    rated = ratings.values_list("agency_id", "procedure_id", "created_at", "dossier__channel", "dossier__online_level",
                                "dossier__service_class", "level")
    for agency_id, procedure_id, created_at, channel, level, service_class, rating_level in rated.iterator(
            chunk_size=5000):
        key = (agency_id, procedure_id, _day(created_at), channel, level, service_class,
               int(RATING_METRIC[rating_level]), NO_DUE_DAY)
        totals[key] = totals.get(key, 0) + 1
    return {k: v for k, v in totals.items() if v}


def stored_counters() -> dict[Key, int]:
    columns = ("agency_id", "procedure_id", "day", "channel", "level", "service_class", "metric", "due_day")
    totals: dict[Key, int] = {}
    for model in (StatRollup, StatDelta):
        for row in model.objects.values_list(*columns, "n").iterator(chunk_size=10000):
            totals[row[:-1]] = totals.get(row[:-1], 0) + row[-1]
    return {k: v for k, v in totals.items() if v}


TransferKey = tuple  # (from_agency_id, to_agency_id, procedure_id, day, channel, level, service_class)
_TRANSFER_COLUMNS = ("from_agency_id", "to_agency_id", "procedure_id", "day", "channel", "level", "service_class")


def recompute_transfers() -> dict[TransferKey, int]:
    """StatTransfer as the dossiers' transfer events say (from raw rows): the sending agency is
    the event payload's `from_agency`, the receiving one the event's agency."""
    from apps.agencies.models import Agency
    from apps.dossiers.models import DossierEvent

    agency_by_code = dict(Agency.objects.values_list("code", "pk"))
    totals: dict[TransferKey, int] = {}
    events = (DossierEvent.objects.filter(action=Action.TRANSFER.value)
              .values_list("agency_id", "at", "payload", "dossier__procedure_id", "dossier__channel",
                           "dossier__online_level", "dossier__service_class").iterator(chunk_size=5000))
    for agency_id, at, payload, procedure_id, channel, level, service_class in events:
        from_id = agency_by_code.get((payload or {}).get("from_agency"))
        if from_id is None:
            continue
        key = (from_id, agency_id, procedure_id, _day(at), channel, level, service_class)
        totals[key] = totals.get(key, 0) + 1
    return totals


def stored_transfers() -> dict[TransferKey, int]:
    totals: dict[TransferKey, int] = {}
    for row in StatTransfer.objects.values_list(*_TRANSFER_COLUMNS, "n").iterator(chunk_size=10000):
        totals[row[:-1]] = totals.get(row[:-1], 0) + row[-1]
    return {k: v for k, v in totals.items() if v}


def stats_refill_transfers() -> None:
    """Replace StatTransfer with what the transfer events say (rebuild --fix, the migration)."""
    StatTransfer.objects.all().delete()
    StatTransfer.objects.bulk_create(
        [StatTransfer(from_agency_id=k[0], to_agency_id=k[1], procedure_id=k[2], day=k[3], channel=k[4],
                      level=k[5], service_class=k[6], n=n) for k, n in recompute_transfers().items()],
        batch_size=5000,
    )


@dataclass
class RebuildReport:
    keys_compared: int
    differences: list[tuple[Key, int, int]]  # (key, stored, recomputed)
    fixed: bool
    coarse_differences: list[str] = field(default_factory=list)  # coarse tables != derived from the rollup
    transfer_differences: list[tuple[TransferKey, int, int]] = field(default_factory=list)  # StatTransfer


def stats_rebuild(*, fix: bool = False) -> RebuildReport:
    """Recompute every counter from raw records and report differences; with `fix`, replace them.

    Fixing locks the counter tables against new deltas for its duration: run it in a quiet hour.
    """
    with transaction.atomic():
        if fix and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_COARSE_LOCK])
                cursor.execute(f"LOCK TABLE {StatDelta._meta.db_table}, {StatRollup._meta.db_table}, "
                               f"{StatTransfer._meta.db_table} IN EXCLUSIVE MODE")
        recomputed, stored = recompute_counters(), stored_counters()
        keys = set(recomputed) | set(stored)
        differences = sorted(
            ((k, stored.get(k, 0), recomputed.get(k, 0)) for k in keys if stored.get(k, 0) != recomputed.get(k, 0)),
            key=lambda item: tuple(str(part) for part in item[0]),
        )
        if fix and differences:
            StatDelta.objects.all().delete()
            StatRollup.objects.all().delete()
            StatRollup.objects.bulk_create(
                [
                    StatRollup(agency_id=k[0], procedure_id=k[1], day=k[2], channel=k[3], level=k[4],
                               service_class=k[5], metric=k[6], due_day=k[7], n=n)
                    for k, n in recomputed.items()
                ],
                batch_size=5000,
            )
        # The coarse tables must equal what the (possibly just replaced) rollup implies.
        coarse = coarse_differences() if not (fix and differences) else []
        if fix and (differences or coarse):
            stats_rebuild_coarse()
        transfers, stored_t = recompute_transfers(), stored_transfers()
        transfer_differences = sorted(
            ((k, stored_t.get(k, 0), transfers.get(k, 0)) for k in set(transfers) | set(stored_t)
             if stored_t.get(k, 0) != transfers.get(k, 0)),
            key=lambda item: tuple(str(part) for part in item[0]),
        )
        if fix and transfer_differences:
            stats_refill_transfers()
    return RebuildReport(keys_compared=len(keys), differences=differences,
                         fixed=fix and bool(differences or coarse or transfer_differences),
                         coarse_differences=coarse, transfer_differences=transfer_differences)
