"""The portal without Redis (issue 14, items 6 and 7): signed requests, replay protection, health.

Redis is made really unreachable: the cache is pointed at a redis-server of our own that we stop,
at a closed port, or at a port that accepts and never answers. Replay protection lives in
PostgreSQL, so flushing Redis (our own test database number) or losing it reopens nothing.
"""
from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from apps.dossiers.models import Dossier
from apps.portal import signing
from apps.portal.models import PortalSignature
from apps.portal.services import portal_signature_purge
from tests.outages import cache_at, closed_port, own_redis, silent_port

from .conftest import KEY_ID, SECRET
from .test_api import SUBMIT, body

pytestmark = pytest.mark.django_db

FEED = "/api/v1/portal/changes/?limit=5"
HEALTH = "/api/v1/portal/health/"


def signed_request(method: str, path: str, payload: object = None, *, stamp: int | None = None) -> dict:
    """The pieces of one signed request, to send (and send again) byte for byte."""
    raw = b"" if payload is None else json.dumps(payload).encode()
    headers = signing.signed_headers(key_id=KEY_ID, secret=SECRET, method=method, path=path, body=raw,
                                     timestamp=stamp)
    meta = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
    return {"method": method, "path": path, "data": raw, "content_type": "application/json", **meta}


def send(request: dict, client: APIClient | None = None):
    return (client or APIClient()).generic(**request)


# --- item 7: replay protection survives the loss of Redis --------------------------------------


def test_a_replay_after_a_redis_flush_creates_nothing(portal_key, demo, media_root):
    request = signed_request("POST", SUBMIT, body())
    first = send(request)
    assert first.status_code == 201, first.content
    replay = send(request)
    assert (replay.status_code, replay.json()["code"]) == (401, "signature_replayed")
    cache.clear()  # FLUSHDB of this test run's own Redis database: everything Redis knew is gone
    again = send(request)
    assert (again.status_code, again.json()["code"]) == (401, "signature_replayed")
    assert Dossier.objects.count() == 1
    assert PortalSignature.objects.filter(key_id=KEY_ID).count() == 1


def test_a_replay_after_redis_was_lost_and_replaced_creates_nothing(settings, portal_key, demo, media_root):
    request = signed_request("POST", SUBMIT, body())
    with own_redis() as first_redis:
        cache_at(settings, first_redis.url)
        assert send(request).status_code == 201
    with own_redis() as empty_redis:  # a fresh, empty Redis (a restart without persistence)
        cache_at(settings, empty_redis.url)
        replay = send(request)
    assert (replay.status_code, replay.json()["code"]) == (401, "signature_replayed")
    assert Dossier.objects.count() == 1


def test_the_replay_memory_is_purged_after_the_window(portal_key):
    skew = django_settings.PORTAL_SIGNATURE_MAX_SKEW
    old_stamp = int(time.time()) - 3 * skew
    PortalSignature.objects.create(key_id=KEY_ID, signature="a" * 64,
                                   expires_at=timezone.now() - timedelta(seconds=1))
    assert send(signed_request("GET", FEED)).status_code == 200  # remembered until now + 2 × skew
    kept = PortalSignature.objects.exclude(signature="a" * 64).get()
    assert kept.expires_at > timezone.now() + timedelta(seconds=2 * skew - 5)
    assert portal_signature_purge() == 1
    assert list(PortalSignature.objects.values_list("pk", flat=True)) == [kept.pk]
    # Once purged, a request that old is refused by its timestamp anyway.
    stale = send(signed_request("GET", FEED, stamp=old_stamp))
    assert (stale.status_code, stale.json()["code"]) == (401, "signature_expired")


def test_beat_purges_the_replay_memory():
    from apps.portal.tasks import purge_signatures

    jobs = {job["task"] for job in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert purge_signatures.name in jobs
    PortalSignature.objects.create(key_id=KEY_ID, signature="b" * 64, expires_at=timezone.now() - timedelta(hours=1))
    assert purge_signatures() == 1


@pytest.mark.django_db(transaction=True)
def test_identical_requests_in_parallel_one_wins(portal_key, demo, media_root):
    request = signed_request("POST", SUBMIT, body())
    parallel = 8
    barrier = threading.Barrier(parallel)
    statuses: list[tuple[int, str | None]] = []
    lock = threading.Lock()

    def one() -> None:
        client = APIClient()
        barrier.wait()
        try:
            response = send(request, client)
            outcome = (response.status_code, response.json().get("code"))
        finally:
            connection.close()  # this thread's own connection
        with lock:
            statuses.append(outcome)

    threads = [threading.Thread(target=one) for _ in range(parallel)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(s for s, _ in statuses) == [201] + [401] * (parallel - 1), statuses
    assert {code for status, code in statuses if status == 401} == {"signature_replayed"}
    assert Dossier.objects.count() == 1


# --- item 6: Redis down ------------------------------------------------------------------------


def test_signed_portal_requests_work_while_redis_is_down(settings, portal_key, demo, media_root):
    with own_redis() as redis:
        cache_at(settings, redis.url)
        assert send(signed_request("GET", FEED)).status_code == 200
        redis.stop()  # Redis really goes away
        created = send(signed_request("POST", SUBMIT, body()))
        assert created.status_code == 201, created.content
        replay_request = signed_request("GET", FEED.replace("5", "6"))  # not the request above, in the same second
        assert send(replay_request).status_code == 200
        replay = send(replay_request)
        assert (replay.status_code, replay.json()["code"]) == (401, "signature_replayed")
        dossier = send(signed_request("GET", f"/api/v1/portal/dossiers/{created.json()['code']}/"))
        assert dossier.status_code == 200
        assert send(signed_request("GET", "/api/v1/portal/catalog/")).status_code == 200
    assert Dossier.objects.count() == 1


def test_health_keeps_answering_and_reports_redis_down(settings, api, demo, media_root, submit):
    submit()
    with own_redis() as redis:
        cache_at(settings, redis.url)
        up = api.get(HEALTH)
        assert up.status_code == 200
        assert (up.json()["redis"], up.json()["status"], up.json()["pending"]) == ("up", "ok", 1)
        redis.stop()
        down = api.get(HEALTH)
    assert down.status_code == 200, down.content
    data = down.json()
    assert (data["redis"], data["status"], data["pending"], data["dead"]) == ("down", "degraded", 1, 0)
    assert data["oldest_pending_age_seconds"] >= 0


def test_health_with_redis_refusing_connections(settings, api, db):
    with closed_port() as port:
        cache_at(settings, f"redis://127.0.0.1:{port}/0")
        response = api.get(HEALTH)
    assert response.status_code == 200
    assert (response.json()["redis"], response.json()["status"]) == ("down", "degraded")


def test_health_with_a_hung_redis_answers_within_the_socket_timeout(settings, api, db):
    with silent_port() as port:
        cache_at(settings, f"redis://127.0.0.1:{port}/0")  # socket timeouts of 1 s
        started = time.monotonic()
        response = api.get(HEALTH)
        elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert response.json()["redis"] == "down"
    assert elapsed < 5, elapsed


def test_production_settings_bound_every_redis_wait():
    options = django_settings.CACHES["default"].get("OPTIONS", {})
    assert 0 < options["SOCKET_CONNECT_TIMEOUT"] <= 5
    assert 0 < options["SOCKET_TIMEOUT"] <= 5
