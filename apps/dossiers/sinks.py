"""Consumers of dossier events ("sinks"): called in the event's transaction, in a fixed order.

`apps/dossiers` does not know who listens: the portal outbox, the statistics counters and the
document mail register here once, from their AppConfig.ready(), with an explicit position. Each
sink runs inside the transaction that wrote the event, so it commits or rolls back with it; a sink
that raises aborts the action. Anything slower than a few inserts belongs after commit
(``transaction.on_commit`` in the sink).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from onestop.events import Payload

if TYPE_CHECKING:
    from .models import Dossier, DossierEvent


@dataclass(frozen=True)
class EventRecord:
    """What a sink gets: the event row, the dossier after it, the typed payload and the state
    the event changed (for counters keyed by the agency or due day before it)."""

    event: DossierEvent
    dossier: Dossier
    payload: Payload
    agency_before: int | None = None
    due_before: datetime | None = None


Sink = Callable[[EventRecord], None]


@dataclass(frozen=True)
class _Registered:
    position: int
    name: str
    sink: Sink


_sinks: list[_Registered] = []


def register_sink(name: str, sink: Sink, *, position: int) -> None:
    """Wire a consumer once; registering the same name again replaces it (ready() run twice).
    Two sinks may not share a position: the order must be stated, not left to import order."""
    others = [s for s in _sinks if s.name != name]
    if any(s.position == position for s in others):
        raise ValueError(f"sink position {position} is taken")
    others.append(_Registered(position, name, sink))
    others.sort(key=lambda s: s.position)
    _sinks[:] = others


def registered_sinks() -> list[str]:
    return [s.name for s in _sinks]


def emit(record: EventRecord) -> None:
    """Call every sink, in position order (must run inside the event's transaction)."""
    for registered in _sinks:
        registered.sink(record)
