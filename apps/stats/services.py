"""Writes to the statistics counters: deltas in the event's transaction, compaction, rebuild."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from onestop.indicators import NO_DUE_DAY, RATING_METRIC, Delta, EventFacts, deltas_for_event
from onestop.lifecycle import Action, Status

from .models import DIMENSIONS, StatDelta, StatRollup


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
            level=dossier.online_level, metric=int(d.metric), due_day=d.due_day, n=d.n,
        )
        for d in deltas
    ]


def record_event(*, event, dossier, from_agency_id: int | None = None, due_before: datetime | None = None) -> None:
    """Append this event's counters; must run in the event's transaction."""
    deltas = deltas_for_event(event_facts(event=event, dossier=dossier, from_agency_id=from_agency_id,
                                          due_before=due_before))
    if deltas:
        StatDelta.objects.bulk_create(_rows(deltas, dossier))


def record_rating(rating) -> None:
    dossier = rating.dossier
    StatDelta.objects.create(
        agency_id=rating.agency_id, procedure_id=rating.procedure_id, day=_day(rating.created_at),
        channel=dossier.channel, level=dossier.online_level, metric=int(RATING_METRIC[rating.level]), n=1,
    )


def stats_compact(*, batch: int = 200_000) -> int:
    """Move up to `batch` deltas into the rollup atomically; returns how many were moved."""
    delta, rollup = StatDelta._meta.db_table, StatRollup._meta.db_table
    columns = ", ".join(f"{name}_id" if name in ("agency", "procedure") else name for name in DIMENSIONS)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
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
                )
                SELECT COALESCE(SUM(rows), 0) FROM summed, (SELECT COUNT(*) FROM upserted) u
                """,
                [batch],
            )
        else:  # SQLite (embedded mode): one writer, two statements in one transaction are enough
            cursor.execute(f"SELECT MAX(id) FROM (SELECT id FROM {delta} ORDER BY id LIMIT %s)", [batch])
            (last,) = cursor.fetchone()
            if last is None:
                return 0
            cursor.execute(
                f"INSERT INTO {rollup} ({columns}, n) SELECT {columns}, SUM(n) FROM {delta} WHERE id <= %s "
                f"GROUP BY {columns} ON CONFLICT ({columns}) DO UPDATE SET n = {rollup}.n + EXCLUDED.n",
                [last],
            )
            cursor.execute(f"DELETE FROM {delta} WHERE id <= %s", [last])
            return cursor.rowcount
        (moved,) = cursor.fetchone()
    return int(moved)


def stats_compact_all() -> int:
    total = 0
    while moved := stats_compact():
        total += moved
    return total


# --- rebuild from raw records ------------------------------------------------------------------

Key = tuple  # (agency_id, procedure_id, day, channel, level, metric, due_day)


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def recompute_counters() -> dict[Key, int]:
    """Replay every dossier's events (and every rating) through the same rules, from raw rows."""
    from apps.agencies.models import Agency
    from apps.dossiers.models import DossierEvent
    from apps.ratings.models import Rating

    agency_by_code = dict(Agency.objects.values_list("code", "pk"))
    totals: dict[Key, int] = {}
    state: dict[str, Any] = {}
    current = None
    events = (
        DossierEvent.objects.order_by("dossier_id", "id")
        .values_list("dossier_id", "action", "from_status", "to_status", "at", "agency_id", "payload",
                     "dossier__procedure_id", "dossier__channel", "dossier__online_level")
        .iterator(chunk_size=5000)
    )
    for dossier_id, action, from_status, to_status, at, agency_id, payload, procedure_id, channel, level in events:
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
            key = (d.agency, procedure_id, d.day, channel, level, int(d.metric), d.due_day)
            totals[key] = totals.get(key, 0) + d.n
    ratings = Rating.objects.values_list("agency_id", "procedure_id", "created_at", "dossier__channel",
                                         "dossier__online_level", "level")
    for agency_id, procedure_id, created_at, channel, level, rating_level in ratings.iterator(chunk_size=5000):
        key = (agency_id, procedure_id, _day(created_at), channel, level, int(RATING_METRIC[rating_level]), NO_DUE_DAY)
        totals[key] = totals.get(key, 0) + 1
    return {k: v for k, v in totals.items() if v}


def stored_counters() -> dict[Key, int]:
    columns = ("agency_id", "procedure_id", "day", "channel", "level", "metric", "due_day")
    totals: dict[Key, int] = {}
    for model in (StatRollup, StatDelta):
        for row in model.objects.values_list(*columns, "n").iterator(chunk_size=10000):
            totals[row[:-1]] = totals.get(row[:-1], 0) + row[-1]
    return {k: v for k, v in totals.items() if v}


@dataclass
class RebuildReport:
    keys_compared: int
    differences: list[tuple[Key, int, int]]  # (key, stored, recomputed)
    fixed: bool


def stats_rebuild(*, fix: bool = False) -> RebuildReport:
    """Recompute every counter from raw records and report differences; with `fix`, replace them.

    Fixing locks the counter tables against new deltas for its duration: run it in a quiet hour.
    """
    with transaction.atomic():
        if fix and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {StatDelta._meta.db_table}, {StatRollup._meta.db_table} IN EXCLUSIVE MODE")
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
                    StatRollup(agency_id=k[0], procedure_id=k[1], day=k[2], channel=k[3], level=k[4], metric=k[5],
                               due_day=k[6], n=n)
                    for k, n in recomputed.items()
                ],
                batch_size=5000,
            )
    return RebuildReport(keys_compared=len(keys), differences=differences, fixed=fix and bool(differences))
