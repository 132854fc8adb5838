"""Outbox delivery in this process (no Celery): order, retries, dead rows, replay, parallel drains.

The same code runs in the real worker (test_worker.py); these tests pin the rules quickly. Tests
taking `adapter` run for both transports: the signed webhook and the portal's own protocol.
"""
from __future__ import annotations

import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.db import connections

from apps.dossiers.models import DossierEvent
from apps.portal.models import OutboxMessage, OutboxStatus
from apps.portal.services import outbox_drain, outbox_replay, retry_delay

from .conftest import make_history

pytestmark = pytest.mark.django_db


def drain_until_idle(rounds: int = 20):
    total = 0
    for _ in range(rounds):
        report = outbox_drain()
        total += report.delivered
        if report.batches == 0:
            break
    return total


def all_event_ids() -> list[int]:
    return list(DossierEvent.objects.order_by("id").values_list("id", flat=True))


def assert_exactly_once_in_order(fake_portal) -> None:
    expected = {str(i) for i in all_event_ids()}
    assert set(fake_portal.messages) == expected
    assert fake_portal.order_violations == []
    for dossier, ids in fake_portal.keys_by_dossier().items():
        assert ids == sorted(ids), dossier
    assert OutboxMessage.objects.exclude(status=OutboxStatus.DELIVERED).count() == 0


def test_everything_is_delivered_once_in_order_per_dossier(portal_settings, fake_portal, demo, media_root):
    make_history(6, steps=3)
    assert OutboxMessage.objects.count() == 24
    assert drain_until_idle() == 24
    assert_exactly_once_in_order(fake_portal)
    assert fake_portal.stats()["bad_signatures"] == 0
    assert fake_portal.duplicates == 0
    message = fake_portal.messages[str(all_event_ids()[0])]
    assert message["kind"] == "DongBoHoSoMC" and message["data"]["MaHoSo"] == message["dossier"]
    # One batch never carries two events of one dossier: 4 rounds of at most 6 messages (batch 10).
    assert fake_portal.requests == 4


def test_nothing_is_sent_without_a_portal_url(settings, demo, media_root):
    settings.PORTAL_SYNC_URL = ""
    make_history(1, steps=1)
    assert outbox_drain().disabled
    assert OutboxMessage.objects.filter(status=OutboxStatus.PENDING).count() == 2


def test_portal_answering_500_then_recovering(adapter, demo, media_root):
    _, fake_portal = adapter
    make_history(3, steps=1)
    fake_portal.configure(fail_next=2)
    first = outbox_drain()
    assert (first.delivered, first.failed) == (0, 3)  # stops after a batch that failed entirely
    row = OutboxMessage.objects.order_by("id").first()
    assert row.attempts == 1 and row.status == "pending" and "HTTP 500" in row.last_error
    drain_until_idle()
    assert_exactly_once_in_order(fake_portal)
    assert OutboxMessage.objects.order_by("id").first().attempts == 3


@pytest.mark.parametrize("mode", ["error", "drop", "timeout"])
def test_portal_down_past_max_attempts_parks_rows_dead_and_replay_delivers(adapter, settings, demo, media_root, mode):
    kind, fake_portal = adapter
    settings.PORTAL_TIMEOUT = 0.3
    make_history(2, steps=2)  # 6 events, 3 per dossier
    fake_portal.configure(mode=mode, timeout_seconds=0.6)
    for _ in range(5):
        outbox_drain()
    dead = OutboxMessage.objects.filter(status=OutboxStatus.DEAD)
    # The first row of each dossier died; the later ones wait behind it, never attempted.
    assert dead.count() == 2 and {r.attempts for r in dead} == {3}
    assert set(OutboxMessage.objects.filter(status="pending").values_list("attempts", flat=True)) == {0}
    fake_portal.configure(mode="ok")
    assert outbox_drain().batches == 0  # nothing eligible until an administrator replays
    assert outbox_replay() == 2
    drain_until_idle()
    assert_exactly_once_in_order(fake_portal)
    if mode == "timeout" and kind == "webhook":  # the portal got them the first time; repeats dropped by key
        assert fake_portal.duplicates >= 2


