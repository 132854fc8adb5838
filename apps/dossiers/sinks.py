"""Consumers of dossier events ("sinks"): called in the event's transaction, in a fixed order.

`apps/dossiers` does not know who listens: the portal outbox, the statistics counters and the
document mail register here once, from their AppConfig.ready(), with an explicit position.

A sink does not write: it *contributes* to the event's writes (``EventWrites``): unsaved rows to
insert together with the event, and callables to run after commit. Whoever records the event
writes them: ``emit`` (every lifecycle action) inserts them in the action's transaction, one
statement per model; the intake path puts them into its one statement with the dossier and the
event (apps/dossiers/onestatement.py). Either way they commit or roll back with the event, and a
sink that raises aborts the action. Anything slower than building a few rows belongs after commit.

On the intake path the dossier code and the dossier's and the event's primary keys are decided by
the statement itself: a sink may copy ``record.dossier.code``, ``record.dossier.pk`` or
``record.event.pk`` into a row (a column or foreign key, text, or inside a JSON column) and the
value arrives there, but it must not compute with them before the write (they are stand-ins until
then); after-commit callables read the real values.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from django.db import transaction

from onestop.events import Payload

if TYPE_CHECKING:
    from django.db.models import Model

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


@dataclass
class EventWrites:
    """The rows the sinks add to an event's transaction, in order, and what runs after its commit.
    The rows get their primary keys once written (read them in the after-commit callables)."""

    rows: list[Model] = field(default_factory=list)
    after_commit: list[tuple[Callable[[], None], bool]] = field(default_factory=list)  # (callable, robust)

    def add(self, *rows: Model) -> None:
        self.rows.extend(rows)

    def on_commit(self, func: Callable[[], None], *, robust: bool = False) -> None:
        self.after_commit.append((func, robust))

    def schedule_after_commit(self) -> None:
        """Hand the callables to Django: run at the commit of the current transaction (at once
        when there is none, i.e. the writes were one autocommitted statement)."""
        for func, robust in self.after_commit:
            transaction.on_commit(func, robust=robust)


Sink = Callable[[EventRecord, EventWrites], None]


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


def collect(record: EventRecord) -> EventWrites:
    """Every sink's contribution, in position order (nothing written yet)."""
    writes = EventWrites()
    for registered in _sinks:
        registered.sink(record, writes)
    return writes


def insert_rows(rows: list[Model]) -> None:
    """Insert unsaved rows in order, one statement per run of rows of one model."""
    run: list[Model] = []
    for row in [*rows, None]:
        if run and (row is None or type(row) is not type(run[0])):
            type(run[0]).objects.bulk_create(run)
            run = []
        if row is not None:
            run.append(row)


def emit(record: EventRecord) -> None:
    """Write every sink's rows now and schedule their after-commit work (must run inside the
    event's transaction, after the event row is written)."""
    writes = collect(record)
    insert_rows(writes.rows)
    writes.schedule_after_commit()
