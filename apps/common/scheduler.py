"""An embedded scheduler for `make run`: the jobs of CELERY_BEAT_SCHEDULE, run in-process.

`make run` has no broker and no worker (SQLite, CELERY_TASK_ALWAYS_EAGER), so celery beat has
nobody to send to. This loop reads the same schedule (intervals and crontabs, Celery's own schedule
objects decide when an entry is due) and runs each due task in its own process, synchronously, as
an eager worker would. Every job is idempotent (the beat schedule promises it), so the catch-up run
of every entry at start-up, which lets a developer see the overdue sweep, the due-soon reminders and
the applicant notices without waiting for office hours, does no harm. Deployments keep celery beat
and a worker (docker-compose.yml); this is for the embedded mode only.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from celery import Celery
from celery.schedules import BaseSchedule, maybe_schedule
from django.db import close_old_connections, connections

logger = logging.getLogger(__name__)


def _drop_stale_connections() -> None:
    """A long-lived process: drop connections the database closed or that outlived CONN_MAX_AGE
    (not inside a transaction, e.g. a test's: that one is still in use)."""
    if not any(connection.in_atomic_block for connection in connections.all(initialized_only=True)):
        close_old_connections()


@dataclass
class Entry:
    name: str
    task: str
    schedule: BaseSchedule
    args: tuple = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    last_run_at: datetime | None = None
    runs: int = 0
    failures: int = 0


class EmbeddedScheduler:
    def __init__(self, app: Celery, beat_schedule: dict[str, dict[str, Any]], *,
                 max_sleep: float = 30.0, run_at_start: bool = True) -> None:
        self.app = app
        app.loader.import_default_modules()  # every app's tasks.py (Celery's autodiscovery is lazy)
        self.max_sleep = max_sleep
        self.entries = [
            Entry(name=name, task=spec["task"], schedule=maybe_schedule(spec["schedule"], app=app),
                  args=tuple(spec.get("args", ())), kwargs=dict(spec.get("kwargs", {})))
            for name, spec in beat_schedule.items()
        ]
        self.run_at_start = run_at_start
        self.on_run: Callable[[Entry, Any], None] | None = None

    def _run(self, entry: Entry) -> None:
        _drop_stale_connections()
        entry.last_run_at = self.app.now()
        entry.runs += 1
        try:
            result = self.app.tasks[entry.task].apply(args=entry.args, kwargs=entry.kwargs, throw=True).get()
        except Exception:
            entry.failures += 1
            logger.exception("scheduled job %s (%s) failed", entry.name, entry.task)
            return
        finally:
            _drop_stale_connections()
        logger.info("scheduled job %s: %s", entry.name, result)
        if self.on_run is not None:
            self.on_run(entry, result)

    def tick(self) -> float:
        """Run every due entry (every entry on the first tick with run_at_start); returns the
        seconds until the next one is due (at most max_sleep)."""
        wait = self.max_sleep
        for entry in self.entries:
            if entry.last_run_at is None and self.run_at_start:
                due, next_in = True, 0.0
            else:
                due, next_in = entry.schedule.is_due(entry.last_run_at or self.app.now())
            if due:
                self._run(entry)
                due, next_in = entry.schedule.is_due(entry.last_run_at)
            wait = min(wait, max(float(next_in), 0.5))
        return wait

    def run_forever(self, stop: threading.Event) -> None:
        logger.info("embedded scheduler: %s", ", ".join(f"{e.name} -> {e.task}" for e in self.entries))
        while not stop.is_set():
            stop.wait(self.tick())
