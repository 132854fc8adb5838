"""Portal reads: the change feed, a dossier by code, the catalogue, the outbox's health."""
from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import BooleanField, Prefetch, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from apps.catalog.models import Offering, Procedure
from apps.catalog.selectors import procedure_list
from apps.common.numbers import bounded_int
from apps.dossiers.models import Dossier, DossierEvent
from onestop.errors import DomainError, ErrorCode

from .models import OutboxMessage, OutboxStatus

FEED_MAX_LIMIT = 1000


@dataclass(frozen=True, order=True)
class FeedPosition:
    """Where a reader stands in the feed: the (txid, id) of the last event it has seen."""

    txid: int
    event_id: int

    def encode(self) -> str:
        raw = f"{self.txid}.{self.event_id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str) -> FeedPosition:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
            raise DomainError("Not a cursor this feed returned.", code=ErrorCode.VALIDATION, field="after") from exc
        head, _, tail = raw.partition(".")
        txid, event_id = bounded_int(head), bounded_int(tail)
        if txid is None or event_id is None:  # not "<txid>.<id>", both within a bigint
            raise DomainError("Not a cursor this feed returned.", code=ErrorCode.VALIDATION, field="after")
        return cls(txid, event_id)

    @classmethod
    def of(cls, event: DossierEvent) -> FeedPosition:
        return cls(event.txid or 0, event.pk)


@dataclass
class FeedPage:
    events: list[DossierEvent]  # each with `feed_cursor`: the cursor that resumes right after it
    next_cursor: str | None  # resume here (the request's own cursor when nothing new is safe yet)
    has_more: bool


def change_feed(*, after: str | None, limit: int) -> FeedPage:
    """Dossier events in a total order that never skips one, resumable from any returned cursor.

    The order is (txid, id): `txid` is the id of the transaction that wrote the event (a database
    default, `pg_current_xact_id()`), `id` its sequence number. Event ids alone are not safe: ids are
    taken when a row is inserted, but transactions commit in another order, so a reader that saw
    id 11 and moved its cursor past it would never see id 10 committed a moment later.

    Guarantee. Each read computes, in the same statement and snapshot, the horizon
    X = pg_snapshot_xmin(pg_current_snapshot()): the oldest transaction still running. Every
    transaction with an id below X has finished, so every event with txid < X that will ever exist
    is already committed and visible; every transaction still running or yet to start has an id
    >= X. The feed returns only events with txid < X, ordered by (txid, id), after the cursor. Hence
    (1) a page is final: nothing can later appear before its last position; (2) the horizon only
    moves forward, so the next read continues exactly where this one stopped: no event is skipped
    or repeated, however transactions interleave or commit out of order. Events of a transaction
    that is still open (or rolled back) are simply not there yet (or never).

    Order per dossier: every event-writing transaction takes the dossier's row lock first
    (``SELECT … FOR UPDATE`` in dossiers.services), and PostgreSQL assigns a transaction id only
    when that lock is granted (a waiter has none), so a later event of a dossier always has a larger
    txid: the feed lists each dossier's events in the order they happened.

    Cost of the guarantee: latency. A transaction that stays open holds the horizon back (a portal
    drain at most PORTAL_TIMEOUT; keep `idle_in_transaction_session_timeout` set on the server).

    SQLite (embedded `make run`, one writer at a time, no txid): ordered by id, which is safe there
    because writes are serialized.
    """
    limit = max(1, min(limit, FEED_MAX_LIMIT))
    position = FeedPosition.decode(after) if after else None
    table = DossierEvent._meta.db_table
    queryset = DossierEvent.objects.select_related("dossier", "dossier__procedure", "agency")
    if connection.vendor == "postgresql":
        queryset = queryset.filter(
            RawSQL(f"{table}.txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint", [],
                   output_field=BooleanField())
        )
        if position is not None:
            queryset = queryset.filter(
                RawSQL(f"({table}.txid, {table}.id) > (%s, %s)", [position.txid, position.event_id],
                       output_field=BooleanField())
            )
        queryset = queryset.order_by("txid", "id")
    else:
        if position is not None:
            queryset = queryset.filter(id__gt=position.event_id)
        queryset = queryset.order_by("id")
    rows = list(queryset[: limit + 1])
    has_more = len(rows) > limit
    rows = rows[:limit]
    for event in rows:
        event.feed_cursor = FeedPosition.of(event).encode()
    next_cursor = rows[-1].feed_cursor if rows else after
    return FeedPage(events=rows, next_cursor=next_cursor, has_more=has_more)


def portal_dossier_by_code(code: str) -> Dossier | None:
    """The national portal may read any dossier: it is the national system every dossier reports to."""
    return (
        Dossier.objects.select_related("procedure", "agency", "receiving_agency", "assigned_to", "received_by")
        .filter(code=code)
        .first()
    )


def portal_catalog() -> QuerySet[Procedure]:
    """Procedures with the agencies that offer them (active offerings only)."""
    return procedure_list().prefetch_related(
        Prefetch("offerings", queryset=Offering.objects.filter(is_active=True).select_related("agency")
                 .order_by("agency__code"), to_attr="active_offerings")
    )


@dataclass(frozen=True)
class OutboxHealth:
    pending: int
    dead: int
    oldest_pending_at: datetime | None
    oldest_pending_age_seconds: float | None


def outbox_health(now: datetime | None = None) -> OutboxHealth:
    """Counts only; every query is served by one of the outbox's partial indexes."""
    now = now or timezone.now()
    pending = OutboxMessage.objects.filter(status=OutboxStatus.PENDING)
    oldest = pending.order_by("id").values_list("created_at", flat=True).first()
    return OutboxHealth(
        pending=pending.count(),
        dead=OutboxMessage.objects.filter(status__in=[OutboxStatus.DEAD]).count(),
        oldest_pending_at=oldest,
        oldest_pending_age_seconds=round((now - oldest).total_seconds(), 3) if oldest else None,
    )
