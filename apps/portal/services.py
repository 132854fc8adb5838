"""Portal writes: the outbox row for each dossier event (called inside the event's transaction)."""
from __future__ import annotations

from apps.dossiers.models import Dossier, DossierEvent

from .models import OutboxMessage
from .payloads import dossier_sync_payload


def outbox_enqueue(*, dossier: Dossier, event: DossierEvent) -> OutboxMessage:
    """Must run in the transaction that wrote `event`: both commit or neither does."""
    return OutboxMessage.objects.create(
        event=event, dossier=dossier, kind="DongBoHoSoMC", payload=dossier_sync_payload(dossier, event)
    )
