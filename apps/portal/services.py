"""Portal writes: the outbox row of each dossier event, its delivery to the portal, replays.

Delivery contract (DESIGN.md section 7, issue 6): at least once, in order per dossier, the event id as
idempotency key. The outbox table is the only truth; Redis only carries "drain now" nudges, so a lost
task message, a killed worker or a Redis restart delays delivery and loses nothing.

How one batch is drained (`_drain_batch`), in one database transaction:

1. claim: ``SELECT … FROM outbox WHERE status = 'pending' AND due AND NOT EXISTS (an earlier pending
   or dead row of the same dossier) ORDER BY id LIMIT n FOR UPDATE SKIP LOCKED``. Only the oldest
   undelivered row of a dossier is ever eligible, and it stays locked until the transaction ends,
   so a second worker neither takes it nor the next row of that dossier (the NOT EXISTS still sees
   the locked row as pending): several workers drain in parallel without reordering a dossier.
2. send the batch (one signed POST, at most one message per dossier);
3. mark delivered rows, give failed rows a later `next_attempt_at` (exponential backoff with
   jitter) or park them as `dead` after PORTAL_MAX_ATTEMPTS; commit.

A worker killed between 2 and 3 never commits: PostgreSQL rolls back and releases the locks when the
connection drops, the rows are still pending and are sent again. The portal drops the repeat by its
idempotency key: that is the at-least-once contract. Holding the row locks during the POST keeps the
transaction open for at most PORTAL_TIMEOUT; that is also the longest the change feed can lag
behind because of a drain (see selectors.change_feed).
"""
from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from apps.dossiers.models import Dossier, DossierEvent
from apps.dossiers.sinks import EventRecord, EventWrites

from .models import UNDELIVERED, OutboxMessage, OutboxStatus, PortalSignature
from .payloads import dossier_sync_payload
from .transport import OutgoingMessage, Transport, WebhookTransport

logger = logging.getLogger(__name__)

#: At most one "drain now" nudge per process per this many seconds (beat drains anyway).
KICK_INTERVAL_SECONDS = 1.0
_last_kick = 0.0


def outbox_enqueue(*, dossier: Dossier, event: DossierEvent, writes: EventWrites) -> OutboxMessage:
    """The outbox row of `event`, added to the event's writes: both commit or neither does."""
    message = OutboxMessage(
        event=event, dossier=dossier, kind="DongBoHoSoMC", payload=dossier_sync_payload(dossier, event)
    )
    writes.add(message)
    if sync_enabled():
        writes.on_commit(kick_drain)
    return message


def outbox_sink(record: EventRecord, writes: EventWrites) -> None:
    """The dossier event sink (wired in PortalConfig.ready)."""
    outbox_enqueue(dossier=record.dossier, event=record.event, writes=writes)


def kick_drain() -> None:
    """Ask a worker to drain soon. Best effort and throttled per process: the beat schedule is the
    guarantee, so a broker that is down costs a log line here, never the request that committed."""
    global _last_kick
    now = time.monotonic()
    if now - _last_kick < KICK_INTERVAL_SECONDS:
        return
    _last_kick = now
    from .tasks import drain_outbox

    try:
        drain_outbox.apply_async(retry=False)
    except Exception:  # the broker is unreachable; rows stay pending for the next beat tick
        logger.warning("portal: could not queue a drain (broker down?); the next beat tick will drain",
                       exc_info=True)


def sync_enabled() -> bool:
    """Is an outbound transport configured? (PORTAL_TRANSPORT picks which; without its address the
    outbox only fills up, e.g. `make run`.)"""
    if settings.PORTAL_TRANSPORT == "dvcqg":
        return bool(settings.PORTAL_ADAPTER_URL)
    return bool(settings.PORTAL_SYNC_URL)


