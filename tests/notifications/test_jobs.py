"""Beat jobs: applicant notifications on status changes, the overdue sweep, due-soon reminders.
Each job is idempotent: running it twice sends nothing twice."""
from __future__ import annotations

import time

import pytest
from django.core import mail

from apps.accounts.models import User
from apps.dossiers.models import Dossier
from apps.notifications import tasks
from apps.notifications.models import Notification, NotificationStatus, OverdueMark
from apps.notifications.services import (
    due_soon_reminders,
    notifications_send_pending,
    notify_status_changes,
    overdue_sweep,
)
from apps.notifications.sms import MemorySmsBackend
from tests.dossier_fixtures import vn
from tests.portal.conftest import advance, register_dossier


@pytest.fixture(autouse=True)
def memory_sms(settings):
    settings.SMS_BACKEND = "apps.notifications.sms.MemorySmsBackend"
    MemorySmsBackend.outbox.clear()
    yield MemorySmsBackend.outbox
    MemorySmsBackend.outbox.clear()


@pytest.fixture
def staff_emails(demo):
    for name in ("clerk_tuphap", "specialist_tuphap", "leader_tuphap"):
        User.objects.filter(username=name).update(email=f"{name}@sotuphap.example.vn")


def read_feed_until(count: int, timeout: float = 30) -> int:
    """Other sessions on the server can hold the feed's horizon back briefly: retry."""
    read, deadline = 0, time.monotonic() + timeout
    while read < count and time.monotonic() < deadline:
        read += notify_status_changes()
        if read < count:
            time.sleep(0.05)
    return read


@pytest.mark.django_db(transaction=True)
def test_status_changes_reach_the_applicant_once(demo, media_root, memory_sms):
    dossier = register_dossier(1)
    advance(dossier, 5)  # assign, request_supplement, supplement, resolve, return
    assert read_feed_until(6) == 6
    sent = notifications_send_pending()
    # Announced: register, request_supplement, resolve, return (assign and supplement are not).
    assert sent.sent == 8 and sent.failed == 0
    assert len(mail.outbox) == 4 and len(memory_sms) == 4
    assert all(m.to == ["dan1@example.vn"] for m in mail.outbox)
    assert "đã được tiếp nhận" in mail.outbox[0].body and "cần bổ sung: CCCD" in mail.outbox[1].body
    assert memory_sms[0][0] == "0912345678"
    # Running the job (and the sender) again sends nothing.
    tasks.status_changes.run()
    assert len(mail.outbox) == 4 and len(memory_sms) == 4
    # A new change is announced once.
    other = register_dossier(2)
    read_feed_until(1)
    tasks.status_changes.run()
    tasks.status_changes.run()
    assert [m.to for m in mail.outbox[4:]] == [["dan2@example.vn"]]
    assert Dossier.objects.get(pk=other.pk).code in mail.outbox[4].subject


@pytest.mark.django_db(transaction=True)
def test_stale_changes_are_passed_over(demo, media_root, settings):
    register_dossier(1)
    settings.NOTIFY_MAX_AGE_HOURS = 0
    assert read_feed_until(1) == 1
    assert Notification.objects.count() == 0
    assert notify_status_changes() == 0  # the cursor moved past it


@pytest.mark.django_db
def test_overdue_sweep_marks_and_notifies_once(staff_emails, media_root, clock):
    clock.set(2025, 3, 3, 9, 0)  # Monday; 7 working days -> due Wednesday 12 March 09:00
    late = register_dossier(1)
    clock.set(2025, 3, 11, 9, 0)
    fresh = register_dossier(2)
    assert overdue_sweep(now=vn(2025, 3, 13, 8, 0)) == 1
    mark = OverdueMark.objects.get()
    assert (mark.dossier_id, mark.due_at, mark.agency_id) == (late.pk, late.due_at, late.agency_id)
    notifications_send_pending()
    assert sorted(m.to[0] for m in mail.outbox) == ["clerk_tuphap@sotuphap.example.vn",
                                                    "leader_tuphap@sotuphap.example.vn"]
    assert "quá hạn" in mail.outbox[0].subject and late.code in mail.outbox[0].body
    # Hourly and nightly runs repeat it: nothing new is marked or sent.
    assert overdue_sweep(now=vn(2025, 3, 13, 9, 0)) == 0
    notifications_send_pending()
    assert len(mail.outbox) == 2
    # Later the fresh dossier is overdue too (and only it is new).
    assert overdue_sweep(now=vn(2025, 3, 25, 9, 0)) == 1
    assert OverdueMark.objects.filter(dossier=fresh).exists()


@pytest.mark.django_db
def test_overdue_ignores_paused_and_finished_dossiers(staff_emails, media_root, clock):
    clock.set(2025, 3, 3, 9, 0)
    paused = register_dossier(1)
    advance(paused, 2)  # assign, request_supplement: clock stopped
    finished = register_dossier(2)
    advance(finished, 4)  # resolved
    assert overdue_sweep(now=vn(2025, 4, 1, 9, 0)) == 0


@pytest.mark.django_db
def test_due_soon_reminds_the_assigned_clerk_once(staff_emails, media_root, clock):
    clock.set(2025, 3, 3, 9, 0)
    dossier = register_dossier(1)
    advance(dossier, 1)  # assigned to specialist_tuphap; due Wed 12 March 09:00
    assert due_soon_reminders(now=vn(2025, 3, 10, 9, 0)) == 0  # two working days ahead
    assert due_soon_reminders(now=vn(2025, 3, 11, 10, 0)) == 1
    notifications_send_pending()
    assert [m.to for m in mail.outbox] == [["specialist_tuphap@sotuphap.example.vn"]]
    assert "sắp đến hạn" in mail.outbox[0].subject
    due_soon_reminders(now=vn(2025, 3, 11, 11, 0))
    notifications_send_pending()
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_failing_gateway_is_retried_then_given_up(demo, settings, media_root):
    from datetime import timedelta

    from django.utils import timezone

    settings.NOTIFY_MAX_ATTEMPTS = 2
    Notification.objects.create(key="x", kind="status_change", channel="sms", recipient="0912", body="hi")
    settings.SMS_BACKEND = "tests.notifications.test_jobs.BrokenSms"
    from apps.notifications.sms import _backend_class

    _backend_class.cache_clear()
    assert notifications_send_pending().failed == 1
    row = Notification.objects.get()
    assert (row.status, row.attempts) == (NotificationStatus.PENDING, 1) and "gateway down" in row.last_error
    assert notifications_send_pending().failed == 0  # waits for its next attempt
    notifications_send_pending(now=timezone.now() + timedelta(hours=1))
    assert Notification.objects.get().status == NotificationStatus.FAILED


class BrokenSms:
    def send(self, *, to: str, text: str) -> None:
        raise ConnectionError("gateway down")
