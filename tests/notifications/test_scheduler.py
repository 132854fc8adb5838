"""The embedded scheduler `make run` starts (apps/common/scheduler.py, `manage.py run_scheduler`):
the beat schedule's jobs really run without a broker or worker, e-mail to the console."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from apps.common.scheduler import EmbeddedScheduler
from apps.dossiers.models import Dossier
from apps.notifications.models import Notification, NotificationKind, OverdueMark
from apps.portal.selectors import change_feed
from config.celery import app
from tests.portal.conftest import register_dossier

from .test_jobs import staff_emails  # noqa: F401  (fixture)

ROOT = Path(__file__).resolve().parents[2]


def office_day(clock) -> None:
    """An overdue dossier (received in March 2025), a fresh one due within the hour, a fresh notice."""
    clock.set(2025, 3, 3, 9, 0)
    register_dossier(1)  # due 12 March 2025: overdue now
    clock.now = timezone.now()
    soon = register_dossier(2)  # registered now: its applicant is told (e-mail)
    Dossier.objects.filter(pk=soon.pk).update(due_at=timezone.now() + timedelta(minutes=30))
    # Other sessions on the server can hold the change feed's horizon back briefly: wait until both
    # register events are surely committed (without moving the job's cursor).
    deadline = time.monotonic() + 30
    while len(change_feed(after=None, limit=10).events) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_one_tick_runs_every_scheduled_job(staff_emails, media_root, clock, settings):  # noqa: F811
    office_day(clock)
    scheduler = EmbeddedScheduler(app, settings.CELERY_BEAT_SCHEDULE)
    assert {e.task for e in scheduler.entries} >= {
        "notifications.status_changes", "notifications.overdue_sweep", "notifications.due_soon_reminders"}
    scheduler.tick()
    assert all(e.runs == 1 and e.failures == 0 for e in scheduler.entries), [
        (e.name, e.runs, e.failures) for e in scheduler.entries]
    assert OverdueMark.objects.count() == 1
    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert kinds >= {NotificationKind.OVERDUE, NotificationKind.DUE_SOON, NotificationKind.STATUS_CHANGE}
    recipients = {m.to[0] for m in mail.outbox}
    assert {"dan2@example.vn", "clerk_tuphap@sotuphap.example.vn", "leader_tuphap@sotuphap.example.vn"} <= recipients
    assert any("quá hạn" in m.subject for m in mail.outbox)


@pytest.mark.django_db
def test_entries_run_again_when_due_not_before(settings, monkeypatch):
    # The schedules' clock is the Celery app's: pinned to 10:00 local, so "an hour ago" never crosses the
    # nightly 06:00 run (between 06:00 and 07:00 local the test failed on the wall clock).
    monkeypatch.setattr(app, "now", lambda: datetime(2026, 11, 30, 10, 0, tzinfo=app.timezone))
    ran: list[str] = []
    scheduler = EmbeddedScheduler(app, {
        "every-minute": {"task": "notifications.send_pending", "schedule": 60.0},
        "nightly": {"task": "notifications.send_pending", "schedule": settings.CELERY_BEAT_SCHEDULE[
            "notifications-overdue-nightly"]["schedule"]},
    }, max_sleep=30)
    scheduler.on_run = lambda entry, result: ran.append(entry.name)
    assert scheduler.tick() <= 30
    assert ran == ["every-minute", "nightly"]  # the catch-up run at start-up
    scheduler.tick()
    assert ran == ["every-minute", "nightly"]  # nothing is due yet
    minute, nightly = scheduler.entries
    minute.last_run_at -= timedelta(seconds=61)
    nightly.last_run_at -= timedelta(hours=1)  # 06:00 daily: not due again after an hour
    scheduler.tick()
    assert ran == ["every-minute", "nightly", "every-minute"]
    nightly.last_run_at -= timedelta(days=1)
    scheduler.tick()
    assert ran[-1] == "nightly"


@pytest.mark.django_db
def test_a_failing_job_is_logged_and_the_others_still_run(monkeypatch):
    logged: list[tuple] = []
    monkeypatch.setattr("apps.common.scheduler.logger.exception", lambda *args: logged.append(args))
    scheduler = EmbeddedScheduler(app, {
        "broken": {"task": "notifications.send_pending", "schedule": 60.0, "kwargs": {"unexpected": 1}},
        "fine": {"task": "notifications.send_pending", "schedule": 60.0},
    })
    scheduler.tick()
    broken, fine = scheduler.entries
    assert (broken.failures, fine.failures, fine.runs) == (1, 0, 1)
    assert [args[1] for args in logged] == ["broken"]


@pytest.mark.django_db(transaction=True)
def test_run_scheduler_command_mails_to_the_console(staff_emails, media_root, clock):  # noqa: F811
    """`manage.py run_scheduler --once` in a process of its own, as `make run` starts it: eager
    Celery, no broker, the console e-mail backend; it reads what this test committed."""
    office_day(clock)
    db = connection.settings_dict
    env = {
        **os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "SECRET_KEY": "scheduler-test", "DEBUG": "true",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "CACHE_URL": "locmem://", "CELERY_TASK_ALWAYS_EAGER": "true", "CELERY_BROKER_URL": "memory://",
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend", "MEDIA_ROOT": str(media_root),
    }
    done = subprocess.run([sys.executable, "manage.py", "run_scheduler", "--once"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert "To: dan2@example.vn" in out  # the applicant's notice, on the console
    assert "To: leader_tuphap@sotuphap.example.vn" in out and "notifications-overdue-hourly:" in out
    assert "notifications-due-soon-hourly:" in out and OverdueMark.objects.count() == 1


def test_make_run_starts_the_scheduler_beside_the_server():
    recipe = (ROOT / "Makefile").read_text().split("\nrun: install\n", 1)[1].split("\n\n", 1)[0]
    assert "manage.py run_scheduler &" in recipe and "manage.py runserver" in recipe
    assert "kill $$scheduler" in recipe  # stopped with the server