def get_transport() -> Transport | None:
    if not sync_enabled():
        return None
    if settings.PORTAL_TRANSPORT == "dvcqg":
        from .dvcqg.transport import DvcqgTransport

        return DvcqgTransport.from_settings()
    return WebhookTransport(
        url=settings.PORTAL_SYNC_URL, key_id=settings.PORTAL_KEY_ID, secret=settings.PORTAL_SECRET,
        timeout=settings.PORTAL_TIMEOUT,
    )


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff with "equal jitter": half the step fixed, half random."""
    step = min(settings.PORTAL_RETRY_MAX_SECONDS, settings.PORTAL_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0))
    return timedelta(seconds=step / 2 + random.uniform(0, step / 2))


@dataclass
class DrainReport:
    batches: int = 0
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    disabled: bool = False

    def add(self, other: DrainReport) -> None:
        self.batches += other.batches
        self.delivered += other.delivered
        self.failed += other.failed
        self.dead += other.dead


def _claimable(now: datetime, limit: int) -> list[OutboxMessage]:
    earlier_undelivered = OutboxMessage.objects.filter(
        dossier_id=OuterRef("dossier_id"), id__lt=OuterRef("id"), status__in=UNDELIVERED
    )
    return list(
        OutboxMessage.objects.filter(status=OutboxStatus.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(~Exists(earlier_undelivered))
        .order_by("id")
        .only("id", "event_id", "dossier_id", "kind", "payload", "attempts")
        .select_for_update(skip_locked=True)[:limit]
    )


def _message(row: OutboxMessage) -> OutgoingMessage:
    return OutgoingMessage(key=str(row.event_id), event_id=row.event_id, dossier_code=row.payload.get("MaHoSo", ""),
                           kind=row.kind, payload=row.payload)


def _drain_batch(transport: Transport, limit: int) -> tuple[int, DrainReport]:
    report = DrainReport()
    with transaction.atomic():
        rows = _claimable(timezone.now(), limit)
        if not rows:
            return 0, report
        outcome = transport.send([_message(row) for row in rows])
        now = timezone.now()
        delivered = [row.pk for row in rows if str(row.event_id) in outcome.delivered]
        if delivered:
            OutboxMessage.objects.filter(pk__in=delivered).update(
                status=OutboxStatus.DELIVERED, delivered_at=now, attempts=F("attempts") + 1,
                next_attempt_at=None, last_error="",
            )
        failed = [row for row in rows if str(row.event_id) not in outcome.delivered]
        for row in failed:
            row.attempts += 1
            row.last_error = outcome.errors.get(str(row.event_id), "not delivered")[:2000]
            if row.attempts >= settings.PORTAL_MAX_ATTEMPTS:
                row.status, row.next_attempt_at = OutboxStatus.DEAD, None
                report.dead += 1
            else:
                row.next_attempt_at = now + retry_delay(row.attempts)
        if failed:
            OutboxMessage.objects.bulk_update(failed, ["status", "attempts", "next_attempt_at", "last_error"])
            logger.warning("portal: %d of %d messages not delivered (%d now dead): %s", len(failed), len(rows),
                           report.dead, failed[0].last_error)
    report.batches, report.delivered, report.failed = 1, len(delivered), len(failed)
    return len(rows), report


def outbox_drain(
    *,
    transport: Transport | None = None,
    batch_size: int | None = None,
    max_batches: int | None = None,
    budget_seconds: float | None = None,
) -> DrainReport:
    """Deliver due outbox rows until none is left, the portal fails a whole batch, or the task's
    budget (time or batches) is spent. Safe to run in any number of workers at once."""
    transport = transport or get_transport()
    if transport is None:
        return DrainReport(disabled=True)
    limit = batch_size or settings.PORTAL_BATCH_SIZE
    batches_left = max_batches or settings.PORTAL_DRAIN_MAX_BATCHES
    deadline = time.monotonic() + (budget_seconds or settings.PORTAL_DRAIN_BUDGET_SECONDS)
    total = DrainReport()
    while batches_left > 0 and time.monotonic() < deadline:
        claimed, report = _drain_batch(transport, limit)
        total.add(report)
        batches_left -= 1
        if claimed == 0 or report.delivered == 0:
            break  # nothing due, or the portal refuses everything: the retry schedule takes over
    return total


def outbox_replay(*, ids: Iterable[int] | None = None) -> int:
    """Put dead rows back in the queue with a fresh set of attempts (admin action); returns how many."""
    queryset = OutboxMessage.objects.filter(status=OutboxStatus.DEAD)
    if ids is not None:
        queryset = queryset.filter(pk__in=list(ids))
    with transaction.atomic():
        count = queryset.update(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=None)
        if count and sync_enabled():
            transaction.on_commit(kick_drain)
    logger.info("portal: %d dead messages replayed", count)
    return count


def outbox_purge_delivered(*, older_than: timedelta, chunk: int = 10_000) -> int:
    """Delete delivered rows older than `older_than` (the history stays in DossierEvent)."""
    cutoff = timezone.now() - older_than
    removed = 0
    while True:
        ids = list(
            OutboxMessage.objects.filter(status=OutboxStatus.DELIVERED, delivered_at__lt=cutoff)
            .values_list("id", flat=True)[:chunk]
        )
        if not ids:
            return removed
        removed += OutboxMessage.objects.filter(pk__in=ids, status=OutboxStatus.DELIVERED).delete()[0]


# --- inbound replay protection -----------------------------------------------------------------


def portal_signature_claim(*, key_id: str, signature: str, timestamp: int) -> bool:
    """Remember a verified signature; False when it was accepted before (the request is a replay).

    One ``INSERT … ON CONFLICT DO NOTHING`` on the unique (key_id, signature), committed at once: of two
    identical requests, even in parallel, exactly one inserts the row. The database is the memory, so
    a Redis flush or restart does not reopen the window. The row is kept until `timestamp` + twice
    the allowed skew, after which the timestamp check refuses the request anyway."""
    expires_at = datetime.fromtimestamp(timestamp + 2 * settings.PORTAL_SIGNATURE_MAX_SKEW, tz=UTC)
    table = PortalSignature._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key_id, signature, expires_at) VALUES (%s, %s, %s) "
            "ON CONFLICT (key_id, signature) DO NOTHING RETURNING id",
            [key_id, signature, expires_at],
        )
        return cursor.fetchone() is not None


def portal_signature_purge(*, now: datetime | None = None) -> int:
    """Forget signatures whose timestamp can no longer pass (beat job `portal.purge_signatures`)."""
    return PortalSignature.objects.filter(expires_at__lt=now or timezone.now()).delete()[0]
