"""`manage.py run_scheduler`: the beat schedule run in-process (see apps/common/scheduler.py).

`make run` starts it beside the web server, so overdue sweeps, due-soon reminders, applicant
notices (e-mail to the console there) and the other periodic jobs happen in the embedded mode too.
"""
from __future__ import annotations

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.common.scheduler import EmbeddedScheduler
from config.celery import app


class Command(BaseCommand):
    help = "Run the periodic jobs of CELERY_BEAT_SCHEDULE in this process (the embedded mode of `make run`)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="run every job once, then exit")
        parser.add_argument("--max-sleep", type=float, default=30.0, help="longest pause between checks (s)")

    def handle(self, *args, once: bool = False, max_sleep: float = 30.0, **options) -> None:
        scheduler = EmbeddedScheduler(app, settings.CELERY_BEAT_SCHEDULE, max_sleep=max_sleep)
        scheduler.on_run = lambda entry, result: self.stdout.write(f"{entry.name}: {result}")
        if once:
            scheduler.tick()
            failed = [e.name for e in scheduler.entries if e.failures]
            if failed:
                raise CommandError(f"failed: {', '.join(failed)}")
            return
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        self.stdout.write(f"Scheduled jobs: {', '.join(e.name for e in scheduler.entries)}")
        scheduler.run_forever(stop)