def test_a_rejected_message_holds_back_its_dossier_only(adapter, demo, media_root):
    _, fake_portal = adapter
    first, second = make_history(2, steps=2)
    rejected = first.events.order_by("id")[1].pk
    fake_portal.configure(reject_keys={str(rejected)})
    for _ in range(6):
        outbox_drain()
    row = OutboxMessage.objects.get(event_id=rejected)
    assert row.status == OutboxStatus.DEAD and "rejected" in row.last_error
    assert {int(k) for k in fake_portal.messages} == {e.pk for e in second.events.all()} | {first.events.first().pk}
    fake_portal.configure(reject_keys=set())
    outbox_replay(ids=[row.pk])
    drain_until_idle()
    assert_exactly_once_in_order(fake_portal)


def test_backoff_grows_with_jitter(settings):
    settings.PORTAL_RETRY_BASE_SECONDS = 10
    settings.PORTAL_RETRY_MAX_SECONDS = 300
    for attempts, step in [(1, 10), (2, 20), (3, 40), (6, 300), (20, 300)]:
        delays = {retry_delay(attempts) for _ in range(20)}
        assert all(timedelta(seconds=step / 2) <= d <= timedelta(seconds=step) for d in delays)
        assert len(delays) > 1  # jittered


def test_failed_rows_wait_for_their_next_attempt(adapter, settings, demo, media_root):
    _, fake_portal = adapter
    settings.PORTAL_RETRY_BASE_SECONDS = 3600
    make_history(1, steps=0)
    fake_portal.configure(fail_next=1)
    outbox_drain()
    assert outbox_drain().batches == 0  # not due for an hour
    OutboxMessage.objects.update(next_attempt_at=None)
    assert outbox_drain().delivered == 1


def test_commit_nudges_a_drain_once_per_second(portal_settings, demo, media_root, django_capture_on_commit_callbacks):
    import apps.portal.services as portal_services

    portal_services._last_kick = 0.0
    with mock.patch("apps.portal.tasks.drain_outbox.apply_async") as apply_async:
        with django_capture_on_commit_callbacks(execute=True):
            make_history(2, steps=1)
    assert apply_async.call_count == 1


def test_a_broker_that_is_down_does_not_fail_the_request(portal_settings, demo, media_root,
                                                         django_capture_on_commit_callbacks):
    import apps.portal.services as portal_services

    portal_services._last_kick = 0.0
    with mock.patch("apps.portal.tasks.drain_outbox.apply_async", side_effect=ConnectionError("down")):
        with django_capture_on_commit_callbacks(execute=True):
            make_history(1, steps=0)
    assert OutboxMessage.objects.count() == 1


def test_admin_replays_dead_rows(portal_settings, fake_portal, demo, media_root, admin_client):
    make_history(1, steps=0)
    OutboxMessage.objects.update(status=OutboxStatus.DEAD, attempts=3)
    ids = list(OutboxMessage.objects.values_list("id", flat=True))
    response = admin_client.post("/admin/portal/outboxmessage/",
                                 {"action": "replay_dead", "_selected_action": ids}, follow=True)
    assert response.status_code == 200
    assert OutboxMessage.objects.get().status == OutboxStatus.PENDING
    assert drain_until_idle() == 1


@pytest.mark.django_db(transaction=True)
def test_parallel_drains_never_reorder_a_dossier(adapter, settings, demo, media_root):
    _, fake_portal = adapter
    settings.PORTAL_BATCH_SIZE = 3
    make_history(8, steps=4)  # 40 events, 5 per dossier, interleaved
    fake_portal.configure(delay=0.01)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            drain_until_idle(rounds=100)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    drain_until_idle()
    assert_exactly_once_in_order(fake_portal)
    assert fake_portal.duplicates == 0


def test_purge_forgets_old_delivered_rows_only(portal_settings, fake_portal, demo, media_root):
    from django.utils import timezone

    from apps.portal.services import outbox_purge_delivered

    make_history(2, steps=1)
    drain_until_idle()
    old = OutboxMessage.objects.order_by("id")[:3]
    OutboxMessage.objects.filter(pk__in=[r.pk for r in old]).update(delivered_at=timezone.now() - timedelta(days=40))
    OutboxMessage.objects.filter(pk=old[0].pk).update(status=OutboxStatus.DEAD)
    assert outbox_purge_delivered(older_than=timedelta(days=30), chunk=1) == 2
    assert OutboxMessage.objects.count() == 2 and DossierEvent.objects.count() == 4
