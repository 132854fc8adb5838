"""Background jobs of the portal sync (thin wrappers around services)."""
from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from .services import outbox_drain, outbox_purge_delivered, portal_signature_purge


@shared_task(name="portal.drain_outbox", ignore_result=True, acks_late=False)
def drain_outbox() -> dict:
    """Deliver due outbox rows; run by beat every PORTAL_DRAIN_SECONDS and nudged after commits.
    Any number may run at once (rows are claimed with SKIP LOCKED).

    The task message is only a nudge (the outbox table is the truth), so it is acknowledged on
    receipt: a lost message costs nothing, and a worker holds fewer unacknowledged messages when
    the broker disappears (kombu then has nothing to restore)."""
    report = outbox_drain()
    return {"batches": report.batches, "delivered": report.delivered, "failed": report.failed,
            "dead": report.dead, "disabled": report.disabled}


@shared_task(name="portal.purge_outbox", ignore_result=True)
def purge_outbox() -> int:
    """Forget delivered rows after PORTAL_OUTBOX_RETENTION_DAYS (the events themselves stay)."""
    return outbox_purge_delivered(older_than=timedelta(days=settings.PORTAL_OUTBOX_RETENTION_DAYS))


@shared_task(name="portal.purge_signatures", ignore_result=True)
def purge_signatures() -> int:
    """Forget accepted inbound signatures once their timestamps are out of the window (replay protection)."""
    return portal_signature_purge()


@shared_task(name="portal.pull_catalog", ignore_result=True)
def pull_catalog() -> dict:
    """Nightly (beat): the portal's catalogue through `catalog_import`; only with PORTAL_TRANSPORT=dvcqg."""
    if settings.PORTAL_TRANSPORT != "dvcqg" or not settings.PORTAL_ADAPTER_URL:
        return {"disabled": True}
    from .dvcqg.catalog import catalog_pull

    return catalog_pull().as_dict()
